"""Balls that are real SGD runs on a network's loss surface.

Protocol. A `Simulator` holds N balls in G groups (`BallGroup`: optimizer, learning rate,
minibatch size, clipping, start). Each step, every ball draws its own minibatch from the
evaluation data and

* ``mode="slice"``: lives at plane coordinates ``(a, b)`` and follows the true gradient of the
  network's minibatch loss with respect to ``(a, b)``, i.e. ``(∇θL·d1, ∇θL·d2)`` at
  ``θ* + a·d1 + b·d2``;
* ``mode="projected"``: is a full weight-space training run (from ``θ* + a0·d1 + b0·d2`` or a
  fresh initialization), shown at its least-squares projection onto the plane, with its
  off-plane distance and its true full-data loss recorded.

Updates are optax's (``sgd``, ``momentum``, ``nesterov``, ``adam``, ``rmsprop``, ``adagrad``),
after optional clipping by global norm and/or by value, applied per ball. Balls are ``vmap``-ed
(or, for MLPs in slice mode, stacked: see `landscape.gradnorms`) and steps run in one
``lax.scan``, compiled once per chunk length.

State, per ball: the optimized variable ``x`` (``[2]`` or ``[P]``), the pending gradient ``g``
measured at ``x`` on this step's minibatch, the optax state, its plane position ``pos [2]``,
``off_plane``, a smoothed velocity, and flags. A frame at step t shows the balls at their
step-t positions with the loss and per-layer gradient norms measured there.

Faults: a ball whose loss, gradient or new position is non-finite, or whose position leaves
the span by more than ``escape_margin`` × its extent, is *escaped*: frozen at its last finite
position forever. A ball whose smoothed speed (an exponential average of its displacement,
β = 0.9, so minibatch jitter averages out) stays under ``settle_tol`` for ``settle_steps``
steps is *settled*.
"""

from __future__ import annotations

import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscape import gradnorms as gn
from landscape.census import census as _census
from landscape.errors import LandscapeError, choice
from landscape.trajectory import MODES, Frame, Trajectory

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
STARTS = ("uniform", "ring", "grid", "points")
ORIGINS = ("plane", "init")
VELOCITY_DECAY = 0.9


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


def _rows(mask, like):
    """``mask [n]`` shaped to broadcast against ``like [n, ...]``."""
    return mask.reshape((-1,) + (1,) * (jnp.ndim(like) - 1))


def _finite_rows(v):
    return jnp.all(jnp.isfinite(v.reshape(v.shape[0], -1)), 1)


