"""Per-layer norms of a vector shaped like θ (a gradient, an update), computed without
overflow: a float32 gradient of 1e20 has a finite norm even though its plain sum of squares
overflows (above ~1.8e19); a norm that is not finite is ``+inf``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from landscape.nets._layout import Layout


def layer_segments(layout: Layout) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Layer names that have weights or biases (input → output), and ``[P]`` int32 indices of
    the layer each weight entry (``seg_w``) and bias entry (``seg_b``) belongs to; other
    entries (batch-norm scale/shift, the other role) get index ``L`` (dropped). The layer index
    is `Layout.segments`'s over weights and biases (the one definition)."""
    names, seg = layout.segments(("weight", "bias"))
    L = len(names)
    seg_w = np.where(layout.mask(("weight",)), seg, L).astype(np.int32)
    seg_b = np.where(layout.mask(("bias",)), seg, L).astype(np.int32)
    return names, seg_w, seg_b


def segment_norms(g, seg, n_layers: int):
    """L2 norms of the entries of ``g [..., P]`` in each of ``n_layers`` segments (``seg [P]``;
    index ``n_layers`` is dropped), computed without overflow (see `scaled_norm`); ``+inf``
    where a segment is not finite."""
    gt = jnp.moveaxis(g, -1, 0)
    big = jax.ops.segment_max(jnp.abs(gt), seg, num_segments=n_layers + 1)     # [L+1, ...]
    big = jnp.where(big > 0, big, 1.0)
    sq = jax.ops.segment_sum((gt / big[seg]) ** 2, seg, num_segments=n_layers + 1)
    return finite_or_inf(jnp.moveaxis((big * jnp.sqrt(sq))[:n_layers], 0, -1))


def scaled_norm(g, axes):
    """The L2 norm of ``g`` over ``axes``, scaled by its largest entry first so that a finite
    gradient of 1e20 has a finite norm (its plain sum of squares overflows float32);
    ``+inf`` when ``g`` is not finite."""
    big = jnp.max(jnp.abs(g), axes, keepdims=True)
    big = jnp.where(big > 0, big, 1.0)
    n = jnp.squeeze(big, axes) * jnp.sqrt(jnp.sum((g / big) ** 2, axes))
    return finite_or_inf(n)


def combined_norm(norms, axis=-1):
    """``sqrt(Σ norms²)`` along ``axis`` without overflow (the global norm from per-part
    norms)."""
    big = jnp.max(norms, axis, keepdims=True)
    big = jnp.where(big > 0, big, 1.0)
    return finite_or_inf(jnp.squeeze(big, axis) * jnp.sqrt(jnp.sum((norms / big) ** 2, axis)))


def finite_or_inf(v):
    """Norms as recorded: a non-finite norm (a NaN or inf in the gradient) is ``+inf``."""
    return jnp.where(jnp.isfinite(v), v, jnp.inf)
