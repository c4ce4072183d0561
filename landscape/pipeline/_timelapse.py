"""The landscape as training proceeds: surfaces at checkpoints of the real training run, with
the real network drawn as a ball on them.

Two planes (``kind``):

* ``"pca"`` — one plane for the whole run: the top two principal components of the training
  path, through θ* (`landscape.planes.pca_plane`). The loss function does not change during
  training, so neither does its surface on a fixed plane: there is **one** surface, and the
  real network moves on it. Checkpoint t is drawn at its least-squares projection
  ``(a_t, b_t)``; the ball's height is the loss *at that point of the plane*,
  ``L(θ* + a_t·d1 + b_t·d2)`` (``plane_loss``), which is the surface's own value there; the
  network's true loss ``L(θ_t)`` (``loss``) and its distance from the plane (``off_plane``)
  say how far the picture is from the truth.
* ``"riding"`` — a plane that rides along with θ_t: the same two Gaussian draws (one fixed key)
  filter-normalized (or as ``norm`` says) at each checkpoint's own weights,
  ``d_i(t) = normalize(g_i, θ_t)``, through θ_t. Each checkpoint has its own surface
  ``L(θ_t + a·d1(t) + b·d2(t))``, which morphs as training goes; the real network sits at
  its centre ``(0, 0)``, where the surface equals ``L(θ_t)`` exactly (``off_plane`` is 0).
  ``layers=`` makes it a per-layer riding plane.

Surfaces come from `landscape.surface.compute_surface`, one call per distinct (θ, d1, d2) behind
`evaluate_grids`, which is where a one-job evaluation of many planes will plug in.

Per-layer learning speed over the same run comes from training itself (`landscape.training`):
``grad_norms`` and ``weight_change`` per step, and `relative_change` per checkpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError, choice
from landscape.files import (
    atomic_savez,
    check_writable,
    entry_lock,
    json_default,
    read_npz,
)
from landscape.nets import Layout, loss_and_accuracy
from landscape.pipeline._cache import cache_dir, cache_limit, keep_under_limit, touch
from landscape.planes import Plane, pca_plane, random_plane
from landscape.surface import Surface, bilinear, compute_surface
from landscape.training import Task

KINDS = ("pca", "riding")
FORMAT = "landscape.timelapse/1"
PER_CHECKPOINT = ("steps", "ab", "loss", "plane_loss", "off_plane", "path_length",
                  "relative_change")


@dataclasses.dataclass(eq=False)
class Timelapse:
    """Surfaces along a training run and the real network on them. K checkpoints, L layers.

    Attributes:
      kind: ``"pca"`` or ``"riding"`` (see the module docstring).
      steps: int ``[K]``, the training step of each checkpoint (the first is 0, the last θ*).
      surfaces: K `Surface` objects, one per checkpoint (under ``pca`` the same object K
        times: the plane and the loss do not change).
      planes: the K planes (likewise shared under ``pca``).
      ab: float32 ``[K, 2]``, the real network's plane coordinates (``riding``: zeros).
      loss: float32 ``[K]``, the real network's full-data loss ``L(θ_t)``.
      plane_loss: float32 ``[K]``, the loss at the ball's point of the plane (``riding``: the
        same point, so equal to ``loss``).
      off_plane: float32 ``[K]``, ``‖θ_t − (origin + a_t·d1 + b_t·d2)‖`` (``riding``: 0).
      path_length: float32 ``[K]``, ``‖θ_t − θ*‖``, to put ``off_plane`` in proportion.
      relative_change: float32 ``[K, L]``, each layer's ``‖W_l(t) − W_l(0)‖ / ‖W_l(0)‖``.
      layers: L layer names; grad_norms, weight_change: the task's per-step records
        ``[steps, L]``.
      meta: how it was made (kind, normalization, span, explained variance, seconds).
    """

    kind: str
    steps: np.ndarray
    surfaces: list
    planes: list
    ab: np.ndarray
    loss: np.ndarray
    plane_loss: np.ndarray
    off_plane: np.ndarray
    path_length: np.ndarray
    relative_change: np.ndarray
    layers: list
    grad_norms: np.ndarray | None
    weight_change: np.ndarray | None
    meta: dict

    @property
    def n_checkpoints(self) -> int:
        return len(self.steps)

    def save(self, path: str) -> str:
        """Write an ``.npz`` (no pickle) atomically; the distinct surfaces are stored once."""
        path = os.fspath(path)
        check_writable(path)
        distinct = list(dict.fromkeys(self.surfaces))             # pca: one, riding: K
        first = distinct[0]
        arrays = {"format": np.array(FORMAT), "kind": np.array(self.kind),
                  "surface_of": np.array([distinct.index(s) for s in self.surfaces], np.int32),
                  "alphas": first.alphas, "betas": first.betas,
                  "x_eval": first.x_eval, "y_eval": first.y_eval,
                  "spec": np.array(json.dumps(first.spec)),
                  "layout": np.array(json.dumps(first.layout.to_json())),
                  "layers": np.array(json.dumps(self.layers)),
                  "meta": np.array(json.dumps(self.meta, default=json_default)),
                  "plane_meta": np.array(json.dumps([p.meta for p in dict.fromkeys(self.planes)],
                                                    default=json_default)),
                  "surface_meta": np.array(json.dumps([s.meta for s in distinct],
                                                      default=json_default))}
        for name in ("loss", "accuracy", "theta", "d1", "d2", "bn_stats"):
            arrays["s_" + name] = np.stack([getattr(s, name) for s in distinct]).astype(np.float32)
        for name in PER_CHECKPOINT:
            arrays[name] = getattr(self, name)
        for name in ("grad_norms", "weight_change"):
            v = getattr(self, name)
            arrays[name] = np.zeros((0, len(self.layers)), np.float32) if v is None else v
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str) -> "Timelapse":
        """Read a file written by `save`; a foreign or damaged file (a checksum mismatch
        included) raises `LandscapeError`."""
        keys = ("kind", "surface_of", "alphas", "betas", "x_eval", "y_eval", "spec", "layout",
                "layers", "meta", "plane_meta", "surface_meta", "s_loss", "s_accuracy",
                "s_theta", "s_d1", "s_d2", "s_bn_stats", "grad_norms", "weight_change")
        z = read_npz(path, FORMAT, keys + PER_CHECKPOINT)
        try:
            spec = json.loads(str(z["spec"]))
            layout = Layout.from_json(json.loads(str(z["layout"])))
            smeta = json.loads(str(z["surface_meta"]))
            pmeta = json.loads(str(z["plane_meta"]))
            distinct = [Surface(alphas=z["alphas"], betas=z["betas"], loss=z["s_loss"][m],
                                accuracy=z["s_accuracy"][m], theta=z["s_theta"][m],
                                d1=z["s_d1"][m], d2=z["s_d2"][m], spec=spec, layout=layout,
                                x_eval=z["x_eval"], y_eval=z["y_eval"],
                                bn_stats=z["s_bn_stats"][m], meta=smeta[m])
                        for m in range(len(smeta))]
            planes = [Plane(s.d1, s.d2, s.meta.get("direction", "random"),
                            s.meta.get("norm", "filter"), pm) for s, pm in zip(distinct, pmeta)]
            of = z["surface_of"].tolist()
            return cls(str(z["kind"]), z["steps"], [distinct[m] for m in of],
                       [planes[m] for m in of], z["ab"], z["loss"], z["plane_loss"],
                       z["off_plane"], z["path_length"], z["relative_change"],
                       json.loads(str(z["layers"])), z["grad_norms"], z["weight_change"],
                       json.loads(str(z["meta"])))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            raise LandscapeError(f"{path}: not a valid timelapse file ({e})") from None

    def surface_loss(self) -> np.ndarray:
        """float32 ``[K]``: each checkpoint's surface interpolated at the ball (what a renderer
        draws the ball's height at); equals ``plane_loss`` up to interpolation error."""
        return np.array([s.interpolate(ab) for s, ab in zip(self.surfaces, self.ab)], np.float32)