class Simulator:
    """Many balls on one surface; see the module docstring.

    Args:
      task, plane, surface: the trained network, its plane and the surface computed on it.
      groups: one or more `BallGroup`.
      mode: ``"slice"`` or ``"projected"``.
      key: PRNG key (or int seed); the same key gives identical trajectories.
      settle_tol: smoothed speed (plane units per step) under which a ball counts as still;
        default 1e-3 × the span's larger side.
      settle_steps: consecutive still steps to be settled.
      escape_margin: a ball escapes beyond the span widened by this fraction of its extent.
      stacked: use the stacked MLP formulation (default: whenever the model allows, in slice
        mode); ``False`` forces the generic per-ball ``vmap``.
      rows_per_chunk: minibatch rows (balls × batch) processed at once (memory bound).

    Attributes:
      layers: L layer names, input → output; groups: one dict per group; group: int ``[N]``.
      compilations: how many times the step loop has been traced (a test hook).
    """

    def __init__(self, task, plane, surface, groups, *, mode: str = "slice", key,
                 settle_tol: float | None = None, settle_steps: int = 25,
                 escape_margin: float = 0.5, stacked: bool | None = None,
                 rows_per_chunk: int = gn.ROWS_PER_CHUNK):
        choice("mode", mode, MODES)
        groups = [groups] if isinstance(groups, BallGroup) else list(groups)
        if not groups:
            raise LandscapeError("no ball groups given")
        n_data = int(task.data.x_eval.shape[0])
        for g in groups:
            if not isinstance(g, BallGroup):
                raise LandscapeError(f"groups must be BallGroup objects, got {type(g).__name__}")
            g.check(n_data)
        _positive("escape margin", escape_margin)
        _positive("settle tolerance", settle_tol, allow_none=True)
        _check_steps(settle_steps, "settle steps")
        self.task, self.plane, self.surface, self.mode = task, plane, surface, mode
        self.key = _as_key(key)
        self._groups = groups
        self.n_data = n_data
        a0, a1, b0, b1 = surface.span
        ext = max(a1 - a0, b1 - b0)
        self.bounds = (a0 - escape_margin * (a1 - a0), a1 + escape_margin * (a1 - a0),
                       b0 - escape_margin * (b1 - b0), b1 + escape_margin * (b1 - b0))
        self.settle_tol = float(settle_tol if settle_tol is not None else 1e-3 * ext)
        self.settle_steps = int(settle_steps)
        self.escape_margin = float(escape_margin)
        self.layers, _, _ = gn.layer_segments(task.model.layout)
        self.layers = list(self.layers)
        self.batch_sizes = [None if g.batch_size is None or g.batch_size >= n_data
                            else int(g.batch_size) for g in groups]
        self.groups = [{**g.to_dict(), "batch_size": bs if bs is not None else n_data,
                        "full_batch": bs is None} for g, bs in zip(groups, self.batch_sizes)]
        self.compilations = 0

        if mode == "slice":
            if stacked is None:
                stacked = gn.supports_stacked(task.model)
            elif stacked and not gn.supports_stacked(task.model):
                raise LandscapeError("the stacked formulation needs a built-in MLP")
            measure = gn.stacked_measure(task) if stacked else gn.generic_measure(task)
            consts = gn.stacked_consts(task, plane) if stacked else gn.generic_consts(task, plane)
        else:
            stacked = False
            measure = gn.weight_measure(task)
            consts = gn.generic_consts(task, plane)
            D = np.stack([plane.d1, plane.d2], 1).astype(np.float64)
            consts.update(theta=jnp.asarray(task.theta, jnp.float32),
                          d1=jnp.asarray(plane.d1, jnp.float32),
                          d2=jnp.asarray(plane.d2, jnp.float32),
                          pinv=jnp.asarray(np.linalg.pinv(D), jnp.float32))
        self.stacked = bool(stacked)
        k_start, k_batch, k_init = (jax.random.fold_in(self.key, i) for i in (1, 2, 3))
        consts["key"] = k_batch
        self._consts = consts
        self._k_start, self._k_init = k_start, k_init
        self._measures = [gn.chunked(measure, bs or n_data, rows_per_chunk)
                          for bs in self.batch_sizes]
        self._txs = [g.transform() for g in groups]
        self._build_fns()

        # balls: groups are contiguous internally; `_ext` keeps the user-facing order
        self._ext: list[tuple[int, int]] = []
        gstates = []
        for gi, g in enumerate(groups):
            ab0 = start_positions(g, surface.span, key=jax.random.fold_in(k_start, gi))
            ids = np.arange(len(self._ext), len(self._ext) + len(ab0))
            self._ext += [(gi, j) for j in range(len(ab0))]
            gstates.append(self._fresh(gi, ab0, ids, origin=g.origin))
        self._state = self._measure_all({"t": jnp.int32(0), "groups": tuple(gstates)}, consts)
        self._sync_index()
        self._initial = (self._state, list(self._ext))

    # ------------------------------------------------------------ compiled pieces

    def _position(self, x, consts):
        if self.mode == "slice":
            return x, jnp.zeros(x.shape[0], x.dtype)
        delta = x - consts["theta"]
        ab = delta @ consts["pinv"].T
        resid = delta - ab[:, :1] * consts["d1"] - ab[:, 1:] * consts["d2"]
        return ab, jnp.sqrt(jnp.sum(resid * resid, 1))

    def _batch_idx(self, consts, ids, t, gi):
        bs = self.batch_sizes[gi]
        if bs is None:
            return None
        n = self.n_data

        def one(i):
            k = jax.random.fold_in(jax.random.fold_in(consts["key"], i), t)
            return jax.random.randint(k, (bs,), 0, n)

        return jax.vmap(one)(ids)

    def _measure_group(self, gs, t, consts, gi):
        loss, g, gw, gb = self._measures[gi](consts, gs["x"], self._batch_idx(consts, gs["ids"], t, gi))
        esc = gs["esc"] | ~jnp.isfinite(loss) | ~_finite_rows(g)
        return dict(gs, loss=loss, g=jnp.where(_rows(esc, g), 0.0, g).astype(g.dtype),
                    gw=jnp.where(jnp.isfinite(gw), gw, gs["gw"]),
                    gb=jnp.where(jnp.isfinite(gb), gb, gs["gb"]), esc=esc)

    def _step_group(self, gs, t, consts, gi):
        lo_a, hi_a, lo_b, hi_b = self.bounds
        upd, opt_new = jax.vmap(self._txs[gi].update)(gs["g"], gs["opt"], gs["x"])
        x_new = gs["x"] + upd
        pos_new, off_new = self._position(x_new, consts)
        ok = _finite_rows(x_new) & _finite_rows(pos_new) & (pos_new[:, 0] >= lo_a) \
            & (pos_new[:, 0] <= hi_a) & (pos_new[:, 1] >= lo_b) & (pos_new[:, 1] <= hi_b)
        move = ok & ~gs["esc"]
        esc = gs["esc"] | ~ok

        def sel(new, old):
            return jnp.where(_rows(move, new), new, old)

        pos = sel(pos_new, gs["pos"])
        vel = VELOCITY_DECAY * gs["vel"] + (1 - VELOCITY_DECAY) * (pos - gs["pos"])
        gs = dict(gs, x=sel(x_new, gs["x"]), opt=jax.tree.map(sel, opt_new, gs["opt"]),
                  pos=pos, off=sel(off_new, gs["off"]), vel=vel, esc=esc)
        gs = self._measure_group(gs, t + 1, consts, gi)
        still = jnp.sqrt(jnp.sum(vel * vel, 1)) < self.settle_tol
        slow = jnp.where(still & ~gs["esc"], gs["slow"] + 1, 0)
        return dict(gs, slow=slow, settled=(slow >= self.settle_steps) & ~gs["esc"])

    def _build_fns(self):
        def measure_all(state, consts):
            t = state["t"]
            out = []
            for gi, gs in enumerate(state["groups"]):
                pos, off = self._position(gs["x"], consts)
                out.append(self._measure_group(dict(gs, pos=pos, off=off), t, consts, gi))
            return {"t": t, "groups": tuple(out)}

        def advance(state, consts, n_steps):
            self.compilations += 1        # runs at trace time only

            def body(st, _):
                t = st["t"]
                groups = tuple(self._step_group(gs, t, consts, gi)
                               for gi, gs in enumerate(st["groups"]))
                return {"t": t + 1, "groups": groups}, None

            return jax.lax.scan(body, state, None, length=n_steps)[0]

        def true_loss(x, consts):
            f = self.task.loss_fn()
            xe, ye = consts["x"], consts["y"]
            return jax.lax.map(lambda th: f(th, xe, ye)[0], x, batch_size=8)

        self._measure_all = jax.jit(measure_all)
        self._advance = jax.jit(advance, static_argnums=2)
        self._true_loss = jax.jit(true_loss)

    def _fresh(self, gi, ab0, ids, origin="plane"):
        """A group's state for new balls (measured fields are filled by `_measure_all`)."""
        n = len(ab0)
        ab0 = jnp.asarray(ab0, jnp.float32)
        if self.mode == "slice":
            x = ab0
        elif origin == "init":
            model = self.task.model
            x = jax.vmap(lambda i: model.init(key=jax.random.fold_in(self._k_init, i)))(
                jnp.asarray(ids))
            x = jnp.broadcast_to(x, (n, model.n_params)).astype(jnp.float32)
        else:
            c = self._consts
            x = c["theta"] + ab0[:, :1] * c["d1"] + ab0[:, 1:] * c["d2"]
        L = len(self.layers)
        z = lambda *s: jnp.zeros((n,) + s, jnp.float32)
        return {"x": x, "g": jnp.zeros_like(x), "opt": jax.vmap(self._txs[gi].init)(x),
                "ids": jnp.asarray(ids, jnp.int32), "pos": z(2), "off": z(), "vel": z(2),
                "slow": jnp.zeros(n, jnp.int32), "esc": jnp.zeros(n, bool),
                "settled": jnp.zeros(n, bool), "loss": z(), "gw": z(L), "gb": z(L)}

    def _sync_index(self):
        sizes = [int(gs["ids"].shape[0]) for gs in self._state["groups"]]
        offs = np.concatenate([[0], np.cumsum(sizes)])
        self._perm = np.array([offs[g] + j for g, j in self._ext], np.int64)
        self.group = np.array([g for g, _ in self._ext], np.int32)

    # ------------------------------------------------------------ public

    @property
    def n_balls(self) -> int:
        return len(self._ext)

    @property
    def step(self) -> int:
        return int(self._state["t"])

    def _host(self, true_loss: bool = True) -> dict:
        gs = jax.device_get(self._state["groups"])

        def cat(k):
            return np.concatenate([g[k] for g in gs])[self._perm]

        pos = cat("pos").astype(np.float32)
        out = {"step": int(self._state["t"]), "positions": pos,
               "heights": self.surface.interpolate(pos).astype(np.float32),
               "batch_loss": cat("loss").astype(np.float32),
               "grad_norms": cat("gw").astype(np.float32),
               "grad_norms_bias": cat("gb").astype(np.float32),
               "escaped": cat("esc").astype(bool), "settled": cat("settled").astype(bool)}
        if self.mode == "projected":
            out["off_plane"] = cat("off").astype(np.float32)
            if true_loss:
                x = jnp.concatenate([g["x"] for g in self._state["groups"]])
                out["true_loss"] = np.asarray(self._true_loss(x, self._consts),
                                              np.float32)[self._perm]
        return out

    def snapshot(self) -> Frame:
        """The balls now (numpy; positions and heights always finite)."""
        h = self._host(true_loss=False)
        return Frame(h["step"], h["positions"], h["heights"], h["batch_loss"], h["grad_norms"],
                     h["escaped"], h["settled"])

    def advance(self, n_steps: int) -> Frame:
        """Take ``n_steps`` steps (one compiled ``lax.scan`` per distinct ``n_steps``; calling
        again with the same count never recompiles) and return the new frame."""
        self._state = self._advance(self._state, self._consts, _check_steps(n_steps))
        return self.snapshot()

    def add_balls(self, ab, group: int = 0) -> None:
        """Add balls at plane points ``ab`` ``[k, 2]`` to group ``group`` (e.g. a click in an
        interactive window). They take indices N…N+k-1; the next `advance` recompiles."""
        ab = np.asarray(ab, np.float32).reshape(-1, 2)
        if ab.shape[0] == 0:
            raise LandscapeError("no points given to add")
        if not np.isfinite(ab).all():
            raise LandscapeError("ball positions must be finite")
        if isinstance(group, bool) or not (0 <= int(group) < len(self._groups)):
            raise LandscapeError(f"group must be in 0..{len(self._groups) - 1}, got {group!r}")
        group = int(group)
        ids = np.arange(self.n_balls, self.n_balls + len(ab))
        new = self._fresh(group, ab, ids)
        groups = list(self._state["groups"])
        j0 = int(groups[group]["ids"].shape[0])
        groups[group] = jax.tree.map(lambda u, v: jnp.concatenate([u, v]), groups[group], new)
        self._ext += [(group, j0 + j) for j in range(len(ab))]
        measured = self._measure_all({"t": self._state["t"], "groups": tuple(groups)}, self._consts)
        # existing balls keep their flags and pending gradients exactly
        keep = []
        for gi, (old, m) in enumerate(zip(self._state["groups"], measured["groups"])):
            if gi != group:
                keep.append(old)
            else:
                keep.append(jax.tree.map(lambda u, v: jnp.concatenate([u, v[j0:]]), old, m))
        self._state = {"t": self._state["t"], "groups": tuple(keep)}
        self.groups[group]["n"] = int(self._state["groups"][group]["ids"].shape[0])
        self._sync_index()

    def reset(self) -> None:
        """Back to step 0: the constructor's balls at their starting positions (added balls
        are removed)."""
        self._state, ext = self._initial
        self._ext = list(ext)
        for gi, gs in enumerate(self._state["groups"]):
            self.groups[gi]["n"] = int(gs["ids"].shape[0])
        self._sync_index()

    def census(self, radius: float | None = None) -> list[dict]:
        """Minima found by the balls settled now (see `landscape.census.census`)."""
        h = self._host(true_loss=False)
        return _census(h["positions"], h["settled"], h["escaped"], self.group,
                       [g["name"] for g in self.groups], self.surface, radius=radius)

    def run(self, n_steps: int, record_every: int = 1) -> Trajectory:
        """Advance ``n_steps`` from the current state, recording a frame now and every
        ``record_every`` steps (and at the end); the census is taken at the end."""
        n_steps = _check_steps(n_steps)
        record_every = _check_steps(record_every, "record_every")
        t0 = time.perf_counter()
        frames = [self._host()]
        done = 0
        while done < n_steps:
            k = min(record_every, n_steps - done)
            self._state = self._advance(self._state, self._consts, k)
            done += k
            frames.append(self._host())
        seconds = time.perf_counter() - t0
        st = lambda k, dt=None: np.stack([f[k] for f in frames]).astype(dt) if dt else \
            np.stack([f[k] for f in frames])
        last = frames[-1]
        cen = _census(last["positions"], last["settled"], last["escaped"], self.group,
                      [g["name"] for g in self.groups], self.surface)
        meta = {"key": _key_list(self.key), "settle_tol": self.settle_tol,
                "settle_steps": self.settle_steps, "escape_margin": self.escape_margin,
                "bounds": list(self.bounds), "stacked": self.stacked,
                "n_data": self.n_data, "seconds": seconds,
                "ball_steps_per_second": self.n_balls * n_steps / seconds if seconds else None,
                "n_escaped": int(last["escaped"].sum()), "n_settled": int(last["settled"].sum()),
                "surface": self.surface.meta.get("config_hash"),
                "bn_policy": self.task.bn_policy if self.task.model.n_bn else None}
        proj = self.mode == "projected"
        return Trajectory(
            steps=np.array([f["step"] for f in frames], np.int32),
            positions=st("positions"), heights=st("heights"), batch_loss=st("batch_loss"),
            grad_norms=st("grad_norms"), grad_norms_bias=st("grad_norms_bias"),
            layers=list(self.layers), escaped=st("escaped"), settled=st("settled"),
            group=self.group.copy(), groups=[dict(g) for g in self.groups], mode=self.mode,
            off_plane=st("off_plane") if proj else None,
            true_loss=st("true_loss") if proj else None, census=cen, meta=meta)


def simulate(task, plane, surface, groups, *, steps: int, mode: str = "slice",
             record_every: int = 1, key, **options) -> Trajectory:
    """Run balls for ``steps`` steps and return their `Trajectory` (see `Simulator`; extra
    ``options`` go to its constructor)."""
    steps = _check_steps(steps)
    return Simulator(task, plane, surface, groups, mode=mode, key=key, **options).run(
        steps, record_every)


def layer_gradient_norms(task, theta, x=None, y=None):
    """Full-batch per-layer gradient norms at ``theta``: ``(weights [L], biases [L])``,
    input → output. See `landscape.gradnorms.layer_gradient_norms`."""
    return gn.layer_gradient_norms(task, theta, x, y)


def gradient_report(cfg, seeds: int = 5) -> dict:
    """``{"layers", "at_init", "at_minimum", ...}`` for ``landscape gradients``; see
    `landscape.gradnorms.gradient_report`."""
    return gn.gradient_report(cfg, seeds)


def _key_list(key):
    try:
        return [int(v) for v in np.asarray(jax.random.key_data(key)).ravel()]
    except Exception:
        return None
