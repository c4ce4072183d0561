"""Gradients of a network's minibatch loss, per ball, with clipping and per-layer norms.

Protocol. A *measure* evaluates many balls at once:

  ``measure(consts, x [N, D], idx [N, B] | None, norms: bool) -> Measurement``

``x`` is what a ball optimizes: plane coordinates ``(a, b)`` (``D = 2``, slice mode) or a full
weight vector θ (``D = P``, projected mode). ``idx`` holds each ball's minibatch (row indices of
the evaluation data), or ``None`` for the full batch. A `Measurement` holds the minibatch loss
``[N]``, the gradient ``[N, D]`` the optimizer will use, and the L2 norm of each layer's weight
and bias gradient ``[N, L]`` (input → output) with ``fresh [N]`` saying whether they were
measured on this call (a measure may skip them when ``norms=False``).

What the gradient means. Let ``g = ∇θL`` be the weight-space gradient of the ball's minibatch
loss at its weights θ (every parameter: weights, biases, batch-norm scale and shift).

* Clipping (a `Clip`) acts on ``g``, exactly as ``optax.chain(optax.clip_by_global_norm(C),
  optax.clip(v))`` would act on the network's gradient: first ``g ← g · C/‖g‖`` when
  ``‖g‖ ≥ C`` (the global norm over all P parameters), then ``g ← clip(g, −v, v)``
  elementwise.
* Slice mode: the ball's gradient is the projection of that (clipped) ``g`` onto the plane,
  ``(g·d1, g·d2)`` at ``θ = θ* + a·d1 + b·d2``. With clipping by norm alone this is the
  unclipped plane gradient scaled by ``min(1, C/‖g‖)``.
* Projected mode: the ball's gradient is ``g`` itself; clipping is applied by the group's
  optax chain (`landscape.balls._groups.BallGroup.transform`), with the same meaning.
* The per-layer norms are always those of the *unclipped* ``g`` the clip was computed from.

Two implementations of the slice-mode measure give the same numbers: `generic_measure` (any
model: ``vmap`` over balls of ``grad`` at each ball's own θ) and
`landscape.balls._stacked.stacked_measure` (the built-in MLPs, far faster).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from landscape.nets import layer_segments, scaled_norm, segment_norms

# rows (balls × batch) handled at once inside lax.map: bounds memory, keeps each chunk's
# tensors in the 2 MiB L2. Measured on the reference MLP, 1000 balls × batch 64, 2 host devices
# (benchmarks/dynamics.py): 512 rows 51 steps/s, 1024 rows 51, 2048 rows ≈ 47; with the old
# all-stacked forward, 2048 → 512 rows alone gave 36 → 40 steps/s.
ROWS_PER_CHUNK = 512


class Measurement(NamedTuple):
    """What a measure returns for N balls (see the module docstring)."""

    loss: jax.Array    # [N]
    grad: jax.Array    # [N, D], clipped as the group says
    gw: jax.Array      # [N, L], unclipped; +inf where not finite
    gb: jax.Array      # [N, L]
    fresh: jax.Array   # bool [N]: gw/gb were measured on this call


@dataclasses.dataclass(frozen=True)
class Clip:
    """Gradient clipping of the network's weight-space gradient (see the module docstring).

    Attributes:
      norm: clip to this global L2 norm over all parameters (``None``: off).
      value: then clip each entry to ``[-value, value]`` (``None``: off).
    """

    norm: float | None = None
    value: float | None = None

    @property
    def active(self) -> bool:
        return self.norm is not None or self.value is not None

    def scale(self, g, total):
        """``g`` (any shape, leading ball axis) scaled as optax's ``clip_by_global_norm``
        scales it, given each ball's global norm ``total [N]``."""
        if self.norm is None:
            return g
        t = total.reshape((-1,) + (1,) * (g.ndim - 1))
        return jnp.where(t < self.norm, g, g / t * self.norm)

    def apply(self, g, total):
        """Both steps on ``g`` (entries of the weight-space gradient, leading ball axis)."""
        g = self.scale(g, total)
        return g if self.value is None else jnp.clip(g, -self.value, self.value)

    def describe(self, mode: str) -> str | None:
        """One line saying what is clipped, stamped on trajectories."""
        if not self.active:
            return None
        parts = ([f"to global norm {self.norm:g} (all parameters)"] if self.norm is not None
                 else []) + ([f"to ±{self.value:g} per entry"] if self.value is not None else [])
        where = ("then projected onto the plane (the optimizer sees the projection)"
                 if mode == "slice" else "by the optax chain before the optimizer")
        return "the weight-space gradient ∇θL is clipped " + ", then ".join(parts) + ", " + where