def evaluate_grids(tasks, planes, *, span, resolution, progress=None) -> list[Surface]:
    """One surface per ``(task, plane)`` pair (each task at its own θ), on the same grid: one
    compiled job for all of them (`landscape.surface.compute_surfaces`) when they share the
    model, data and batch-norm statistics, else one surface at a time."""
    from landscape.surface import compute_surfaces

    t0 = tasks[0]
    shared = all(t.model is t0.model and t.data is t0.data for t in tasks) and (
        not t0.model.n_bn or t0.bn_policy == "batch")
    if shared:
        return compute_surfaces(t0, [(np.asarray(t.theta, np.float32), p)
                                     for t, p in zip(tasks, planes)],
                                span=span, resolution=resolution, progress=progress)
    return [compute_surface(t, p, span=span, resolution=resolution, progress=progress)
            for t, p in zip(tasks, planes)]


def full_losses(task: Task, thetas, bn_stats) -> np.ndarray:
    """float32 ``[K]``: the evaluation-set loss at each of ``thetas`` ``[K, P]`` with its own
    batch-norm statistics (under the task's policy), compiled once for all K."""
    model, policy = task.model, task.bn_policy
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)

    @jax.jit
    def f(theta, stats):
        return loss_and_accuracy(model.apply(theta, x, stats or None, policy), y, model.output)[0]

    return np.array([float(f(jnp.asarray(th, jnp.float32),
                             [(jnp.asarray(m), jnp.asarray(v)) for m, v in st]))
                     for th, st in zip(thetas, bn_stats)], np.float32)


