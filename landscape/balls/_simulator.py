"""Balls that are real SGD runs on a network's loss surface.

Protocol. A `Simulator` holds N balls in G groups (`BallGroup`: optimizer, learning rate,
minibatch size, clipping, start). Each step, every ball draws its own minibatch from the
evaluation data and

* ``mode="slice"``: lives at plane coordinates ``(a, b)`` and follows the gradient of the
  network's minibatch loss with respect to ``(a, b)``: the projection ``(g·d1, g·d2)`` of the
  weight-space gradient ``g = ∇θL`` at ``θ* + a·d1 + b·d2``, after clipping ``g`` as the group
  says (`landscape.balls._measure`). Adaptive optimizers then adapt per plane coordinate;
* ``mode="projected"``: is a full weight-space training run (from ``θ* + a0·d1 + b0·d2`` or a
  fresh initialization), shown at its least-squares projection onto the plane, with its
  off-plane distance and its true full-data loss recorded.

Updates are optax's (``sgd``, ``momentum``, ``nesterov``, ``adam``, ``rmsprop``, ``adagrad``),
applied per ball. Balls are measured together (``vmap``, or for MLPs in slice mode the stacked
formulation of `landscape.balls._stacked`) and steps run in one ``lax.scan`` (`landscape.balls._stepper`),
compiled once per chunk length and shared by simulators with the same settings; with several
JAX devices the balls are split over them. Each ball's minibatches come from a key folded with
its id and the step, so its path does not depend on how many other balls there are, nor on
the device count. The state is a `landscape.balls._state.SimState`.

What a frame shows. The balls at their step-t positions; their *height* is the surface's loss
under that position (always finite: a ball over a non-finite cell sits on the plateau at the
highest finite loss, flagged ``over_nonfinite``); in projected mode the ball's own full-data
loss is ``true_loss``. Per-layer gradient norms are those of the unclipped weight-space
gradient measured there (inside a chunk of steps the stacked path skips them, and only the
chunk's last step shows them); a norm that is not finite is ``inf``, flagged
``grad_overflow``.

Batch norm. With ``bn_policy="eval"`` balls and surface compute one function (statistics
frozen at θ*). With ``"batch"`` each ball's gradient and ``batch_loss`` use its own
minibatch's statistics, as training does; the surface (and so the heights) uses the
statistics of all evaluation data at each point. With full-batch balls the two coincide.
Trajectories stamp which applied (``meta["batch_norm"]``).

Faults and settling: see `landscape.balls._stepper`.

Modules: `landscape.balls._groups` (BallGroup, starts), `landscape.balls._stepper` (the compiled loop),
`landscape.balls._measure` and `landscape.balls._stacked` (gradients and per-layer norms),
`landscape.balls._census` (minima), `landscape.balls._state` (the state).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from landscape.balls import _census as census_mod
from landscape.balls._groups import (
    BallGroup,
    as_key,
    check_positive,
    check_steps,
    group_start_points,
)
from landscape.balls._measure import ROWS_PER_CHUNK, generic_consts
from landscape.balls._stacked import stacked_consts, supports_stacked
from landscape.balls._state import BallState, SimState
from landscape.balls._stepper import Program, scalar_consts
from landscape.balls._trajectory import MODES, Frame, Trajectory
from landscape.errors import LandscapeError, choice
from landscape.files import key_list
from landscape.nets import layer_segments
from landscape.surface import plateau_height

__all__ = ["BallGroup", "Simulator", "simulate", "group_norm_stats"]


def batch_norm_note(task) -> str | None:
    """What the balls' batch norm computes, against the surface's (None without batch norm)."""
    if not task.model.n_bn:
        return None
    if task.bn_policy == "eval":
        return "eval: balls and surface use the statistics frozen at θ* (one function)"
    return ("batch: each ball's gradient and batch loss use its own minibatch's statistics, as "
            "in training; heights are the surface's loss, with the statistics of all "
            "evaluation data at each point (the two agree for full-batch balls)")


def checked_groups(groups, mode: str, n_data: int) -> list[BallGroup]:
    """``groups`` (one `BallGroup` or several) as a list, each checked for ``mode`` and data of
    ``n_data`` rows; a one-line `LandscapeError` otherwise."""
    choice("mode", mode, MODES)
    groups = [groups] if isinstance(groups, BallGroup) else list(groups)
    if not groups:
        raise LandscapeError("no ball groups given")
    for g in groups:
        if not isinstance(g, BallGroup):
            raise LandscapeError(f"groups must be BallGroup objects, got {type(g).__name__}")
        g.check(n_data)
        if mode == "slice" and g.origin is not None:
            raise LandscapeError(f"origin={g.origin!r} applies to projected mode only; "
                                 f"use mode='projected' or drop it")
    return groups


def step_constants(task, plane, mode: str, stacked: bool | None) -> tuple[bool, dict]:
    """Whether the step uses the stacked MLP formulation, and the constants it closes over:
    the network's and the plane's (in projected mode also d1, d2 and the pseudo-inverse that
    projects a weight vector onto the plane)."""
    if mode == "slice":
        if stacked is None:
            stacked = supports_stacked(task.model)
        elif stacked and not supports_stacked(task.model):
            raise LandscapeError("the stacked formulation needs a built-in MLP")
        return bool(stacked), (stacked_consts(task, plane) if stacked
                               else generic_consts(task, plane))
    consts = generic_consts(task, plane)
    D = np.stack([plane.d1, plane.d2], 1).astype(np.float64)
    consts.update(d1=jnp.asarray(plane.d1, jnp.float32), d2=jnp.asarray(plane.d2, jnp.float32),
                  pinv=jnp.asarray(np.linalg.pinv(D), jnp.float32))
    return False, consts


class Simulator:
    """Many balls on one surface; see the module docstring.

    Args:
      task, plane, surface: the trained network, its plane and the surface computed on it.
      groups: one or more `BallGroup`.
      mode: ``"slice"`` or ``"projected"``.
      key: PRNG key (or int seed); the same key gives identical trajectories.
      settle_tol: smoothed speed (plane units per step) under which a ball counts as still;
        default 1e-3 × the span's larger side.
      settle_steps: consecutive still steps to be settled (also the stop rule's window).
      escape_margin: a ball escapes beyond the span widened by this fraction of its extent.
      stacked: use the stacked MLP formulation (default: whenever the model allows, in slice
        mode); ``False`` forces the generic per-ball ``vmap``.
      rows_per_chunk: minibatch rows (balls × batch) processed at once (memory bound).
      devices: JAX devices to split the balls over (default all of ``jax.devices()``);
        results do not depend on the count.

    Attributes:
      layers: L layer names, input → output; ball_groups: the `BallGroup` of each group;
        groups: one dict per group, as recorded (made from them); group: int ``[N]``.
      compilations: how many times the step loop has been traced (a test hook).
    """

    def __init__(self, task, plane, surface, groups, *, mode: str = "slice", key,
                 settle_tol: float | None = None, settle_steps: int = 25,
                 escape_margin: float = 0.5, stacked: bool | None = None,
                 rows_per_chunk: int = ROWS_PER_CHUNK, devices=None):
        n_data = int(task.data.x_eval.shape[0])
        groups = checked_groups(groups, mode, n_data)
        check_positive("escape margin", escape_margin)
        check_positive("settle tolerance", settle_tol, allow_none=True)
        check_steps(settle_steps, "settle steps")
        self.task, self.plane, self.surface, self.mode = task, plane, surface, mode
        self.key = as_key(key)
        self.ball_groups = tuple(groups)
        self.n_data = n_data
        a0, a1, b0, b1 = surface.span
        ext = max(a1 - a0, b1 - b0)
        self.bounds = (a0 - escape_margin * (a1 - a0), a1 + escape_margin * (a1 - a0),
                       b0 - escape_margin * (b1 - b0), b1 + escape_margin * (b1 - b0))
        self.settle_tol = float(settle_tol if settle_tol is not None else 1e-3 * ext)
        self.settle_steps = int(settle_steps)
        self.escape_margin = float(escape_margin)
        self.census_params = {"radius": census_mod.RADIUS * ext, "barrier": census_mod.BARRIER}
        self.layers = list(layer_segments(task.model.layout)[0])
        self.batch_sizes = [None if g.batch_size is None or g.batch_size >= n_data
                            else int(g.batch_size) for g in groups]

        stacked, consts = step_constants(task, plane, mode, stacked)
        self.stacked = stacked
        k_start, k_batch, k_init = (jax.random.fold_in(self.key, i) for i in (1, 2, 3))
        consts["key"] = k_batch
        self._consts = consts
        self._k_init = k_init
        devices = tuple(devices) if devices is not None else tuple(jax.devices())
        self.n_devices = len(devices)
        finite = np.asarray(surface.loss)[np.isfinite(surface.loss)]
        loss_range = float(finite.max() - finite.min()) if finite.size else 0.0
        consts.update(scalar_consts(self.bounds, self.settle_tol, loss_range))
        consts["lr"] = jnp.asarray([float(g.lr) for g in groups], jnp.float32)
        self._prog = Program.get(task, mode, self.stacked, groups, self.batch_sizes, n_data,
                                  self.settle_steps, rows_per_chunk, devices)
        self._txs = self._prog.txs

        self._start(k_start)

    def _start(self, k_start) -> None:
        """The balls at their start points, measured: the state at step 0."""
        # groups are contiguous internally; `_ext` keeps the user-facing order
        self._ext: list[tuple[int, int]] = []
        gstates = []
        for gi, g in enumerate(self.ball_groups):
            ab0 = group_start_points(g, self.surface.span, key=jax.random.fold_in(k_start, gi))
            ids = np.arange(len(self._ext), len(self._ext) + len(ab0))
            self._ext += [(gi, j) for j in range(len(ab0))]
            gstates.append(self._fresh(gi, ab0, ids, origin=g.origin or "plane",
                                       pad=-len(ab0) % self.n_devices))
        self._state = self._prog.measure_all(SimState(jnp.int32(0), tuple(gstates)),
                                             self._consts)
        self._sync_index()
        self._initial = (self._state, list(self._ext))

    def _fresh(self, gi, ab0, ids, origin="plane", pad=0) -> BallState:
        """A group's state for new balls (measured fields are filled by `measure_all`), plus
        ``pad`` inert balls (escaped from the start, never shown) for an even device split."""
        ab0 = np.asarray(ab0, np.float32)
        ids = np.asarray(ids)
        if pad:
            ab0 = np.concatenate([ab0, np.repeat(ab0[:1], pad, 0)])
            ids = np.concatenate([ids, np.full(pad, -1)])
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
        return BallState.fresh(x, jax.vmap(self._txs[gi].init)(x), ids, len(self.layers))

    def _sync_index(self):
        sizes = [gs.n for gs in self._state.groups]
        offs = np.concatenate([[0], np.cumsum(sizes)])
        self._perm = np.array([offs[g] + j for g, j in self._ext], np.int64)
        self.group = np.array([g for g, _ in self._ext], np.int32)

    # ------------------------------------------------------------ public

    @property
    def compilations(self) -> int:
        """How many times the step loop of this configuration has been traced (test hook)."""
        return self._prog.traces

    @property
    def n_balls(self) -> int:
        return len(self._ext)

    @property
    def groups(self) -> list[dict]:
        """The groups as a trajectory records them, made from the one host record of each,
        its `BallGroup` (``ball_groups``): every setting as used, the batch size as run
        (``full_batch`` when it covers the data) and ``n``, the balls it has now."""
        counts = np.bincount(self.group, minlength=len(self.ball_groups))
        return [{**g.to_dict(self.mode), "batch_size": bs if bs is not None else self.n_data,
                 "full_batch": bs is None, "n": int(counts[gi])}
                for gi, (g, bs) in enumerate(zip(self.ball_groups, self.batch_sizes))]

    @property
    def step(self) -> int:
        return int(self._state.t)

    @property
    def state(self) -> SimState:
        """The state the step loop carries (JAX arrays; groups contiguous, with padding)."""
        return self._state

    def _host(self, true_loss: bool = True) -> dict:
        gs = jax.device_get(self._state.groups)

        def cat(k):
            return np.concatenate([getattr(g, k) for g in gs])[self._perm]

        pos = cat("pos").astype(np.float32)
        h, over = plateau_height(self.surface.alphas, self.surface.betas, self.surface.loss, pos)
        out = {"step": int(self._state.t), "positions": pos,
               "heights": h.astype(np.float32), "over_nonfinite": over,
               "batch_loss": cat("loss").astype(np.float32),
               "grad_norms": cat("gw").astype(np.float32),
               "grad_norms_bias": cat("gb").astype(np.float32),
               "grad_overflow": cat("overflow").astype(bool),
               "escaped": cat("esc").astype(bool), "settled": cat("settled").astype(bool)}
        if self.mode == "projected":
            out["off_plane"] = cat("off").astype(np.float32)
            if true_loss:
                x = jnp.concatenate([g.x for g in self._state.groups])
                out["true_loss"] = np.asarray(self._prog.true_loss(x, self._consts),
                                              np.float32)[self._perm]
        return out

    def minibatch_rows(self, ball: int, step: int) -> np.ndarray | None:
        """The rows of the evaluation data ball ``ball`` measures its loss and gradient on at
        step ``step`` (``None``: its group is full-batch). Paths are reproducible from this."""
        gi, _ = self._ext[ball]
        idx = self._prog.batch_idx(self._consts, jnp.asarray([ball], jnp.int32),
                                   jnp.int32(step), gi)
        return None if idx is None else np.asarray(idx)[0]

    def _census(self, h: dict) -> list[dict]:
        return census_mod.census(h["positions"], h["settled"], h["escaped"], self.group,
                                 [g["name"] for g in self.groups], self.surface,
                                 **self.census_params)

    def snapshot(self) -> Frame:
        """The balls now (numpy; positions and heights always finite), with the minima found
        now (the census) and, in projected mode, off-plane distances and true losses."""
        h = self._host()
        return Frame(step=h["step"], positions=h["positions"], heights=h["heights"],
                     batch_loss=h["batch_loss"], grad_norms=h["grad_norms"],
                     escaped=h["escaped"], settled=h["settled"],
                     over_nonfinite=h["over_nonfinite"], grad_overflow=h["grad_overflow"],
                     off_plane=h.get("off_plane"), true_loss=h.get("true_loss"),
                     census=self._census(h))

    def extras(self) -> dict:
        """What a `Frame` does not carry, for the current step: ``grad_norms_bias`` ``[N, L]``."""
        return {"grad_norms_bias": self._host(true_loss=False)["grad_norms_bias"]}

    def advance(self, n_steps: int) -> Frame:
        """Take ``n_steps`` steps (one compiled ``lax.scan`` per distinct ``n_steps``; calling
        again with the same count never recompiles) and return the new frame."""
        self._state = self._prog.advance(self._state, self._consts, check_steps(n_steps))
        return self.snapshot()

    def add_balls(self, ab, group: int = 0) -> None:
        """Add balls at plane points ``ab`` ``[k, 2]`` to group ``group`` (e.g. a click in an
        interactive window). They take indices N…N+k-1; the next `advance` recompiles."""
        ab = np.asarray(ab, np.float32).reshape(-1, 2)
        if ab.shape[0] == 0:
            raise LandscapeError("no points given to add")
        if not np.isfinite(ab).all():
            raise LandscapeError("ball positions must be finite")
        if isinstance(group, bool) or not (0 <= int(group) < len(self.ball_groups)):
            raise LandscapeError(f"group must be in 0..{len(self.ball_groups) - 1}, "
                                 f"got {group!r}")
        group = int(group)
        ids = np.arange(self.n_balls, self.n_balls + len(ab))
        groups = list(self._state.groups)
        j0 = groups[group].n
        new = self._fresh(group, ab, ids, pad=-(j0 + len(ab)) % self.n_devices)
        groups[group] = jax.tree.map(lambda u, v: jnp.concatenate([u, v]), groups[group], new)
        self._ext += [(group, j0 + j) for j in range(len(ab))]
        measured = self._prog.measure_all(self._state.replace(groups=tuple(groups)),
                                          self._consts)
        # existing balls keep their flags and pending gradients exactly
        keep = []
        for gi, (old, m) in enumerate(zip(self._state.groups, measured.groups)):
            if gi != group:
                keep.append(old)
            else:
                keep.append(jax.tree.map(lambda u, v: jnp.concatenate([u, v[j0:]]), old, m))
        self._state = self._state.replace(groups=tuple(keep))
        self._sync_index()

    def reset(self) -> None:
        """Back to step 0: the constructor's balls at their starting positions (added balls
        are removed)."""
        self._state, ext = self._initial
        self._ext = list(ext)
        self._sync_index()

    def census(self) -> list[dict]:
        """Minima found by the balls settled now (see `landscape.balls._census.census`)."""
        return self._census(self._host(true_loss=False))

    def run(self, n_steps: int, record_every: int = 1) -> Trajectory:
        """Advance ``n_steps`` from the current state, recording a frame now and every
        ``record_every`` steps (and at the end); the census is taken at the end."""
        n_steps = check_steps(n_steps)
        record_every = check_steps(record_every, "record_every")
        t0 = time.perf_counter()
        frames = [self._host()]
        done = 0
        while done < n_steps:
            k = min(record_every, n_steps - done)
            self._state = self._prog.advance(self._state, self._consts, k)
            done += k
            frames.append(self._host())
        seconds = time.perf_counter() - t0
        st = lambda k: np.stack([f[k] for f in frames])
        last = frames[-1]
        meta = {"key": key_list(self.key), "settle_tol": self.settle_tol,
                "settle_steps": self.settle_steps, "escape_margin": self.escape_margin,
                "bounds": list(self.bounds), "stacked": self.stacked,
                "n_data": self.n_data, "seconds": seconds,
                "ball_steps_per_second": self.n_balls * n_steps / seconds if seconds else None,
                "n_escaped": int(last["escaped"].sum()), "n_settled": int(last["settled"].sum()),
                "n_over_nonfinite": int(last["over_nonfinite"].sum()),
                "surface": self.surface.meta.get("config_hash"),
                "census_params": dict(self.census_params),
                "surface_fingerprint": self.surface.fingerprint(),
                "heights": ("the surface's loss under each ball's plane position"
                            + (" (its projection; true_loss is the ball's own)"
                               if self.mode == "projected" else "")
                            + "; the plateau (highest finite loss) over non-finite cells"),
                "bn_policy": self.task.bn_policy if self.task.model.n_bn else None,
                "batch_norm": batch_norm_note(self.task)}
        proj = self.mode == "projected"
        return Trajectory(
            steps=np.array([f["step"] for f in frames], np.int32),
            positions=st("positions"), heights=st("heights"), batch_loss=st("batch_loss"),
            grad_norms=st("grad_norms"), grad_norms_bias=st("grad_norms_bias"),
            layers=list(self.layers), escaped=st("escaped"), settled=st("settled"),
            group=self.group.copy(), groups=self.groups, mode=self.mode,
            off_plane=st("off_plane") if proj else None,
            true_loss=st("true_loss") if proj else None, census=self._census(last), meta=meta,
            over_nonfinite=st("over_nonfinite"), grad_overflow=st("grad_overflow"))


def simulate(task, plane, surface, groups, *, steps: int, mode: str = "slice",
             record_every: int = 1, key, **options) -> Trajectory:
    """Run balls for ``steps`` steps and return their `Trajectory` (see `Simulator`; extra
    ``options`` go to its constructor)."""
    steps = check_steps(steps)
    return Simulator(task, plane, surface, groups, mode=mode, key=key, **options).run(
        steps, record_every)


def group_norm_stats(grad_norms, group, n_groups: int | None = None, escaped=None) -> dict:
    """Mean, min and max of per-layer gradient norms over each group's balls (what the overlay
    panel draws).

    Args:
      grad_norms: ``[..., N, L]`` (a frame's ``[N, L]`` or a trajectory's ``[T, N, L]``).
      group: int ``[N]``; n_groups: G (default ``max(group) + 1``).
      escaped: optional bool ``[..., N]``; escaped balls are left out.

    Returns:
      ``{"mean", "min", "max"}``, each float32 ``[G, ..., L]`` (NaN for a group with no ball
      left), and ``"n"`` int ``[G, ...]``.
    """
    gn_ = np.asarray(grad_norms, np.float64)
    group = np.asarray(group)
    G = int(n_groups if n_groups is not None else group.max() + 1)
    keep = np.ones(gn_.shape[:-1], bool) if escaped is None else ~np.asarray(escaped, bool)
    out = {k: [] for k in ("mean", "min", "max", "n")}
    for g in range(G):
        m = (group == g) & keep                                   # [..., N]
        n = m.sum(-1)
        some = n[..., None] > 0
        mean = np.where(m[..., None], gn_, 0.0).sum(-2) / np.maximum(n, 1)[..., None]
        out["mean"].append(np.where(some, mean, np.nan))
        out["min"].append(np.where(some, np.where(m[..., None], gn_, np.inf).min(-2), np.nan))
        out["max"].append(np.where(some, np.where(m[..., None], gn_, -np.inf).max(-2), np.nan))
        out["n"].append(n)
    return {k: np.stack(v).astype(np.int64 if k == "n" else np.float32) for k, v in out.items()}
