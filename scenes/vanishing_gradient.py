"""Vanishing gradients: the first layer of a deep sigmoid network sees a flat landscape.

One network, ten sigmoid layers of 32 units on the digits, N(0, 1) weights, untrained. Two
slices through the same point of its weight space, side by side: on the left the plane moves
only the FIRST layer's weights, on the right only the LAST layer's, both by the same step per
weight, so their slopes compare fairly. The same SGD balls (same start points, learning rate and
minibatches) are dropped on both.

What to watch for: on the left the surface is flat and the balls barely move; on the right the
surface is steep and the balls roll down it. The panel under each view shows why: the gradient
of every layer's weights, input on the left, coloured by its ratio to the output layer's (blue:
below a tenth). Backpropagation multiplies the error by one factor per layer on its way down,
each a weight times σ′(z), and σ′ is at most 1/4; a quarter of a quarter of a quarter... so the
first layer's gradient is a small fraction of the last layer's, and the first layers learn
slowest. The line chart below the bars keeps the gap in view over time.

    landscape render scenes/vanishing_gradient.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 10, activation="sigmoid", init="normal", train_steps=0,
           norm="absolute")


class VanishingGradient(Scene):
    """One deep sigmoid net, two slices: the first layer's plane is flat, the last layer's steep."""

    def construct(self):
        first = self.landscape(layers=(0,), title="Moving only the FIRST layer's weights", **NET)
        last = self.landscape(layers=(10,), title="Moving only the LAST layer's weights", **NET)
        a = first.balls(name="SGD, lr 0.05", n=100, optimizer="sgd", lr=0.05, batch_size=256)
        last.balls(name="SGD, lr 0.05", n=100, optimizer="sgd", lr=0.05, batch_size=256,
                   same_start_as=a)
        self.caption("One network, two slices of its weight space: first layer vs last layer")
        self.play(Roll(steps=60), Orbit(degrees=10), run_time=4)
        self.caption("First layer: almost flat, the balls barely move. Last layer: they roll")
        self.play(Roll(steps=90), Orbit(degrees=10), run_time=4)
        self.caption("On its way back each layer multiplies the gradient by w·σ′(z), σ′ ≤ 1/4")
        self.play(Roll(steps=90), run_time=4)
        self.wait(1)
