"""The state the step loop carries: one `BallState` per ball group inside a `SimState`.

Both are registered dataclasses (JAX pytrees), as jax-md's integrator states are: the step
loop maps, scans and shards them like any tuple of arrays, and every field has one meaning and
one shape, written here. n: balls in the group (with inert padding, see ``ids``); D: what a
ball optimizes (2 plane coordinates in slice mode, the P weights in projected mode); L: layers
with weights, input → output.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class BallState:
    """One group of balls.

    Attributes:
      x: float32 ``[n, D]``, what the optimizer updates: plane coordinates ``(a, b)`` or the
        network's weights θ.
      g: float32 ``[n, D]``, the gradient the next update uses: measured at ``x`` on this
        step's minibatch, clipped as the group says (see `landscape.balls._measure`), zero for an
        escaped ball.
      opt: the optax state of every ball (a pytree of ``[n, ...]`` arrays).
      ids: int32 ``[n]``, ball ids; ``-1`` marks inert padding (escaped from the start,
        never shown) that makes a group split evenly over devices.
      pos: float32 ``[n, 2]``, plane position (``x`` itself, or its least-squares projection).
      off: float32 ``[n]``, distance of θ from the plane (0 in slice mode).
      vel: float32 ``[n, 2]``, exponential average (β = 0.9) of the displacement per step.
      spd: float32 ``[n]``, exponential average of the step length.
      slow: int32 ``[n]``, consecutive still steps (settled at ``settle_steps``).
      esc: bool ``[n]``, escaped: frozen at its last finite position, with the loss and
        gradient norms measured when it escaped.
      settled: bool ``[n]``.
      loss: float32 ``[n]``, the minibatch loss at ``x``.
      gw, gb: float32 ``[n, L]``, L2 norms of each layer's weight / bias gradient (unclipped);
        ``+inf`` when that gradient is not finite (see ``overflow``).
      overflow: bool ``[n, L]``, the layer's gradient norm was not finite when last measured.
      anchor_pos: float32 ``[n, 2]``, position at the start of the current stop window.
      anchor_loss: float32 ``[n]``, loss at the start of the current stop window.
      window_disp: float32 ``[n]``, displacement over the previous stop window (NaN before
        the first full window).
      stopped: bool ``[n]``, the stop rule held at the last window boundary (full-batch
        groups only; see `landscape.balls._stepper`).
    """

    x: jax.Array
    g: jax.Array
    opt: object
    ids: jax.Array
    pos: jax.Array
    off: jax.Array
    vel: jax.Array
    spd: jax.Array
    slow: jax.Array
    esc: jax.Array
    settled: jax.Array
    loss: jax.Array
    gw: jax.Array
    gb: jax.Array
    overflow: jax.Array
    anchor_pos: jax.Array
    anchor_loss: jax.Array
    window_disp: jax.Array
    stopped: jax.Array

    @classmethod
    def fresh(cls, x, opt, ids, n_layers: int) -> "BallState":
        """New balls at ``x`` ``[n, D]`` with optax state ``opt``; measured fields are filled
        by the first measurement."""
        n = x.shape[0]
        z = lambda *s: jnp.zeros((n,) + s, jnp.float32)
        ids = jnp.asarray(ids, jnp.int32)
        return cls(x=x, g=jnp.zeros_like(x), opt=opt, ids=ids, pos=z(2), off=z(), vel=z(2),
                   spd=z(), slow=jnp.zeros(n, jnp.int32), esc=ids < 0,
                   settled=jnp.zeros(n, bool), loss=z(), gw=z(n_layers), gb=z(n_layers),
                   overflow=jnp.zeros((n, n_layers), bool), anchor_pos=z(2), anchor_loss=z(),
                   window_disp=jnp.full(n, jnp.nan, jnp.float32),
                   stopped=jnp.zeros(n, bool))

    def replace(self, **kw) -> "BallState":
        return dataclasses.replace(self, **kw)

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class SimState:
    """Everything the step loop carries.

    Attributes:
      t: int32 scalar, the step the balls are at.
      groups: one `BallState` per ball group, in the simulator's group order.
    """

    t: jax.Array
    groups: tuple

    def replace(self, **kw) -> "SimState":
        return dataclasses.replace(self, **kw)
