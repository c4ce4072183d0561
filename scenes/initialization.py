"""Initialization: the same deep ReLU network from N(0, 1), Xavier and He weights.

Each network gets the same training budget (300 plain SGD steps, learning rate 0.01) from its
own initialization, and we look at the landscape where it ended up. From N(0, 1) the first
steps are so large (the loss jumps from 3e4 to 8e8) that every unit of the last hidden layer
dies: the network's output is a constant, the loss is stuck at chance (2.3) and no gradient
reaches any layer below. Its θ* sits at the bottom of a pit narrower than one grid cell: one
cell away the dead units come back with activations in the millions and the loss is above
1e13, so the surface is a plateau at the top of the scale and a white pin marks where θ* is
(with its loss). Xavier trains slowly; He (made for ReLU) trains furthest and keeps the
per-layer gradients level in the panel. Balls then roll on each.

What to watch for: the pin in the N(0, 1) view (θ*, loss 2.3, hidden in its pit), its balls
thrown off at once (grey) and its red bars (every norm ~1e25: far above what one SGD step at
lr 0.01 can use, whatever the layers' ratios); the bowl under Xavier; the deeper bowl and green
bars under He.

    landscape render scenes/initialization.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32, 32, 32, 32, 32, 32), activation="relu", train_steps=300,
           train_optimizer="sgd", train_lr=0.01)


class Initialization(Scene):
    """N(0,1) vs Xavier vs He initialization after the same 300 SGD steps."""

    def construct(self):
        for init, name in (("normal", "N(0, 1)"), ("xavier", "Xavier"), ("he", "He")):
            land = self.landscape(init=init, log_scale=True, **NET,
                                  title=f"{name} init, then 300 SGD steps")
            land.balls(name="SGD, lr 0.01", n=100, optimizer="sgd", lr=0.01, batch_size=32)
        self.caption("Same network, same training budget; only the initial weights differ")
        self.play(Roll(steps=100), Orbit(degrees=30), run_time=5)
        self.caption("N(0, 1): every unit dead, stuck at chance in a pin-thin pit; He trained furthest")
        self.play(Roll(steps=100), Orbit(degrees=15), run_time=4)
        self.wait(1)
