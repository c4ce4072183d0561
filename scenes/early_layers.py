"""What the early layers learn: the first layer's weights as images while the network trains.

The two training runs of scenes/training_timelapse.py (ten hidden layers of 32 on the 8×8
digits, plain SGD, learning rate 0.1, 300 steps): sigmoid with N(0, 1) weights on the left, ReLU
with He weights on the right, each view riding along with its network. The panel shows, for the
first sixteen units of the first layer, how each unit's 64 incoming weights (one per pixel,
drawn as an 8×8 image) have changed since initialization: red where a weight grew, blue where
it shrank, each view's colour scale relative to its own weights (full colour at twice the
standard deviation of its initial first-layer weights). The line under the images gives the
change as a share of the weights' size.

What to watch for: the ReLU network's first-layer units grow patterns, the pixels they have
learned to respond to (their weights change by about a third); the sigmoid network's stay nearly
blank
(2–3 %): the gradient reaching its first layer is too small for it to learn what to look for,
so the layers above learn on features that barely changed from random. "If the early layers
get it wrong, the net looks for the wrong thing."

    landscape render scenes/early_layers.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

RUN = dict(widths=(32,) * 10, train_steps=300, train_optimizer="sgd", train_lr=0.1,
           train_checkpoints=30, span=0.5)


class EarlyLayers(Scene):
    """First-layer weights as images while sigmoid/N(0,1) and ReLU/He networks train."""

    def construct(self):
        self.timelapse(activation="sigmoid", init="normal", kind="riding", n_checkpoints=10,
                       panel="features", title="sigmoid, N(0, 1): first layer", **RUN)
        self.timelapse(activation="relu", init="he", kind="riding", n_checkpoints=10,
                       panel="features", title="ReLU, He: first layer", **RUN)
        self.caption("Each image: how one first-layer unit's 64 pixel weights changed so far")
        self.play(Roll(steps=150), Orbit(degrees=10), run_time=6)
        self.caption("ReLU + He: first-layer units change by a third. Sigmoid: by 2.5 %")
        self.play(Roll(steps=150), Orbit(degrees=10), run_time=6)
        self.wait(1)
