"""The chain rule on single-neuron chains (the product equals autodiff's gradient), and the
gradient-flow ratios a panel colours by (vanishing for the deep sigmoid net, balanced for
ReLU/He)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape.errors import LandscapeError
from landscape.measures import _flow as flow
from landscape.measures._chain import chain_rule, check_chain
from landscape.measures._gradients import layer_gradient_norms
from landscape.pipeline._config import LandscapeConfig


def autodiff_bias_grads(task):
    f = task.loss_fn()
    g = jax.grad(lambda t: f(t, task.data.x_eval, task.data.y_eval)[0])(jnp.asarray(task.theta))
    return np.array([float(g[p.offset]) for p in task.model.layout.params if p.role == "bias"])


@pytest.mark.parametrize("dataset, classes, widths", [
    ("moons", None, (1, 1, 1)),           # Nielsen's four neurons
    ("moons", None, (1, 1, 1, 1)),
    ("digits", (0, 1), (1, 1, 1)),         # 64 inputs into the first neuron
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_product_equals_autodiff(dataset, classes, widths, seed):
    cfg = LandscapeConfig(dataset=dataset, classes=classes, widths=widths, activation="sigmoid",
                          init="normal", output="sigmoid", train_steps=0, seed=seed)
    task = cfg.build_task()
    c = chain_rule(task.model, task.theta, task.data.x_eval, task.data.y_eval)
    L = len(widths) + 1
    assert c.factors.shape == (len(task.data.y_eval), L - 1)
    np.testing.assert_allclose(c.grad_b_mean, autodiff_bias_grads(task), rtol=1e-4, atol=1e-9)
    # Nielsen's formula for b_1, spelled out from a numpy forward pass
    P = task.model.layout.unflatten(task.theta.astype(np.float64))
    a = task.data.x_eval.astype(np.float64)
    zs = []
    for j in range(L):
        z = a @ P[f"dense_{j}"]["w"] + P[f"dense_{j}"]["b"]
        zs.append(z[:, 0])
        a = 1 / (1 + np.exp(-z))
    sp = [1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z))) for z in zs]
    prod = sp[0].copy()
    for j in range(1, L):
        prod *= P[f"dense_{j}"]["w"][0, 0] * sp[j]
    y = task.data.y_eval
    aL = 1 / (1 + np.exp(-zs[-1]))
    prod *= (aL - y) / (aL * (1 - aL))                        # ∂C/∂a_L of cross-entropy
    assert c.grad_b1 == pytest.approx(prod.mean(), rel=1e-5, abs=1e-12)
    np.testing.assert_allclose(c.factors[:, 0], P["dense_1"]["w"][0, 0] * sp[1], rtol=1e-5)
    assert np.all(np.abs(c.factors) <= np.abs(c.weights[1:]) / 4 + 1e-12)   # σ′ ≤ 1/4
    np.testing.assert_allclose(c.running[:, 0], np.prod(c.factors, 1), rtol=1e-9)


def test_chain_needs_a_chain():
    cfg = LandscapeConfig(dataset="moons", widths=(2, 1), activation="sigmoid",
                          output="sigmoid", train_steps=0)
    with pytest.raises(LandscapeError, match="chain of single sigmoid neurons"):
        check_chain(cfg.build_model(cfg.build_data()))


def test_bands_on_synthetic_norms():
    fall = np.geomspace(1 / 40, 1, 11)                       # a 40× fall over ten layers
    bands = flow.classify(fall)
    assert bands[0] == "vanishing" and bands[-1] == "balanced"
    assert flow.verdict(fall) == "vanishing"
    assert flow.verdict(np.geomspace(0.5, 1, 11)) == "balanced"
    assert flow.verdict([20.0, 5.0, 1.0]) == "exploding"
    assert list(flow.classify([0.2, 4.0, 1.0])) == ["fading", "growing", "balanced"]
    np.testing.assert_allclose(flow.log_ratios([0.01, 1.0]), [-2, 0])
    assert np.isnan(flow.ratios([1.0, 0.0])).all() and flow.verdict([1.0, 0.0]) == "undefined"
    np.testing.assert_allclose(flow.ratios([[2.0, 4.0], [1.0, 1.0]]), [[0.5, 1], [1, 1]])


@pytest.mark.parametrize("act, init, want", [("sigmoid", "normal", "vanishing"),
                                              ("relu", "he", "balanced")])
def test_deep_networks_at_init(act, init, want):
    """Measured (seed 0, full batch): sigmoid N(0,1) ratios 0.010 … 0.60, 1 (a 100× fall);
    ReLU/He 0.74 … 1.7."""
    task = LandscapeConfig(widths=(32,) * 10, activation=act, init=init,
                           train_steps=0).build_task()
    gw, _ = layer_gradient_norms(task, task.theta)
    assert flow.verdict(gw) == want
    if want == "vanishing":
        assert flow.classify(gw)[0] == "vanishing" and flow.ratios(gw)[0] < 0.05
    else:
        assert set(flow.classify(gw)) == {"balanced"}