def select_checkpoints(task: Task, n_checkpoints: int) -> np.ndarray:
    """Indices of ``n_checkpoints`` of the task's checkpoints, evenly spread, first and last
    included."""
    if isinstance(n_checkpoints, bool) or int(n_checkpoints) != n_checkpoints \
            or n_checkpoints < 2:
        raise LandscapeError(f"a timelapse needs at least 2 checkpoints, got {n_checkpoints}")
    k0 = len(task.checkpoints)
    if int(task.config.get("steps") or 0) < 1 or k0 < 2:
        raise LandscapeError("a timelapse needs a trained network; this one was not trained "
                             "(train_steps is 0)")
    if n_checkpoints > k0:
        raise LandscapeError(f"the training run kept {k0} checkpoints, fewer than the "
                             f"{n_checkpoints} asked for; train with more checkpoints "
                             f"(train_checkpoints ≥ {n_checkpoints - 1})")
    return np.unique(np.linspace(0, k0 - 1, int(n_checkpoints)).round().astype(int))


def relative_change(layout, theta0, thetas) -> np.ndarray:
    """``‖W_l(t) − W_l(0)‖ / ‖W_l(0)‖`` per layer (weights only, layers as in
    `landscape.nets._layers.weight_layers`): float64 ``[K, L]`` for ``thetas`` ``[K, P]``."""
    names, seg = layout.segments(("weight",))
    thetas = np.atleast_2d(np.asarray(thetas, np.float64))
    t0 = np.asarray(theta0, np.float64)
    out = np.zeros((len(thetas), len(names)))
    for l in range(len(names)):
        m = seg == l
        out[:, l] = np.linalg.norm(thetas[:, m] - t0[m], axis=1) / max(np.linalg.norm(t0[m]), 1e-30)
    return out


