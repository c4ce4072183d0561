"""Networks: a layout of named parameters and pure functions of the flat vector θ.

Protocol. A `Model` holds a `Layout` and three pure functions:

  ``init(key) -> θ``                         a fresh flat float32 parameter vector;
  ``first(θ, x) -> z0``                      the first layer's pre-activation, *linear* in θ
                                             (``x·W0 + b0``), or ``None`` for opaque models;
  ``head(θ, z0, bn_stats, bn_mode) -> logits``  everything after the first layer.

``apply(θ, x) = head(θ, first(θ, x))``. The built-in networks also give
``trace(θ, z0, bn_stats, bn_mode) -> (logits, [(z, h)] per hidden layer, [(mean, var)] per
batch norm)``: the same forward pass returning what it saw, as values (`activations`,
`bn_statistics`). The split exists because the surface code exploits
``first(θ* + a·d1 + b·d2) = first(θ*) + a·first(d1) + b·first(d2)``: the first layer's product
with the whole evaluation set is computed three times instead of once per grid point.

Batch norm (``batchnorm=True``) normalizes each hidden pre-activation before the activation.
``bn_mode="batch"`` uses the statistics of the data being evaluated; ``"eval"`` uses
``bn_stats``, running statistics frozen at θ* (a list of ``(mean, var)`` per normalized layer).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from landscape.errors import LandscapeError
from landscape.nets._layout import Layout


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """A network on flat parameters; see the module docstring for the protocol.

    Attributes:
      spec: JSON-serializable description (kind, widths, activation, init, ...).
      layout: the flat-vector layout, input → output.
      output: ``"softmax"`` (cross-entropy over classes) or ``"sigmoid"`` (one logit, binary).
      macs_per_sample: multiply-adds of one plain forward pass for one sample.
      first_macs: of those, the first layer's (computed once per grid, not per point, when
        ``first_fn`` exists).
      stats_fn: ``(θ, x) -> [(mean, var), ...]``, the batch-norm statistics a model brought
        from a framework carries itself (its running averages); ``None`` for built-in networks.
      trace_fn: ``(θ, z0, bn_stats, bn_mode) -> (logits, acts, bn_used)`` for the built-in
        networks (see the module docstring); ``None`` for models brought from elsewhere.
    """

    spec: dict
    layout: Layout
    output: str
    macs_per_sample: int
    init_fn: Callable
    first_fn: Callable | None
    head_fn: Callable
    apply_fn: Callable
    n_bn: int = 0
    first_macs: int = 0
    stats_fn: Callable | None = None
    trace_fn: Callable | None = None

    @property
    def n_params(self) -> int:
        return self.layout.size

    @property
    def layers(self) -> tuple[str, ...]:
        return self.layout.layers

    def init(self, *, key) -> jax.Array:
        return self.init_fn(key)

    def apply(self, theta, x, bn_stats=None, bn_mode="batch"):
        return self.apply_fn(theta, x, bn_stats, bn_mode)

    def first(self, theta, x):
        return self.first_fn(theta, x)

    def head(self, theta, z0, bn_stats=None, bn_mode="batch"):
        return self.head_fn(theta, z0, bn_stats, bn_mode)

    def activations(self, theta, x, bn_stats=None, bn_mode="batch") -> list:
        """Each hidden layer's pre-activation ``z`` (after batch norm, when the model has it)
        and activation ``act(z)`` on ``x``, input → output (the output layer is not hidden):
        a list of ``(z, h)`` arrays ``[n, width]`` (CNN: ``[n, h, w, c]``). Built-in MLP and
        CNN only."""
        if self.spec.get("kind") not in ("mlp", "cnn") or self.trace_fn is None:
            raise LandscapeError(f"hidden activations need a built-in MLP or CNN, not "
                                 f"{self.spec.get('kind')!r}")
        return self.trace_fn(theta, self.first_fn(theta, x), bn_stats, bn_mode)[1]

    def bn_statistics(self, theta, x) -> list:
        """Per-layer ``(mean, var)`` of the normalized pre-activations on ``x`` at ``theta``."""
        if not self.n_bn:
            return []
        if self.stats_fn is not None:
            return [(jnp.asarray(m), jnp.asarray(v)) for m, v in self.stats_fn(theta, x)]
        stats = self.trace_fn(theta, self.first_fn(theta, x), None, "batch")[2]
        return [(jnp.asarray(m), jnp.asarray(v)) for m, v in stats]