NO_CLIP = Clip()


# ---------------------------------------------------------------- per-layer bookkeeping


def chunked(measure, n_rows_per_ball: int, rows: int = ROWS_PER_CHUNK):
    """Wrap a measure so that balls are processed ``c`` at a time with ``lax.map`` (``c`` chosen
    so that ``c × rows per ball ≈ rows``); pads the ball axis to a multiple of ``c``."""
    c_max = max(1, rows // max(1, n_rows_per_ball))

    def f(consts, x, idx, norms=True):
        n = x.shape[0]
        if n <= c_max:
            return measure(consts, x, idx, norms)
        n_chunks = -(-n // c_max)
        c = -(-n // n_chunks)           # even chunks: less padding
        pad = n_chunks * c - n

        def padded(a):
            a = jnp.concatenate([a, jnp.repeat(a[-1:], pad, 0)]) if pad else a
            return a.reshape((n_chunks, c) + a.shape[1:])

        xs = (padded(x), None if idx is None else padded(idx))
        out = jax.lax.map(lambda xi: measure(consts, xi[0], xi[1], norms), xs)
        return jax.tree.map(lambda a: a.reshape((n_chunks * c,) + a.shape[2:])[:n], out)

    return f


# ---------------------------------------------------------------- generic (any model)

def generic_consts(task, plane=None) -> dict:
    c = {"x": jnp.asarray(task.data.x_eval), "y": jnp.asarray(task.data.y_eval),
         "theta": jnp.asarray(task.theta, jnp.float32)}
    if plane is not None:
        c["d1"] = jnp.asarray(plane.d1, jnp.float32)
        c["d2"] = jnp.asarray(plane.d2, jnp.float32)
    return c


def weight_gradients(task):
    """``f(consts, θ [N, P], idx) -> (loss [N], ∇θL [N, P], gw [N, L], gb [N, L])``: the
    unclipped weight-space gradient of each ball's minibatch loss and its per-layer norms."""
    f = task.loss_fn()
    names, seg_w, seg_b = layer_segments(task.model.layout)
    L = len(names)
    seg_w, seg_b = jnp.asarray(seg_w), jnp.asarray(seg_b)

    def one(theta, xb, yb):
        (loss, _), g = jax.value_and_grad(f, has_aux=True)(theta, xb, yb)
        return loss, g, segment_norms(g, seg_w, L), segment_norms(g, seg_b, L)

    def grads(consts, theta, idx):
        if idx is None:
            return jax.vmap(one, (0, None, None))(theta, consts["x"], consts["y"])
        return jax.vmap(one)(theta, consts["x"][idx], consts["y"][idx])

    return grads


def weight_measure(task):
    """Projected-mode measure for full weight vectors ``x = θ [N, P]``: the unclipped ∇θL
    (the group's optax chain clips it)."""
    grads = weight_gradients(task)

    def measure(consts, theta, idx, norms=True):
        loss, g, gw, gb = grads(consts, theta, idx)
        return Measurement(loss, g, gw, gb, jnp.ones(loss.shape, bool))

    return measure


def global_norm(g):
    """Per-ball L2 norm of ``g [N, P]`` over all its entries (``optax.global_norm``, without
    its overflow for norms over ~1.8e19)."""
    return scaled_norm(g, -1)


def generic_measure(task, clip: Clip = NO_CLIP):
    """Slice-mode measure for any model: each ball's θ = θ* + a·d1 + b·d2, its ∇θL, clipped,
    then ``(g·d1, g·d2)``."""
    grads = weight_gradients(task)

    def measure(consts, ab, idx, norms=True):
        theta = consts["theta"] + ab[:, :1] * consts["d1"] + ab[:, 1:] * consts["d2"]
        loss, g, gw, gb = grads(consts, theta, idx)
        if clip.active:
            g = clip.apply(g, global_norm(g))
        gab = jnp.stack([g @ consts["d1"], g @ consts["d2"]], -1)
        return Measurement(loss, gab, gw, gb, jnp.ones(loss.shape, bool))

    return measure
