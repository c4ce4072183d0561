"""Saturation: a sigmoid network's units pinned at 0 and 1 by N(0, 1) weights, not by Xavier's.

The same untrained network (five sigmoid layers of 32 on the digits) from two initializations,
side by side: N(0, 1) weights on the left, Xavier's (variance 1/fan-in, Glorot and Bengio 2010)
on the right. The panel under each view is Glorot and Bengio's figure for that network: per
hidden layer, the spread of its activations σ(z) over all digits and units (light band: 5th to
95th percentile, dark band: 25th to 75th, line: median), and under each column the share of
saturated units, where σ′(z) is below a tenth of its maximum (|z| > 3.6).

What to watch for: the panels. With N(0, 1) weights the pre-activations are large, so the bands
stretch from 0 to 1 and a large share of every layer is saturated: there σ′ ≈ 0 and the backward
signal through those units dies. With Xavier weights the activations stay in the sigmoid's
middle (around 0.5) and almost nothing is saturated. The surfaces: saturated units make the
N(0, 1) network confidently wrong (loss 6.3 at θ*, far above chance, ln 10 ≈ 2.3) on a steep,
rugged landscape; the Xavier network starts near chance on a gentle one. Saturation is not the
only brake: even unsaturated, σ′ is at most 1/4 per layer (scenes/vanishing_gradient.py).

    landscape render scenes/saturation.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 5, activation="sigmoid", train_steps=0)


class Saturation(Scene):
    """N(0,1) vs Xavier sigmoid nets: activations pinned at 0/1 (saturated) vs spread around 0.5."""

    def construct(self):
        a = self.landscape(init="normal", panel="activations", **NET,
                           title="N(0, 1) weights: sigmoid units saturate")
        b = self.landscape(init="xavier", panel="activations", **NET,
                           title="Xavier weights: sigmoid units stay in range")
        ga = a.balls(name="SGD, lr 0.1", n=100, optimizer="sgd", lr=0.1, batch_size=256)
        b.balls(name="SGD, lr 0.1", n=100, optimizer="sgd", lr=0.1, batch_size=256,
                same_start_as=ga)
        self.caption("Same network, two initializations; panels: each layer's activations")
        self.play(Roll(steps=80), Orbit(degrees=10), run_time=4)
        self.caption("N(0, 1): activations pinned at 0 and 1, σ′ ≈ 0 there: saturated")
        self.play(Roll(steps=80), Orbit(degrees=10), run_time=4)
        self.caption("Xavier: activations near 0.5, almost none saturated (σ′ still ≤ 1/4)")
        self.play(Roll(steps=80), run_time=4)
        self.wait(1)
