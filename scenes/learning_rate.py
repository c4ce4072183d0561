"""Learning rate: too small, about right, and too large, side by side.

The same landscape three times (the reference MLP 64-64-64 on digits) and the same starting
points; only SGD's learning rate differs. Too small: the balls creep and are still far from
the bottom at the end. About right: they drop into the valley. Too large: they overshoot,
bounce between the walls and fly off the landscape (escaped, grey).

    landscape render scenes/learning_rate.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene


class LearningRate(Scene):
    """SGD with a too-small, a good and a too-large learning rate."""

    def construct(self):
        first = None
        for lr, name in ((0.0005, "too small"), (0.05, "about right"), (0.5, "too large")):
            land = self.landscape(log_scale=True, title=f"learning rate {lr:g}: {name}")
            balls = land.balls(name=f"SGD, lr {lr:g}", n=60, optimizer="sgd", lr=lr,
                               same_start_as=first)
            first = first or balls
        self.caption("The same landscape and starting points; three learning rates")
        self.play(Roll(steps=60), Orbit(degrees=30), run_time=5)
        self.caption("Too small creeps, too large bounces off; the middle one lands")
        self.play(Roll(steps=140), Orbit(degrees=15), run_time=4)
        self.wait(1)
