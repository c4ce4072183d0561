"""The landscape as training proceeds: surfaces at checkpoints of the real training run, with
the real network drawn as a ball on them.

Two planes (``kind``):

* ``"pca"`` — one plane for the whole run: the top two principal components of the training
  path, through θ* (`landscape.directions.pca_plane`). The loss function does not change during
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

Per-layer learning speed over the same run comes from training itself (`landscape.train`):
``grad_norms`` and ``weight_change`` per step, and `relative_change` per checkpoint.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from landscape.directions import Plane, pca_plane, random_plane
from landscape.errors import LandscapeError, choice
from landscape.surface import Surface, compute_surface
from landscape.train import Task

KINDS = ("pca", "riding")


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

    def surface_loss(self) -> np.ndarray:
        """float32 ``[K]``: each checkpoint's surface interpolated at the ball (what a renderer
        draws the ball's height at); equals ``plane_loss`` up to interpolation error."""
        return np.array([s.interpolate(ab) for s, ab in zip(self.surfaces, self.ab)], np.float32)


def evaluate_grids(tasks, planes, *, span, resolution, progress=None) -> list[Surface]:
    """One surface per ``(task, plane)`` pair (each task at its own θ), on the same grid."""
    return [compute_surface(t, p, span=span, resolution=resolution, progress=progress)
            for t, p in zip(tasks, planes)]


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
    `landscape.layers.weight_layers`): float64 ``[K, L]`` for ``thetas`` ``[K, P]``."""
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
    loss = np.array([t.evaluate()[0] for t in at], np.float32)
    if kind == "pca":
        plane = pca_plane(task)
        s = evaluate_grids([task], [plane], span=span * plane.meta["span_unit"],
                           resolution=resolution, progress=progress)[0]
        surfaces, planes = [s] * len(idx), [plane] * len(idx)
        ab = plane.project(thetas.astype(np.float64) - star[None]).astype(np.float32)
        on = star[None] + ab[:, :1] * plane.d1[None] + ab[:, 1:] * plane.d2[None]
        off = np.linalg.norm(thetas - on, axis=1).astype(np.float32)
        f = jax.jit(task.loss_fn())
        plane_loss = np.array([float(f(jnp.asarray(p, jnp.float32), task.data.x_eval,
                                       task.data.y_eval)[0]) for p in on], np.float32)
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
