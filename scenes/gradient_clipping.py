"""Gradient clipping: the exploding network again, with each step's gradient clipped.

Same network, same initialization three times too large, same SGD learning rate as
scenes/exploding_gradient.py, but every ball's gradient is rescaled to a global norm of at most
1 before the step. The gradients themselves are as large as before (panel), yet no ball is
thrown off: they walk down the walls and settle in the valley.

    landscape render scenes/gradient_clipping.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 8, activation="tanh", init="xavier", init_scale=3.0,
           train_steps=300, train_lr=1e-3)


class GradientClipping(Scene):
    """The exploding network with clipping by global norm: balls stay and descend."""

    def construct(self):
        land = self.landscape(**NET, title="8 tanh layers, Xavier init × 3, clipped SGD")
        land.balls(name="SGD lr 0.02, clip 1", n=200, optimizer="sgd", lr=0.02,
                   batch_size=32, clip_norm=1.0)
        self.caption("Same exploding gradients; each step is clipped to norm 1")
        self.play(Roll(steps=100), Orbit(degrees=40), run_time=5)
        self.caption("No ball escapes: they walk down and settle in the valley")
        self.play(Roll(steps=200), Orbit(degrees=20), run_time=4)
        self.wait(1)
