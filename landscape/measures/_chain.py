"""The chain rule on a chain of single neurons (Nielsen, *Neural Networks and Deep Learning*,
ch. 5, "What's causing the vanishing gradient problem?").

A network whose every layer has one neuron, ``z_j = w_j·a_{j-1} + b_j``, ``a_j = σ(z_j)``
(j = 1 … L; the last neuron is the sigmoid output of a binary classifier, ``a_0`` the input,
which may have several features: then ``w_1`` is a vector, and it never enters the product).
Back-propagation gives, for one sample,

    ∂C/∂b_1 = σ′(z_1) · w_2σ′(z_2) · w_3σ′(z_3) ⋯ w_Lσ′(z_L) · ∂C/∂a_L,

and in general ``∂C/∂b_j = σ′(z_j) · Π_{k>j} w_kσ′(z_k) · ∂C/∂a_L``. With σ′ ≤ 1/4 and weights
|w| < 4 every factor ``w_kσ′(z_k)`` is below one in size, so the product, and the early
neurons' gradient, shrinks with depth: the vanishing gradient in one line. `chain_rule` returns
each factor, their running products and the resulting gradients; the tests check them against
``jax.grad``.

What the chain-rule panel shows (`chain_view`), at θ* on the whole evaluation set: each
neuron's factor ``w_jσ′(z_j)`` and the running product the error meets on its way back, as the
median over samples (the typical sample; the mean of a product is not the product of means),
and the gradient of the mean loss with respect to the first bias two ways: as the chain rule's
product (`ChainRule.grad_b1`, the mean over samples of σ′(z_1)·Π w_kσ′(z_k)·∂C/∂a_L) and from
``jax.grad`` of the network's loss.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError


@dataclasses.dataclass
class ChainRule:
    """One chain of L single neurons on n samples (float64 throughout).

    Attributes:
      z, a: ``[n, L]``, each neuron's pre-activation and activation (``a[:, -1]`` is the
        network's output probability).
      weights: ``[L]``, ``w_j`` (``w_1``: the norm of the first neuron's input weights when
        the input has several features); biases: ``[L]``.
      slopes: ``[n, L]``, ``σ′(z_j)``.
      factors: ``[n, L-1]``, ``w_jσ′(z_j)`` for j = 2 … L (column j-2).
      running: ``[n, L]``, ``running[:, j] = Π_{k>j} w_kσ′(z_k)`` (neuron j+1 in 1-based
        terms; 1 for the output neuron): the products the error meets on its way back.
      dC_da: ``[n]``, ``∂C/∂a_L`` of the per-sample binary cross-entropy.
      grad_b: ``[n, L]``, ``∂C/∂b_j = σ′(z_j)·running_j·∂C/∂a_L`` per sample.
      grad_b_mean: ``[L]``, their mean: the gradient of the mean loss, what training uses.
    """

    z: np.ndarray
    a: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    slopes: np.ndarray
    factors: np.ndarray
    running: np.ndarray
    dC_da: np.ndarray
    grad_b: np.ndarray
    grad_b_mean: np.ndarray

    @property
    def grad_b1(self) -> float:
        """∂C/∂b_1 of the mean loss, as the product."""
        return float(self.grad_b_mean[0])


def check_chain(model) -> int:
    """The number of neurons L of a chain model (all widths 1, one sigmoid output, sigmoid
    activations); raises `LandscapeError` for any other model."""
    spec = model.spec
    if spec.get("kind") != "mlp" or any(w != 1 for w in spec.get("widths", [])) \
            or spec.get("output") != "sigmoid" or spec.get("activation") != "sigmoid" \
            or spec.get("batchnorm") or spec.get("skip"):
        raise LandscapeError("the chain rule view needs a chain of single sigmoid neurons: "
                             "an MLP with widths 1,1,…, sigmoid activation and sigmoid output, "
                             "without batch norm or skips")
    return len(spec["widths"]) + 1


def chain_rule(model, theta, x, y) -> ChainRule:
    """Every factor of ∂C/∂b_j for a chain model (see `check_chain`) at ``theta`` on samples
    ``x [n, d]`` with binary labels ``y [n]``."""
    L = check_chain(model)
    theta = jnp.asarray(np.asarray(theta, np.float32).reshape(-1))
    x = jnp.asarray(x, jnp.float32)
    hidden = model.activations(theta, x)
    z_out = model.apply(theta, x)[:, 0]
    z = np.stack([np.asarray(zz, np.float64)[:, 0] for zz, _ in hidden]
                 + [np.asarray(z_out, np.float64)], 1)                          # [n, L]
    a = 1.0 / (1.0 + np.exp(-z))
    slopes = a * (1.0 - a)
    P = model.layout.unflatten(np.asarray(theta, np.float64))
    w = np.array([np.linalg.norm(P["dense_0"]["w"])] +
                 [float(P[f"dense_{j}"]["w"][0, 0]) for j in range(1, L)])
    b = np.array([float(P[f"dense_{j}"]["b"][0]) for j in range(L)])
    factors = w[None, 1:] * slopes[:, 1:]                                       # [n, L-1]
    running = np.ones_like(z)
    for j in range(L - 2, -1, -1):
        running[:, j] = running[:, j + 1] * factors[:, j]
    yf = np.asarray(y, np.float64)
    dC_da = (a[:, -1] - yf) / np.maximum(slopes[:, -1], 1e-300)   # BCE: (a − y) / (a(1 − a))
    grad_b = slopes * running * dC_da[:, None]
    return ChainRule(z, a, w, b, slopes, factors, running, dC_da, grad_b, grad_b.mean(0))


@dataclasses.dataclass
class ChainView:
    """Attributes: weights ``[L]``; slopes, the median σ′(z_j) ``[L]``; factors, the median
    ``w_jσ′(z_j)`` ``[L-1]`` (j = 2 … L); running, the median product ``Π_{k>j} w_kσ′(z_k)``
    ``[L]``; grad_b1 (the product's mean) and grad_b1_autodiff (``jax.grad``)."""

    weights: np.ndarray
    slopes: np.ndarray
    factors: np.ndarray
    running: np.ndarray
    grad_b1: float
    grad_b1_autodiff: float


def chain_view(task) -> ChainView:
    """The panel's numbers for ``task`` (a chain model, see `landscape.measures._chain.check_chain`)."""
    x, y = task.data.x_eval, task.data.y_eval
    c = chain_rule(task.model, task.theta, x, y)
    f = task.loss_fn()
    g = jax.grad(lambda t: f(t, x, y)[0])(jnp.asarray(task.theta))
    b1 = next(p for p in task.model.layout.params if p.role == "bias")
    return ChainView(c.weights, np.median(c.slopes, 0), np.median(c.factors, 0),
                     np.median(c.running, 0), c.grad_b1, float(g[b1.offset]))