def compute_timelapse(task: Task, kind: str = "pca", *, n_checkpoints: int = 8,
                      span: float = 1.0, resolution: int = 31, norm: str = "filter",
                      layers=None, key=None, progress=None) -> Timelapse:
    """Surfaces at ``n_checkpoints`` checkpoints of ``task``'s training run.

    Args:
      kind: ``"pca"`` (one fixed plane) or ``"riding"`` (a plane through each θ_t).
      n_checkpoints: K ≥ 2, spread evenly over the kept checkpoints (first and last included).
      span: ``pca``: in units of the path's largest excursion (span 1 frames the whole path);
        ``riding``: in units of the filter-normalized directions, as for `random_plane`.
      resolution: N for N×N grids.
      norm, layers, key: the riding plane's normalization, layer selection and the key of its
        two Gaussian draws (``riding`` only; ``key`` defaults to ``jax.random.key(0)``).

    Raises `LandscapeError` for fewer than 2 checkpoints, an untrained task, or options that
    do not apply to ``kind``.
    """
    import time

    choice("timelapse plane", kind, KINDS)
    if kind == "pca" and (layers is not None or norm != "filter" or key is not None):
        raise LandscapeError("the PCA plane takes no normalization, layers or key; those "
                             "apply to the riding plane")
    idx = select_checkpoints(task, n_checkpoints)
    t0 = time.perf_counter()
    thetas = np.asarray(task.checkpoints, np.float32)[idx]
    steps = np.asarray(task.checkpoint_steps)[idx]
    star = np.asarray(task.theta, np.float64)
    at = [task.at(th) for th in thetas]
    loss = full_losses(task, thetas, [t.bn_stats for t in at])
    if kind == "pca":
        plane = pca_plane(task)
        s = evaluate_grids([task], [plane], span=span * plane.meta["span_unit"],
                           resolution=resolution, progress=progress)[0]
        surfaces, planes = [s] * len(idx), [plane] * len(idx)
        ab = plane.project(thetas.astype(np.float64) - star[None]).astype(np.float32)
        on = star[None] + ab[:, :1] * plane.d1[None] + ab[:, 1:] * plane.d2[None]
        off = np.linalg.norm(thetas - on, axis=1).astype(np.float32)
        plane_loss = full_losses(task, on, [task.bn_stats] * len(on))
        extra = {"explained_variance": plane.meta["explained_variance"],
                 "span_unit": plane.meta["span_unit"]}
    else:
        key = jax.random.key(0) if key is None else key
        planes = [random_plane(t, norm=norm, layers=layers, key=key) for t in at]
        surfaces = evaluate_grids(at, planes, span=span, resolution=resolution,
                                  progress=progress)
        ab = np.zeros((len(idx), 2), np.float32)
        off = np.zeros(len(idx), np.float32)
        plane_loss = loss.copy()
        extra = {"norm": norm, "layers": planes[0].meta.get("layers")}
    if kind == "pca":
        surfaces[0].meta["timelapse"] = {"kind": kind, "steps": steps.tolist()}
    else:
        for s, st in zip(surfaces, steps):
            s.meta["timelapse"] = {"kind": kind, "step": int(st)}
    return Timelapse(
        kind, steps, surfaces, planes, ab, loss, plane_loss, off,
        np.linalg.norm(thetas - star[None], axis=1).astype(np.float32),
        relative_change(task.model.layout, task.theta0, thetas).astype(np.float32),
        list(task.record_layers), task.grad_norms, task.weight_change,
        {"kind": kind, "span": float(span), "resolution": int(resolution),
         "n_checkpoints": int(len(idx)), "seconds": time.perf_counter() - t0, **extra})


def build_timelapse(cfg, kind: str = "pca", n_checkpoints: int = 8, *, cache: bool = True,
                    progress=None, log=None) -> Timelapse:
    """The timelapse of the training run ``cfg`` describes, from the cache when nothing that
    determines it changed. The grid, span, normalization and layer selection (riding plane)
    come from ``cfg``; the riding plane's draws from ``cfg.key("plane")``; ``cfg`` must train
    (``train_steps ≥ 1``) and keep at least ``n_checkpoints`` checkpoints
    (``train_checkpoints``)."""
    log = log or (lambda line: print(line, file=sys.stderr))
    choice("timelapse plane", kind, KINDS)
    cfg.validate()
    if cfg.train_steps < 1:
        raise LandscapeError("a timelapse needs a trained network; this one is not trained "
                             "(train_steps is 0)")
    if isinstance(n_checkpoints, bool) or int(n_checkpoints) != n_checkpoints or n_checkpoints < 2:
        raise LandscapeError(f"a timelapse needs at least 2 checkpoints, got {n_checkpoints}")
    tag = hashlib.sha256(f"{cfg.digest()}/{kind}/{int(n_checkpoints)}/{FORMAT}".encode())
    path = os.path.join(cache_dir(), f"timelapse-{tag.hexdigest()[:20]}.npz")
    limit = cache_limit()[0] if cache else None
    # As for surfaces: one process computes the entry, others wait, and eviction skips it.
    lock = entry_lock(path) if cache and jax.process_count() == 1 else contextlib.nullcontext()
    with lock:
        tl, published = _build_timelapse(cfg, kind, n_checkpoints, path, cache=cache,
                                         progress=progress, log=log)
    if published and limit is not None:
        keep_under_limit(path, limit, log)
    return tl


