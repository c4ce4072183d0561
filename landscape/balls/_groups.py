"""Ball groups: the settings a set of balls shares (optimizer, learning rate, minibatch,
clipping, start), their validation, and the start shapes (one table for the core, the CLI
and scenes).

What the optimizer sees. In slice mode a ball optimizes its two plane coordinates: its
gradient is the projection ``(g·d1, g·d2)`` of the network's weight-space gradient ``g``,
clipped in weight space first (`landscape.balls._measure`). Momentum is the same in both modes, but
the *adaptive* optimizers (Adam, RMSProp, Adagrad) then adapt their step per plane coordinate,
not per weight: in slice mode they are not the optimizer that trains the network, and every
label says so ("adam (per plane coordinate)"). In projected mode each ball is a real
weight-space run and they adapt per weight, as in training.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscape import optimizers
from landscape.balls._measure import Clip
from landscape.errors import LandscapeError, choice
from landscape.optimizers import ADAPTIVE, OPTIMIZERS

ORIGINS = ("plane", "init")

# Start shapes, around the centre of the span, filling ``radius`` × its half-extent per axis.
STARTS = ("uniform", "disc", "ring", "grid", "center", "points")
START_HELP = {
    "uniform": "uniformly over the rectangle centre ± radius × half-span",
    "disc": "uniformly over the ellipse (a disc on a square span) of radius × half-span",
    "ring": "evenly spaced on that ellipse",
    "grid": "cell centres of a ⌈√n⌉ × ⌈√n⌉ grid over the rectangle",
    "center": "all at the centre (θ*), spread by 1 % of radius × half-span",
    "points": "at the given (a, b) plane coordinates",
}
START_RADIUS = 0.9
N_BALLS = 100      # a group's default size: quick on a laptop, enough for a census

# optimizer settings a user may give, the optimizers they apply to, and their defaults: the one
# table in landscape.optimizers
OPTIMIZER_OPTIONS = optimizers.OPTIONS


def check_positive(what, v, allow_none=False):
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(v)) or float(v) <= 0:
        raise LandscapeError(f"{what} must be a positive finite number, got {v!r}")


def check_unit(what, v):
    if not (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            and 0 <= float(v) < 1):
        raise LandscapeError(f"{what} must be in [0, 1), got {v!r}")


def check_steps(n, what="steps"):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise LandscapeError(f"{what} must be an integer of at least 1, got {n!r}")
    return int(n)


def optimizer_label(optimizer: str, mode: str = "slice") -> str:
    """What the legend says: the optimizer, and for adaptive ones what they adapt."""
    if optimizer not in ADAPTIVE:
        return optimizer
    return f"{optimizer} (per {'plane coordinate' if mode == 'slice' else 'weight'})"


@dataclasses.dataclass(frozen=True)
class BallGroup:
    """Balls sharing one optimizer and its settings. Settings left at ``None`` take their
    defaults; a setting that cannot apply (``momentum`` with Adam, ``b1`` with SGD, ``n`` or
    ``radius`` with given points) is an error, never silently ignored.

    Attributes:
      name: label (legends, census ``by_group``).
      optimizer: one of `OPTIMIZERS`; lr: learning rate (> 0).
      batch_size: minibatch rows per ball per step; ``None`` or the data size = full batch
        (plain gradient descent); larger than the data is an error.
      clip_norm: clip the network's weight-space gradient ∇θL to this global norm (over all
        parameters); clip_value: then to ±this per entry (see `landscape.balls._measure`).
      n: number of balls (default `N_BALLS`, 100; with ``start="points"``, the number of
        points).
      start: one of `STARTS` (see `START_HELP`); radius: the fraction of the half-span the
        shape fills (default `START_RADIUS`); points: ``[(a, b), ...]`` for ``"points"``.
      momentum: for ``momentum``/``nesterov`` (0.9); b1, b2: Adam (0.9, 0.999); eps: Adam,
        RMSProp, Adagrad (optax's defaults); decay: RMSProp (0.9).
      origin: projected mode only — ``plane`` (default) starts at θ* + a0·d1 + b0·d2,
        ``init`` at a fresh initialization of the network (one per ball).
    """

    name: str = "sgd"
    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int | None = 32
    clip_norm: float | None = None
    clip_value: float | None = None
    n: int | None = None
    start: str = "disc"
    points: tuple | None = None
    radius: float | None = None
    momentum: float | None = None
    b1: float | None = None
    b2: float | None = None
    eps: float | None = None
    decay: float | None = None
    origin: str | None = None

    @property
    def n_balls(self) -> int:
        if self.start == "points" and self.points is not None:
            return len(self.points)
        return N_BALLS if self.n is None else int(self.n)

    @property
    def clip(self) -> Clip:
        return Clip(None if self.clip_norm is None else float(self.clip_norm),
                    None if self.clip_value is None else float(self.clip_value))

    def settings(self) -> dict:
        """The optimizer settings as given (``None``: not given), by name."""
        return {k: getattr(self, k) for k in OPTIMIZER_OPTIONS}

    def option(self, name: str):
        """An optimizer setting as used (its default when not given)."""
        v = getattr(self, name)
        return optimizers.option(name, v)

    def check(self, n_data: int | None = None) -> "BallGroup":
        """Raise a one-line `LandscapeError` on any bad or inapplicable setting; return self."""
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("start", self.start, STARTS)
        if self.origin is not None:
            choice("origin", self.origin, ORIGINS)
        check_positive("learning rate", self.lr)
        check_positive("clip norm", self.clip_norm, allow_none=True)
        check_positive("clip value", self.clip_value, allow_none=True)
        optimizers.check_settings(self.optimizer, self.settings())
        for opt, v in self.settings().items():
            if v is not None:
                (check_positive if opt == "eps" else check_unit)(opt, v)
        if self.batch_size is not None:
            if isinstance(self.batch_size, bool) or int(self.batch_size) != self.batch_size \
                    or self.batch_size < 1:
                raise LandscapeError(f"batch size must be a positive integer, got {self.batch_size!r}")
            if n_data is not None and self.batch_size > n_data:
                raise LandscapeError(f"batch size {self.batch_size} is larger than the data "
                                     f"({n_data} samples); use at most {n_data} (full batch)")
        check_start(self.start, self.n, self.radius, self.points)
        return self

    def transform(self, mode: str = "slice", lr=None) -> optax.GradientTransformation:
        """The optax transformation a ball's update goes through. In projected mode: clipping
        (if any), then the optimizer. In slice mode the measure has already clipped the
        weight-space gradient before projecting it, so only the optimizer. ``lr``: the rate
        as the compiled step reads it (a float32 scalar; default the group's own)."""
        opt = optimizers.make(self.optimizer, self.lr if lr is None else lr, **self.settings())
        if mode == "slice":
            return opt
        parts = []
        if self.clip_norm is not None:
            parts.append(optax.clip_by_global_norm(float(self.clip_norm)))
        if self.clip_value is not None:
            parts.append(optax.clip(float(self.clip_value)))
        return optax.chain(*parts, opt) if parts else opt

    def to_dict(self, mode: str = "slice") -> dict:
        """The group as recorded in a trajectory: every setting as used, and what the
        optimizer adapts and what is clipped in ``mode``."""
        d = dataclasses.asdict(self)
        d["points"] = None if self.points is None else [[float(a), float(b)] for a, b in self.points]
        d["n"] = self.n_balls
        d["radius"] = None if self.start == "points" else float(self.radius or START_RADIUS)
        d["origin"] = (self.origin or "plane") if mode == "projected" else None
        for opt, (applies, _) in OPTIMIZER_OPTIONS.items():
            d[opt] = self.option(opt) if self.optimizer in applies else None
        d["optimizer_label"] = optimizer_label(self.optimizer, mode)
        d["adapts"] = (("per plane coordinate" if mode == "slice" else "per weight")
                       if self.optimizer in ADAPTIVE else None)
        d["clipping"] = self.clip.describe(mode)
        return d


def check_start(start: str, n=None, radius=None, points=None) -> None:
    """The start settings a group (core or scene) may give, checked once for both."""
    choice("start", start, STARTS)
    if start == "points":
        pts = np.asarray(points if points is not None else [], np.float64)
        if pts.size == 0:
            raise LandscapeError("start='points' needs at least one (a, b) point")
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
            raise LandscapeError("points must be finite (a, b) pairs")
        if n is not None and int(n) != len(pts):
            raise LandscapeError(f"n={n} but {len(pts)} points were given; drop n")
        if radius is not None:
            raise LandscapeError("radius does not apply to start='points'; drop it")
        return
    if points is not None:
        raise LandscapeError(f"points apply only to start='points', not {start!r}")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise LandscapeError(f"a group needs at least one ball, got n={n!r}")
    if radius is not None:
        check_positive("start radius", radius)


def start_points(start: str, n: int, span, *, radius: float | None = None, points=None,
                 rng: np.random.Generator) -> np.ndarray:
    """``[n, 2]`` float32 plane coordinates of ``n`` balls started in shape ``start`` (see
    `START_HELP`) on ``span = (a_min, a_max, b_min, b_max)``, in the plane's own units."""
    if start == "points":
        return np.asarray(points, np.float32).reshape(-1, 2)
    a0, a1, b0, b1 = (float(s) for s in span)
    c = np.array([(a0 + a1) / 2, (b0 + b1) / 2])
    h = (START_RADIUS if radius is None else float(radius)) * np.array([(a1 - a0) / 2,
                                                                          (b1 - b0) / 2])
    if start == "uniform":
        u = rng.uniform(-1.0, 1.0, (n, 2))
    elif start == "disc":                       # sqrt keeps the density even
        t, r = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.uniform(0, 1, n))
        u = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    elif start == "ring":
        t = 2 * np.pi * np.arange(n) / n
        u = np.stack([np.cos(t), np.sin(t)], 1)
    elif start == "center":
        u = rng.normal(0, 0.01, (n, 2))
    elif start == "grid":
        m = int(math.ceil(math.sqrt(n)))
        g = 2 * (np.arange(m) + 0.5) / m - 1
        u = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)[:n]
    else:
        choice("start", start, STARTS)
    return (c + u * h).astype(np.float32)


def group_start_points(group: BallGroup, span, *, key) -> np.ndarray:
    """`start_points` for a `BallGroup`, drawn from a JAX key."""
    seed = np.asarray(jax.random.key_data(as_key(key))).ravel().tolist()
    return start_points(group.start, group.n_balls, span, radius=group.radius,
                        points=group.points, rng=np.random.default_rng(seed))


def as_key(key):
    """A typed JAX PRNG key from a key, raw key data or an int seed."""
    if key is None:
        raise LandscapeError("a PRNG key is required (key=jax.random.key(seed))")
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return jax.random.key(int(key))
    key = jnp.asarray(key) if not hasattr(key, "dtype") else key
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)
