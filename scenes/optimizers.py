"""Optimizers: SGD, momentum and Adam racing from the same starting points.

Three groups of balls start from exactly the same places on the landscape of the reference
network (an MLP 64-64-64 trained on handwritten digits) and follow the same minibatch
gradients' rules: plain SGD, SGD with momentum 0.9, and Adam, each at a usual learning rate.
Momentum and Adam reach the valley floor well before SGD (the vertical scale is logarithmic).

    landscape render scenes/optimizers.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene


class Optimizers(Scene):
    """SGD, momentum and Adam race from the same points."""

    def construct(self):
        land = self.landscape(log_scale=True, title="MLP 64-64-64 ReLU on digits (log scale)")
        sgd = land.balls(name="SGD, lr 0.01", n=60, optimizer="sgd", lr=0.01)
        land.balls(name="momentum 0.9, lr 0.01", optimizer="momentum", lr=0.01,
                   same_start_as=sgd)
        land.balls(name="Adam, lr 0.05", optimizer="adam", lr=0.05, same_start_as=sgd)
        self.caption("Same starting points, three update rules")
        self.play(Roll(steps=50), Orbit(degrees=30), run_time=5)
        self.caption("Momentum and Adam reach the valley floor first")
        self.play(Roll(steps=150), Orbit(degrees=20), run_time=4)
        self.wait(1)
