"""Layer speed: which layers of a deep network can learn, sigmoid with N(0, 1) against ReLU with He.

Two untrained networks of the same depth (ten hidden layers of 32 on the digits): sigmoid with
N(0, 1) weights on top, ReLU with He weights below. For each, two slices through its starting
point: one moving only the FIRST layer's weights (left), one only the LAST layer's (right), each
by the same step per weight, so the slopes compare fairly; each row has one height and colour
scale (the colour bars give it). The same SGD balls (same start points, learning rate and
batch) roll on all four.

What to watch for: on top, the first layer's plane is flat and its balls stay where they were
dropped, while on the last layer's plane they roll: the sigmoid network's early layers learn
slowest (the gradient reaching them is a product of factors w·σ′(z) with σ′ ≤ 1/4). Below,
with ReLU (slope 1 where active) and He's variance-preserving weights, both planes slope and
the balls roll on both. The panels show every layer's gradient, coloured by its ratio to the
output layer's: blue bars on top, green ones below.

    landscape render scenes/layer_speed.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

DEEP = dict(widths=(32,) * 10, train_steps=0, norm="absolute")
NETS = (("sigmoid", "normal", "sigmoid, N(0, 1)"), ("relu", "he", "ReLU, He"))


class LayerSpeed(Scene):
    """First vs last layer planes of a deep sigmoid/N(0,1) net and a ReLU/He net."""

    def construct(self):
        first = None
        for act, init, name in NETS:
            for layer, where in ((0, "first"), (10, "last")):
                land = self.landscape(activation=act, init=init, layers=(layer,), **DEEP,
                                      scale=act, title=f"{name}: {where} layer's plane")
                b = land.balls(name="SGD, lr 0.05", n=80, optimizer="sgd", lr=0.05,
                               batch_size=256, **({} if first is None else
                                                  {"same_start_as": first}))
                first = first or b
        self.caption("Top: sigmoid, N(0, 1). Bottom: ReLU, He. Left: first layer. Right: last")
        self.play(Roll(steps=80), Orbit(degrees=10), run_time=4)
        self.caption("Sigmoid: the first layer's plane is flat, its balls stay put")
        self.play(Roll(steps=80), Orbit(degrees=10), run_time=4)
        self.caption("ReLU with He weights: every layer's plane slopes, every layer learns")
        self.play(Roll(steps=80), run_time=4)
        self.wait(1)
