"""The chain rule: a chain of single sigmoid neurons, and why its first neuron learns slowest.

The network of Nielsen's chapter 5 and of the classic "vanishing gradient" lecture: one neuron
per layer, five in all (four sigmoid neurons and a sigmoid output), on the two moons, N(0, 1)
weights, untrained. Back-propagation multiplies the error by one factor per neuron on its way
to the first one:

    ∂C/∂b₁ = σ′(z₁) · w₂σ′(z₂) · w₃σ′(z₃) · w₄σ′(z₄) · w₅σ′(z₅) · ∂C/∂a₅

and σ′ is at most 1/4, so with weights of everyday size every factor is below one: "a fourth of
a third is a twelfth". The panel is that product, neuron by neuron back from the output (the
median over the samples at θ*): each weight, each slope, each factor and the product so far,
and at the bottom ∂C/∂b₁ as the product and from autodiff (``jax.grad``), equal. The balls roll
on a plane of this network's weight space; the gradient panel is replaced by the table.

What to watch for: the "product so far" column falling by an order of magnitude or more by the
first neuron, and the two values of ∂C/∂b₁ agreeing.

    landscape render scenes/chain_rule.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene


class ChainRule(Scene):
    """A chain of five single sigmoid neurons: the chain rule's factors and their product."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(1, 1, 1, 1), activation="sigmoid",
                              init="normal", output="sigmoid", train_steps=0, panel="chain",
                              title="5 single sigmoid neurons in a chain, N(0, 1), two moons")
        land.balls(name="SGD, lr 0.5", n=100, optimizer="sgd", lr=0.5, batch_size=64)
        self.caption("One neuron per layer: the gradient of the first is a product of factors")
        self.play(Roll(steps=80), Orbit(degrees=15), run_time=5)
        self.caption("Each factor w·σ′(z) has σ′ ≤ 1/4: the product shrinks toward the input")
        self.play(Roll(steps=80), Orbit(degrees=15), run_time=5)
        self.wait(1)
