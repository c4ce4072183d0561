"""Batch normalization: a deep sigmoid network without and with it.

Both networks have 8 hidden sigmoid layers, Xavier initialization, and the same 300 plain SGD
steps of training. Without batch norm the gradients fade by a factor of thousands on the way to
the input (panel) and the network never leaves its plateau. Batch norm re-centres and rescales
each layer's inputs, keeps the sigmoids out of saturation, levels the gradients, and the
network trains: a real valley appears.

    landscape render scenes/batch_norm.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 8, activation="sigmoid", init="xavier", train_steps=300,
           train_optimizer="sgd", train_lr=0.05)


class BatchNorm(Scene):
    """A deep sigmoid network without and with batch normalization."""

    def construct(self):
        for bn, name in ((False, "without batch norm"), (True, "with batch norm")):
            land = self.landscape(batchnorm=bn, **NET, title=f"8 sigmoid layers {name}")
            land.balls(name="SGD, lr 0.05", n=120, optimizer="sgd", lr=0.05, batch_size=32)
        self.caption("Same network and training, without (left) and with (right) batch norm")
        self.play(Roll(steps=100), Orbit(degrees=30), run_time=5)
        self.caption("Batch norm keeps every layer's gradient alive, so the network trains")
        self.play(Roll(steps=100), Orbit(degrees=15), run_time=4)
        self.wait(1)
