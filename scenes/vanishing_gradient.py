"""Vanishing gradients: a deep sigmoid network started from N(0, 1) weights.

Ten sigmoid layers, untrained: the landscape around the fresh network. The balls slide onto a
high plateau and stall there, the loss stuck far above what the network could reach. The panel
shows why: the gradient of each layer's weights, input layer on the left, shrinks layer by layer
toward the input, about forty-fold over ten layers. A sigmoid's slope is at most 1/4 and
saturated units pass almost nothing back, so the factors multiply as the error travels down
the network, and the first layers hardly learn.

    landscape render scenes/vanishing_gradient.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene


class VanishingGradient(Scene):
    """A deep sigmoid net at N(0,1) init: a plateau, and gradients shrinking toward the input."""

    def construct(self):
        land = self.landscape(widths=(32,) * 10, activation="sigmoid", init="normal",
                              train_steps=0,
                              title="10 sigmoid layers, N(0, 1) weights, untrained (digits)")
        land.balls(name="SGD, lr 0.05", n=150, optimizer="sgd", lr=0.05, batch_size=256)
        self.caption("The balls slide onto a plateau and stall: the loss stays high")
        self.play(Roll(steps=150), Orbit(degrees=40), run_time=5)
        self.caption("Panel: gradient norm per layer, input on the left, shrinking toward it")
        self.play(Roll(steps=150), Orbit(degrees=20), run_time=4)
        self.wait(1)
