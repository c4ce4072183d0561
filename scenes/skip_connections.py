"""Skip connections: a deep plain network against the same depth with residual connections.

Both are 20 tanh layers deep (16 units each) with Xavier initialization and get the same 300 plain SGD steps.
The plain network's landscape is rough, with side valleys, and it has barely trained; adding
the input of every layer to its output (a residual connection, as in ResNets) gives a smooth
single valley and a network that trains far better. Li et al. (2018) made this comparison
famous for convolutional networks; here it is for an MLP on digits.

    landscape render scenes/skip_connections.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(16,) * 20, activation="tanh", init="xavier", train_steps=300,
           train_optimizer="sgd", train_lr=0.05)


class SkipConnections(Scene):
    """20 layers deep: plain vs residual."""

    def construct(self):
        for skip, name in ((False, "plain"), (True, "residual")):
            land = self.landscape(skip=skip, **NET, title=f"20 tanh layers, {name}")
            land.balls(name="SGD, lr 0.05", n=120, optimizer="sgd", lr=0.05, batch_size=32)
        self.caption("The same depth and training, without (left) and with skip connections")
        self.play(Roll(steps=150), Orbit(degrees=30), run_time=5)
        self.caption("Residual connections: a smooth valley, and a far lower loss")
        self.play(Roll(steps=150), Orbit(degrees=15), run_time=4)
        self.wait(1)
