"""Transfer learning: reuse the lower layers of a network trained on a related task.

A small CNN (8 and 16 filters) is first trained on the digits 0–4. Three copies of the same
network then learn the digits 5–9 with the same plain SGD (learning rate 0.05, minibatches of
64, the same upper-layer initialization and the same minibatches): from scratch (left); with its
two convolutional layers copied from the 0–4 network and fine-tuned (middle); with them copied
and frozen, only the dense layer learning (right). Each view is the landscape of the new task
on the plane of that run's own path (PCA of its checkpoints) with the real network as the ball;
its legend gives the network's true loss and its distance from the plane.

What to watch for: the reused networks start higher (their new, untrained output layer meets
features it has never seen: loss 3.65 against 2.32), but within a few steps they drop below
the network from scratch and stay ahead: the early layers already find strokes and edges from
the other digits, so they need not learn them again (measured: after 10 / 30 / 100 steps the
loss is 0.61 / 0.24 / 0.080 from scratch, 0.29 / 0.13 / 0.052 fine-tuned, 0.30 / 0.14 / 0.065
frozen; mean of 3 seeds).

    landscape render scenes/transfer_learning.py -q medium
"""

from landscape.pipeline import LandscapeConfig
from landscape.scene import Orbit, Roll, Scene

SOURCE = LandscapeConfig(model="cnn", widths=(8, 16), classes=(0, 1, 2, 3, 4), train_steps=500)
NEW = dict(model="cnn", widths=(8, 16), classes=(5, 6, 7, 8, 9), train_steps=100,
           train_optimizer="sgd", train_lr=0.05, train_batch=64, train_checkpoints=50)


class TransferLearning(Scene):
    """Digits 5–9 from scratch vs with conv layers reused from a 0–4 network (fine-tuned, frozen)."""

    def construct(self):
        self.timelapse(kind="pca", n_checkpoints=26, title="from scratch", **NEW)
        self.timelapse(kind="pca", n_checkpoints=26, pretrain=SOURCE, transfer_layers=2,
                       title="conv layers from 0–4, fine-tuned", **NEW)
        self.timelapse(kind="pca", n_checkpoints=26, pretrain=SOURCE, transfer_layers=2,
                       freeze=True, title="conv layers from 0–4, frozen", **NEW)
        self.caption("Learning digits 5–9: from scratch vs reusing layers trained on 0–4")
        self.play(Roll(steps=120), Orbit(degrees=15), run_time=6)
        self.caption("Reused layers already find strokes: after a higher start they pull ahead")
        self.play(Roll(steps=120), Orbit(degrees=10), run_time=5)
        self.wait(1)
