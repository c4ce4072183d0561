"""A first landscape: the two-layer network Yh = sigmoid(W2·relu(W1·X + b1) + b2) on two moons.

Hundreds of balls, each a real SGD run on its own minibatches, roll from all over the plane
into the valley where the trained network sits (at the centre, a = b = 0). Watch the loss
bars of the two layers in the panel shrink as the balls reach the valley floor.

    landscape render scenes/two_layer_network.py -q medium -o landscape.mp4
"""

from landscape.scene import Orbit, Roll, Scene


class TwoLayerNetwork(Scene):
    """Balls rolling into the valley of a two-layer network trained on two moons."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(16,), activation="relu", output="sigmoid",
                              train_steps=300, span=1.0,
                              title="Yh = sigmoid(W2·relu(W1·X + b1) + b2), two moons")
        land.balls(name="SGD, lr 0.02", n=300, optimizer="sgd", lr=0.02, batch_size=32)
        self.caption("Each ball is a copy of the network trained by SGD on its own minibatches")
        self.play(Roll(steps=150), Orbit(degrees=45), run_time=6)
        self.caption("They all end up in the valley where the trained network sits")
        self.play(Roll(steps=100), Orbit(degrees=30), run_time=3)
        self.wait(1)