def _build_timelapse(cfg, kind, n_checkpoints, path, *, cache, progress, log):
    """(timelapse, whether it was written into the cache) for `build_timelapse`."""
    if cache and os.path.exists(path):
        try:
            tl = Timelapse.load(path)
            touch(path)
            return tl, False
        except LandscapeError as e:
            log(f"landscape: cache file is corrupt ({e}); recomputing")
    task = cfg.build_task()
    kw = {} if kind == "pca" else {"norm": cfg.norm, "layers": cfg.layers,
                                   "key": cfg.key("plane")}
    tl = compute_timelapse(task, kind, n_checkpoints=n_checkpoints, span=cfg.span,
                           resolution=cfg.grid, progress=progress, **kw)
    tl.meta["config"] = cfg.to_dict()
    if cache:
        try:
            os.makedirs(cache_dir(), exist_ok=True)
            tl.save(path)
            return tl, True
        except (OSError, LandscapeError) as e:   # full, read-only, gone: said once
            from landscape.files import cache_warning

            cache_warning(log, e, path)
    return tl, False


def checkpoint_position(tl: Timelapse, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """For ``n_frames`` frames spread evenly over the run: the checkpoint interval ``k [T]``
    (frame between checkpoints k and k+1) and the weight ``w [T]`` of checkpoint k+1 (0 at
    checkpoint k, 1 at k+1): what a renderer blends surfaces with."""
    K = tl.n_checkpoints
    u = np.linspace(0.0, K - 1.0, int(n_frames))
    k = np.minimum(np.floor(u).astype(int), K - 2)
    return k, (u - k).astype(np.float64)


def surface_at(tl: Timelapse, k: int, w: float) -> np.ndarray:
    """The loss grid drawn between checkpoints k and k+1 at weight ``w``: a linear blend of the
    two checkpoints' surfaces (exactly checkpoint k's at w = 0 and k+1's at w = 1; under
    ``pca`` the one surface)."""
    a, b = tl.surfaces[k].loss, tl.surfaces[k + 1].loss
    if a is b or w == 0.0:
        return a
    if w == 1.0:
        return b
    return ((1.0 - w) * a.astype(np.float64) + w * b.astype(np.float64)).astype(np.float32)


def timelapse_trajectory(tl: Timelapse, n_frames: int, name: str = "the network (training)",
                         info: dict | None = None):
    """The real network as one ball over ``n_frames`` frames (a `landscape.balls._trajectory.
    Trajectory` in ``projected`` mode, so a renderer shows its own loss and distance from the
    plane): at the checkpoints exactly the timelapse's numbers (plane position ``ab``, height =
    the checkpoint's surface there, true loss ``L(θ_t)``, ``off_plane``); between them blended
    linearly (the frames between two checkpoints are a picture of the interval, not computed
    states). The step is the training step (blended, rounded); the per-layer gradient norms are
    the training run's own at that step (``grad_norms`` records, exact; the last checkpoint,
    after the last step, shows that last step's)."""
    from landscape.balls import Trajectory

    T = int(n_frames)
    if T < 2:
        raise LandscapeError(f"a timelapse needs at least 2 frames, got {T}")
    k, w = checkpoint_position(tl, T)
    lerp = lambda x: (1 - w) * np.asarray(x, np.float64)[k] + w * np.asarray(x, np.float64)[k + 1]  # noqa: E731
    steps = np.rint(lerp(tl.steps)).astype(np.int32)
    ab = np.stack([lerp(tl.ab[:, 0]), lerp(tl.ab[:, 1])], 1).astype(np.float32)
    s0 = tl.surfaces[0]
    heights = np.array([float(bilinear(s0.alphas, s0.betas, surface_at(tl, kk, ww), p[None])[0])
                        for kk, ww, p in zip(k, w, ab)], np.float32)
    L = len(tl.layers)
    g = np.asarray(tl.grad_norms, np.float32) if tl.grad_norms is not None and \
        len(tl.grad_norms) else np.full((int(steps.max()) + 1, L), np.nan, np.float32)
    gn = g[np.clip(steps, 0, len(g) - 1)][:, None, :]
    group = dict(info or {})
    group.setdefault("name", name)
    z = np.zeros((T, 1), bool)
    return Trajectory(steps, ab[:, None, :], heights[:, None], heights[:, None], gn,
                      np.full_like(gn, np.nan), list(tl.layers), z, z.copy(),
                      np.zeros(1, np.int32), [group], mode="projected",
                      off_plane=lerp(tl.off_plane).astype(np.float32)[:, None],
                      true_loss=lerp(tl.loss).astype(np.float32)[:, None],
                      meta={"timelapse": tl.kind}, grad_overflow=~np.isfinite(gn))
