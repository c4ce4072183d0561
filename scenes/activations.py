"""Activations: sigmoid, tanh, ReLU and leaky ReLU in the same deep network.

Four copies of a 6-hidden-layer network, Xavier initialization, each trained for the same 300
plain SGD steps. The sigmoid network has not learned at all (its gradients vanish toward the
input: look at its panel), tanh has, and ReLU and leaky ReLU went furthest, into deep valleys.

    landscape render scenes/activations.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32, 32, 32, 32, 32, 32), init="xavier", train_steps=300,
           train_optimizer="sgd", train_lr=0.05)


class Activations(Scene):
    """Sigmoid, tanh, ReLU and leaky ReLU side by side after the same training."""

    def construct(self):
        for act, name in (("sigmoid", "sigmoid"), ("tanh", "tanh"), ("relu", "ReLU"),
                          ("leaky_relu", "leaky ReLU")):
            land = self.landscape(activation=act, **NET, title=f"{name}, 300 SGD steps")
            land.balls(name="SGD, lr 0.02", n=80, optimizer="sgd", lr=0.02, batch_size=32)
        self.caption("The same network and training with four activation functions")
        self.play(Roll(steps=100), Orbit(degrees=30), run_time=5)
        self.caption("Sigmoid never left the plateau: its gradients vanish toward the input")
        self.play(Roll(steps=100), Orbit(degrees=15), run_time=4)
        self.wait(1)
