"""What the chain-rule panel shows, computed in the numerical core (no PyVista here).

For a chain of single sigmoid neurons (`landscape.chain`) at θ*, on the whole evaluation set:
each neuron's factor ``w_jσ′(z_j)`` and the running product the error meets on its way back,
as the median over samples (the typical sample; the mean of a product is not the product of
means), and the gradient of the mean loss with respect to the first bias two ways: as the
chain rule's product (`landscape.chain.ChainRule.grad_b1`, the mean over samples of
σ′(z_1)·Π w_kσ′(z_k)·∂C/∂a_L) and from ``jax.grad`` of the network's loss.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from landscape.chain import chain_rule


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
    """The panel's numbers for ``task`` (a chain model, see `landscape.chain.check_chain`)."""
    x, y = task.data.x_eval, task.data.y_eval
    c = chain_rule(task.model, task.theta, x, y)
    f = task.loss_fn()
    g = jax.grad(lambda t: f(t, x, y)[0])(jnp.asarray(task.theta))
    b1 = next(p for p in task.model.layout.params if p.role == "bias")
    return ChainView(c.weights, np.median(c.slopes, 0), np.median(c.factors, 0),
                     np.median(c.running, 0), c.grad_b1, float(g[b1.offset]))
