"""Exploding gradients: a deep tanh network whose weights start three times too large.

The landscape's walls are steep, and the gradient grows layer by layer toward the input (the
panel's bars rise from right to left): each layer multiplies the backward signal by more than
one: the input layer's bar is above the healthy band, red. Plain SGD takes steps proportional
to the gradient, so the balls are flung off the landscape and greyed out as escaped: at medium
quality 199 of 200, half of them within the first 12 steps.

    landscape render scenes/exploding_gradient.py -q medium

Compare with scenes/gradient_clipping.py: the same network and learning rate, with clipping.
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 8, activation="tanh", init="xavier", init_scale=3.0,
           train_steps=300, train_lr=1e-3)


class ExplodingGradient(Scene):
    """A too-large init: gradients grow toward the input and SGD balls fly off."""

    def construct(self):
        land = self.landscape(**NET, title="8 tanh layers, Xavier init × 3 (digits)")
        land.balls(name="SGD, lr 0.02", n=200, optimizer="sgd", lr=0.02, batch_size=32)
        self.caption("Panel: gradient norm per layer, growing toward the input (left)")
        self.play(Roll(steps=12), run_time=4)
        self.caption("Steps as large as the gradient throw the balls off the landscape")
        self.play(Roll(steps=138), Orbit(degrees=40), run_time=5)
        self.wait(1)
