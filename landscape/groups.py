"""Ball groups: the settings a set of balls shares (optimizer, learning rate, minibatch,
clipping, start), their validation, and where the balls start.

A `BallGroup` turns into an optax transformation (`BallGroup.transform`): optional clipping by
global norm and/or by value, then the optimizer, applied to each ball on its own.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscape.errors import LandscapeError, choice

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
STARTS = ("uniform", "ring", "grid", "points")
ORIGINS = ("plane", "init")


def _positive(what, v, allow_none=False):
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(v)) or float(v) <= 0:
        raise LandscapeError(f"{what} must be a positive finite number, got {v!r}")


def _unit(what, v):
    if not (isinstance(v, (int, float, np.integer, np.floating)) and 0 <= float(v) < 1):
        raise LandscapeError(f"{what} must be in [0, 1), got {v!r}")


@dataclasses.dataclass(frozen=True)
class BallGroup:
    """Balls sharing one optimizer and its settings.

    Attributes:
      name: label (legends, census ``by_group``).
      optimizer: one of `OPTIMIZERS`; lr: learning rate (> 0).
      batch_size: minibatch rows per ball per step; ``None`` or the data size = full batch
        (plain gradient descent); larger than the data is an error.
      clip_norm: clip each ball's gradient to this global norm; clip_value: to ±this per entry.
      n: number of balls (ignored for ``start="points"``).
      start: ``uniform`` (random over the span), ``ring`` (evenly on an ellipse of ``radius`` ×
        the half-span around the centre), ``grid`` (cell centres of a ⌈√n⌉² grid), ``points``.
      points: ``[(a, b), ...]`` when ``start == "points"``.
      momentum: for ``momentum``/``nesterov``; b1, b2, eps: Adam; decay, eps: RMSProp.
      origin: projected mode only — ``plane`` starts at θ* + a0·d1 + b0·d2, ``init`` at a fresh
        initialization of the network (one per ball).
    """

    name: str = "sgd"
    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int | None = 64
    clip_norm: float | None = None
    clip_value: float | None = None
    n: int = 200
    start: str = "uniform"
    points: tuple | None = None
    momentum: float = 0.9
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    decay: float = 0.9
    radius: float = 0.8
    origin: str = "plane"

    @property
    def compilations(self) -> int:
        """How many times the step loop of this configuration has been traced (test hook)."""
        return self._prog.traces

    @property
    def n_balls(self) -> int:
        return len(self.points) if self.start == "points" and self.points is not None else int(self.n)

    def check(self, n_data: int | None = None) -> "BallGroup":
        """Raise a one-line `LandscapeError` on any bad setting; return self."""
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("start", self.start, STARTS)
        choice("origin", self.origin, ORIGINS)
        _positive("learning rate", self.lr)
        _positive("clip norm", self.clip_norm, allow_none=True)
        _positive("clip value", self.clip_value, allow_none=True)
        _positive("Adam/RMSProp eps", self.eps)
        _positive("ring radius", self.radius)
        for what in ("momentum", "b1", "b2", "decay"):
            _unit(what, getattr(self, what))
        if self.batch_size is not None:
            if isinstance(self.batch_size, bool) or int(self.batch_size) != self.batch_size \
                    or self.batch_size < 1:
                raise LandscapeError(f"batch size must be a positive integer, got {self.batch_size!r}")
            if n_data is not None and self.batch_size > n_data:
                raise LandscapeError(f"batch size {self.batch_size} is larger than the data "
                                     f"({n_data} samples); use at most {n_data} (full batch)")
        if self.start == "points":
            pts = np.asarray(self.points if self.points is not None else [], np.float64)
            if pts.size == 0:
                raise LandscapeError("start='points' needs at least one (a, b) point")
            if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
                raise LandscapeError("points must be finite (a, b) pairs")
        elif isinstance(self.n, bool) or int(self.n) != self.n or self.n < 1:
            raise LandscapeError(f"a group needs at least one ball, got n={self.n!r}")
        return self

    def transform(self) -> optax.GradientTransformation:
        """The optax transformation: clipping (if any), then the optimizer."""
        opt = {
            "sgd": lambda: optax.sgd(self.lr),
            "momentum": lambda: optax.sgd(self.lr, momentum=self.momentum),
            "nesterov": lambda: optax.sgd(self.lr, momentum=self.momentum, nesterov=True),
            "adam": lambda: optax.adam(self.lr, b1=self.b1, b2=self.b2, eps=self.eps),
            "rmsprop": lambda: optax.rmsprop(self.lr, decay=self.decay, eps=self.eps),
            "adagrad": lambda: optax.adagrad(self.lr),
        }[self.optimizer]()
        parts = []
        if self.clip_norm is not None:
            parts.append(optax.clip_by_global_norm(float(self.clip_norm)))
        if self.clip_value is not None:
            parts.append(optax.clip(float(self.clip_value)))
        return optax.chain(*parts, opt) if parts else opt

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["points"] = None if self.points is None else [[float(a), float(b)] for a, b in self.points]
        d["n"] = self.n_balls
        return d


def start_positions(group: BallGroup, span, *, key) -> np.ndarray:
    """Starting ``(a, b)`` of a group's balls, float32 ``[n, 2]``; ``span`` is
    ``(a_min, a_max, b_min, b_max)``."""
    a0, a1, b0, b1 = (float(s) for s in span)
    n = group.n_balls
    if group.start == "points":
        return np.asarray(group.points, np.float32).reshape(-1, 2)
    if group.start == "uniform":
        u = np.asarray(jax.random.uniform(key, (n, 2)), np.float64)
        return np.stack([a0 + u[:, 0] * (a1 - a0), b0 + u[:, 1] * (b1 - b0)], 1).astype(np.float32)
    if group.start == "ring":
        t = 2 * np.pi * np.arange(n) / n
        ca, cb = (a0 + a1) / 2, (b0 + b1) / 2
        ra, rb = group.radius * (a1 - a0) / 2, group.radius * (b1 - b0) / 2
        return np.stack([ca + ra * np.cos(t), cb + rb * np.sin(t)], 1).astype(np.float32)
    m = int(math.ceil(math.sqrt(n)))
    c = (np.arange(m) + 0.5) / m
    A, B = np.meshgrid(a0 + c * (a1 - a0), b0 + c * (b1 - b0), indexing="ij")
    return np.stack([A.ravel(), B.ravel()], 1)[:n].astype(np.float32)


def _as_key(key):
    if key is None:
        raise LandscapeError("a PRNG key is required (key=jax.random.key(seed))")
    if isinstance(key, (int, np.integer)):
        return jax.random.key(int(key))
    key = jnp.asarray(key) if not hasattr(key, "dtype") else key
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)


def _check_steps(n, what="steps"):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise LandscapeError(f"{what} must be an integer of at least 1, got {n!r}")
    return int(n)
