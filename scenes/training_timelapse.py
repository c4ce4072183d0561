"""Training timelapse: the landscape around the network as it trains, sigmoid against ReLU.

Two networks of the same shape (ten hidden layers of 32 on the digits, plain SGD, learning rate
0.1, 300 steps), one with sigmoid units and N(0, 1) weights, one with ReLU units and He weights.
Each view rides along with its network: at every checkpoint of the real training run (ten, one
job) the surface is the loss on a plane through the network's current weights θ_t (the same two
random directions, filter-normalized at θ_t), so the surface morphs as training goes and the
network, the ball at the centre (θ_t), is always at its own loss. Between checkpoints the
surface is blended from the two around it. The panel is the run's own per-layer gradient norm at
each training step, bars coloured by their ratio to the output layer's, and the line chart is
their history: Nielsen's chapter-5 figure as the run goes.

What to watch for: at the start the sigmoid network's first layer gets a gradient about fifty
times weaker than its output layer's (blue bars, the lines far apart in the chart). As the
output layer learns, its own gradient falls and the bars turn green, but by the end the sigmoid
network's first layer has moved 2.5 % of its weights' size against 12 % for its last layer, and
its loss is still 1.7. The ReLU network's layers stay level (green) all run, every layer moves
(34 % and 31 %), and its valley deepens to a loss near 0.

    landscape render scenes/training_timelapse.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

RUN = dict(widths=(32,) * 10, train_steps=300, train_optimizer="sgd", train_lr=0.1,
           train_checkpoints=30, span=0.5)


class TrainingTimelapse(Scene):
    """The landscape riding along with two real training runs: sigmoid/N(0,1) vs ReLU/He."""

    def construct(self):
        self.timelapse(activation="sigmoid", init="normal", kind="riding", n_checkpoints=10,
                       title="sigmoid, N(0, 1): the plane through θ_t as it trains", **RUN)
        self.timelapse(activation="relu", init="he", kind="riding", n_checkpoints=10,
                       title="ReLU, He: the plane through θ_t as it trains", **RUN)
        self.caption("Each surface rides along with its network; sigmoid: first layers' gradient ~1/50")
        self.play(Roll(steps=150), Orbit(degrees=15), run_time=6)
        self.caption("ReLU + He: every layer learns and the valley deepens; sigmoid lags at 1.7")
        self.play(Roll(steps=150), Orbit(degrees=15), run_time=6)
        self.wait(1)
