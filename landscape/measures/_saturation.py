"""Saturation: how each hidden layer's units are working, for one θ on a batch of data.

For every hidden layer (input → output; the output layer is not hidden) this reports the
percentiles of its activations ``h = act(z)`` over all units and samples (the bands of Glorot
and Bengio 2010, fig. 2–4) and two fractions:

* ``saturated``: the share of (sample, unit) pairs whose slope ``act′(z)`` is below
  ``threshold`` × the activation's largest slope (default 0.1: for the sigmoid
  ``σ′(z) < 0.025``, i.e. ``|z| > 3.63``, σ within 0.026 of 0 or 1; for tanh ``|z| > 1.82``). Such
  a unit passes back less than a tenth of the gradient it could. For ReLU this is the share of
  inactive pairs (``z ≤ 0``), normally about half: for ReLU read ``dead``.
* ``dead``: the share of units saturated on *every* sample of the batch (a ReLU that outputs
  zero for all inputs; a sigmoid pinned at 0 or 1): they pass back nothing at all.

A slope below the threshold is measured with the activation's own derivative (``jax.grad``),
so the definition is the same for every activation in `landscape.nets.ACTIVATIONS`.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError
from landscape.nets import ACTIVATIONS

PERCENTILES = (5, 25, 50, 75, 95)
THRESHOLD = 0.1


@dataclasses.dataclass
class ActivationStats:
    """Per hidden layer statistics (H hidden layers, Q percentiles).

    Attributes:
      layers: H layer names, input → output.
      percentiles: the Q percentile levels (e.g. 5, 25, 50, 75, 95).
      values: float64 ``[H, Q]``, those percentiles of ``act(z)`` over samples and units.
      mean, std: float64 ``[H]``, of ``act(z)``.
      saturated: float64 ``[H]``, share of (sample, unit) pairs with ``act′(z) <
        threshold·max act′``; dead: float64 ``[H]``, share of units saturated on every sample.
      activation: the activation's name; threshold: the factor; slope_max: ``max act′``;
      n_samples: rows of the batch.
    """

    layers: list
    percentiles: tuple
    values: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    activation: str
    threshold: float
    slope_max: float
    n_samples: int

    def to_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in dataclasses.asdict(self).items()}


@functools.lru_cache(maxsize=None)
def slope_max(activation: str) -> float:
    """The largest slope ``max_z act′(z)`` (sigmoid 1/4, tanh 1, ReLU 1, GELU ≈ 1.13), found on a
    fine grid of z ∈ [-20, 20]."""
    d = jax.vmap(jax.grad(ACTIVATIONS[activation]))(jnp.linspace(-20.0, 20.0, 400_001))
    return float(jnp.max(jnp.abs(d)))


def activation_stats(task, theta=None, x=None, *, percentiles=PERCENTILES,
                     threshold: float = THRESHOLD) -> ActivationStats:
    """Statistics of ``task``'s hidden layers at ``theta`` (default θ*) on ``x`` (default the
    evaluation data), under the task's batch-norm policy (statistics recomputed at ``theta``).
    Built-in MLP and CNN only."""
    model = task.model
    if not 0 < threshold < 1:
        raise LandscapeError(f"the saturation threshold must be in (0, 1), got {threshold}")
    act_name = model.spec.get("activation")
    if act_name not in ACTIVATIONS or model.spec.get("kind") not in ("mlp", "cnn"):
        raise LandscapeError("activation statistics need a built-in MLP or CNN")
    if theta is not None:
        task = task.at(theta)
    x = task.data.x_eval if x is None else x
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats] or None
    acts = jax.jit(lambda t, xx: model.activations(t, xx, stats, task.bn_policy))(
        jnp.asarray(task.theta), jnp.asarray(x))
    dact = jax.vmap(jax.grad(ACTIVATIONS[act_name]))
    smax = slope_max(act_name)
    H = len(acts)
    names = [n for n in _hidden_names(model)][:H]
    q = tuple(float(p) for p in percentiles)
    values, mean, std, sat, dead = np.zeros((H, len(q))), *(np.zeros(H) for _ in range(4))
    for i, (z, h) in enumerate(acts):
        z = jnp.reshape(z, (z.shape[0], -1))
        h = np.asarray(h, np.float64).reshape(h.shape[0], -1)
        slow = np.asarray(jnp.abs(dact(z.ravel())).reshape(z.shape) < threshold * smax)
        values[i] = np.percentile(h, q)
        mean[i], std[i] = h.mean(), h.std()
        sat[i] = slow.mean()
        dead[i] = slow.all(0).mean()
    return ActivationStats(names, q, values, mean, std, sat, dead, act_name, float(threshold),
                           smax, int(np.shape(x)[0]))


def _hidden_names(model) -> list[str]:
    from landscape.nets import weight_layers

    return weight_layers(model.layout)[:-1]
