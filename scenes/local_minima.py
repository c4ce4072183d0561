"""Many valleys: where a ball ends up depends on where it starts.

A small tanh network trained on three interleaved spirals, seen over a wide patch of the plane
(span 2). Three hundred balls start on an even grid and descend by full-batch gradient descent.
A fair share of them come to rest in higher side valleys, and the census labels each of those
minima with its loss, its accuracy and the share of balls it trapped. The rest slide into the
trained network's valley at the centre, far lower, and never settle there: on data it
separates, cross-entropy has no bottom (the loss keeps falling as the weights grow), so these
balls keep creeping downhill, ever more slowly, and are not counted as settled. Measured at
medium quality: 119 of 300 balls rest in four side valleys (loss 0.71 to 4.4); 181 slide into
the centre, where their loss is still falling at the end (8e-4, then 6e-4).

    landscape render scenes/local_minima.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene


class LocalMinima(Scene):
    """Balls settle into different valleys; the census says which is lowest."""

    seed = 1

    def construct(self):
        land = self.landscape(dataset="spirals", widths=(32, 32), activation="tanh",
                              init="xavier", train_steps=1000, span=2.0, log_scale=False,
                              title="MLP 32-32 tanh on three spirals (span 2)")
        land.balls(name="gradient descent", n=300, optimizer="sgd", lr=0.05, batch_size=None,
                   start="grid")
        self.caption("300 balls start on a grid; each follows the full-batch gradient")
        self.play(Roll(steps=150), Orbit(degrees=40), run_time=6)
        self.caption("Side valleys trap balls (labels: loss, accuracy, share); the centre has "
                     "no bottom: its balls keep sliding")
        self.play(Roll(steps=150), Orbit(degrees=20), run_time=3)
        self.wait(1)
