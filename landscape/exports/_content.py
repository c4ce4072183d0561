"""What an export holds, whatever it came from: views (a surface, its height scale, balls over
time) and a shared timeline.

A scene (`landscape.scene.Computed`) gives one view per landscape, sharing one loss range as
the video does, and its timeline (captions, which step each view shows when). A surface file
with an optional trajectory file gives one view. Everything here is numpy; the writers
(`landscape.exports._page`, `landscape.exports._gltf`, `landscape.exports._meshfiles`) only draw it.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from landscape.errors import LandscapeError
from landscape.picture import HeightScale, make_scale, view_ranges

MAX_FRAMES = 240        # page frames: enough for smooth scrubbing, small enough to ship
RELIEF = 0.55           # relief height / horizontal span, as the renderer draws it


@dataclasses.dataclass(eq=False)
class View:
    """One landscape to export.

    Attributes:
      title: shown above the view; subtitle: network, data, plane and grid in one line.
      surface: a `landscape.surface.Surface`; scale: its `HeightScale` (loss → z).
      trajectory: a `landscape.balls._trajectory.Trajectory` or None (surface only).
      frames: int ``[K]``, the trajectory frame shown at each of the export's K time steps.
      trail_seconds: how much time a ball's trail spans (the video's trail length over its
        frame rate); None: the page's default.
      timelapse: for a riding timelapse (`landscape.pipeline._timelapse.Timelapse`, one surface
        per checkpoint, blended as the trajectory goes), else None; ``surface`` is then its
        last checkpoint's and ``scale`` holds every checkpoint's losses.
    """

    title: str
    subtitle: str
    surface: object
    scale: HeightScale
    trajectory: object = None
    frames: np.ndarray | None = None
    trail_seconds: float | None = None
    timelapse: object = None

    @property
    def span(self) -> float:
        a0, a1, b0, b1 = self.surface.span
        return float(max(a1 - a0, b1 - b0))

    def theta_star_loss(self) -> float | None:
        """The surface's loss at θ* (a = b = 0) as it is drawn (bilinear, a non-finite cell
        read as the top of the scale), or None when θ* is off the grid."""
        from landscape.surface import bilinear

        s = self.surface
        a0, a1, b0, b1 = (float(v) for v in s.span)
        if not (a0 <= 0 <= a1 and b0 <= 0 <= b1):
            return None
        fin = np.where(np.isfinite(s.loss), s.loss, self.scale.hi)
        return float(bilinear(s.alphas, s.betas, fin, np.zeros((1, 2)))[0])

    @property
    def radius(self) -> float:
        """Ball radius in world units, as the renderer draws them."""
        return 0.016 * self.span


@dataclasses.dataclass(eq=False)
class Content:
    """Views and a shared timeline of K steps.

    Attributes:
      title, description: of the whole export (the scene's name and docstring summary).
      views: the `View`s, in the scene's order.
      captions: K strings (the caption in force at each time step; "" for none).
      seconds: how long playing the whole timeline takes at normal speed.
      camera: the scene's camera preset (``iso``, ``top``, ``side``).
      source: one line saying where this came from (scene file and quality, or file names).
      fps: time steps per second when the steps are a scene's video frames (step k is shown
        at k / fps seconds); None: the K steps are spread evenly over ``seconds``.
      camera_path: float64 ``[K, 2]``, the video camera's (elevation, azimuth) in degrees at
        each step (its preset, the presets segments jump to, its orbits; azimuth unwrapped),
        or None: the ``camera`` preset throughout.
    """

    title: str
    description: str
    views: list
    captions: list
    seconds: float
    camera: str = "iso"
    source: str = ""
    fps: float | None = None
    camera_path: np.ndarray | None = None

    @property
    def n_steps(self) -> int:
        return len(self.captions)

    @property
    def times(self) -> np.ndarray:
        """float64 ``[K]``: when each time step is shown, in seconds from the start."""
        k = np.arange(self.n_steps, dtype=np.float64)
        if self.fps:
            return k / float(self.fps)
        return k * (self.seconds / max(self.n_steps - 1, 1))

    @property
    def animated(self) -> bool:
        return any(v.trajectory is not None for v in self.views) and self.n_steps > 1


def describe_surface(surface) -> str:
    """One line: network, data, plane and grid (``MLP 64-64-64 relu · digits · random
    directions (filter norm) · 51×51 grid``)."""
    spec, meta = surface.spec, surface.meta
    kind = str(spec.get("kind", "model"))
    widths = spec.get("widths") or ()
    net = f"{kind.upper()} {'-'.join(map(str, widths))}".strip()
    act = spec.get("activation")
    parts = [net + (f" {act}" if act else "")]
    ds = meta.get("dataset", {})
    if isinstance(ds, dict) and ds.get("name"):
        parts.append(str(ds["name"]))
    if meta.get("direction"):
        norm = meta.get("norm")
        parts.append(f"{meta['direction']} directions" + (f" ({norm} norm)" if norm else ""))
    parts.append(f"{surface.shape[0]}×{surface.shape[1]} grid")
    return " · ".join(parts)


def check_pair(surface, trajectory, surface_name: str = "the surface",
               trajectory_name: str = "the trajectory") -> None:
    """Raise a one-line `LandscapeError` unless ``trajectory`` was simulated on ``surface``.

    Trajectories record the fingerprint of their surface (grid and plane:
    `landscape.surface.Surface.fingerprint`); files written before it existed are checked by
    the surface's config hash, and when neither is recorded, by the grid's extent.
    """
    meta = trajectory.meta or {}
    fp = meta.get("surface_fingerprint")
    mismatch = None
    if fp is not None:
        if fp != surface.fingerprint():
            mismatch = "its grid or directions differ"
    elif meta.get("surface") and surface.meta.get("config_hash"):
        if meta["surface"] != surface.meta["config_hash"]:
            mismatch = "it was computed from another configuration"
    elif meta.get("bounds") is not None:
        a0, a1, b0, b1 = surface.span
        x0, x1, y0, y1 = (float(v) for v in meta["bounds"])
        if not (x0 <= a0 and a1 <= x1 and y0 <= b0 and b1 <= y1):
            mismatch = "its extent differs"
    if mismatch:
        raise LandscapeError(f"{trajectory_name} was not simulated on {surface_name} "
                             f"({mismatch}); export each trajectory with the surface it was "
                             f"computed on")
    pos = np.asarray(trajectory.positions)
    if pos.ndim != 3 or pos.shape[-1] != 2 or trajectory.n_frames < 1:
        raise LandscapeError(f"{trajectory_name} holds no ball positions")


def even_frames(n_frames: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """At most ``max_frames`` frame indices spread evenly over ``n_frames``, first and last
    included."""
    k = min(int(n_frames), int(max_frames))
    return np.unique(np.round(np.linspace(0, n_frames - 1, max(k, 1))).astype(int))


def from_files(surface, trajectory=None, *, log_scale: bool | None = None,
               title: str | None = None, max_frames: int = MAX_FRAMES) -> Content:
    """One view from a surface (a `Surface` or a ``.npz`` path) and an optional trajectory
    (a `Trajectory` or a path); the pair is checked with `check_pair`."""
    from landscape.balls import Trajectory
    from landscape.surface import Surface

    s_name = surface if isinstance(surface, (str, os.PathLike)) else "the surface"
    s = Surface.load(surface) if isinstance(surface, (str, os.PathLike)) else surface
    t = None
    if trajectory is not None:
        t_name = trajectory if isinstance(trajectory, (str, os.PathLike)) else "the trajectory"
        t = (Trajectory.load(trajectory) if isinstance(trajectory, (str, os.PathLike))
             else trajectory)
        check_pair(s, t, str(s_name), str(t_name))
    scale = make_scale(s.loss, _span(s), log_scale, RELIEF)
    frames = even_frames(t.n_frames, max_frames) if t is not None else None
    c = s.meta.get("center_loss")
    head = title or describe_surface(s).split(" · ")[0]
    view = View(head + (f"  ·  loss at θ* {c:.3g}" if c is not None else ""),
                describe_surface(s), s, scale, t, frames)
    k = len(frames) if frames is not None else 1
    names = [os.path.basename(os.fspath(p)) for p in (surface, trajectory)
             if isinstance(p, (str, os.PathLike))]
    about = ""
    if t is not None:
        groups = ", ".join(str(g.get("name", "")) for g in t.groups)
        about = (f"{t.n_balls} balls ({groups}) over {int(t.steps[-1])} steps of real "
                 f"minibatch gradients")
    return Content(title or "Loss landscape", about, [view], [""] * k,
                   seconds=float(np.clip(k / 24.0, 4.0, 12.0)), source=", ".join(names))


def from_computed(computed, *, max_frames: int = MAX_FRAMES, view: int | None = None,
                  fps: int | None = None) -> Content:
    """The views of a computed scene (`landscape.scene.compute_scene`), with the scene's timeline
    resampled to at most ``max_frames`` steps; ``view`` keeps only that one (0-based). ``fps``:
    the timeline at exactly this many steps per second, every one kept (a 3D file's keyframes
    at the video's rate), instead of ``max_frames``."""
    from landscape.scene import timeline, title
    scene = computed.scene
    runs = list(computed.runs)
    ranges = view_ranges([_all_losses(r) for r in runs], [r.landscape.log_scale for r in runs],
                         [getattr(r.landscape, "scale", None) for r in runs])
    seconds = max(float(scene.run_time * scene.quality.time_scale), 1e-3)
    if fps is None:
        fps = max(1, min(30, int(max_frames // seconds)))
        specs = timeline(scene, fps)[: max_frames - 1]
    else:
        specs = timeline(scene, int(fps))
    index = np.array([[0] * len(runs)] + [f.index for f in specs], int)         # [K, V]
    captions = [specs[0].caption if specs else ""] + [f.caption or "" for f in specs]
    camera = getattr(scene, "camera", "iso") or "iso"
    views = []
    for i, r in enumerate(runs):
        log, shared = ranges[i]
        tl = r.timelapse if getattr(r.timelapse, "kind", None) == "riding" else None
        scale = make_scale(_all_losses(r), _span(r.surface), log, RELIEF, shared)
        frames = np.minimum(index[:, i], r.trajectory.n_frames - 1)
        views.append(View(title(r), describe_surface(r.surface), r.surface, scale,
                          r.trajectory, frames, timelapse=tl,
                          trail_seconds=_trail_seconds(r.trajectory, scene.quality.fps)))
    if view is not None:
        views = [views[view]]
    doc = (type(scene).__doc__ or "").strip().splitlines()
    name = type(scene).__name__
    return Content(_words(name), doc[0].strip() if doc else "", views, [c or "" for c in captions],
                   seconds=seconds, camera=camera,
                   source=f"{name} (seed {scene.seed}, quality {scene.quality.name})", fps=fps,
                   camera_path=_camera_path(camera, specs))


def _camera_path(preset: str, specs) -> np.ndarray:
    """(elevation, azimuth) at step 0 and after each frame, as the director moves the camera
    (`landscape.scene._director`: a frame's preset first, then its turn)."""
    from landscape.picture import CAMERAS

    el, az = CAMERAS.get(preset, CAMERAS["iso"])
    out = [(el, az)]
    for f in specs:
        if f.camera:
            el, az = CAMERAS.get(f.camera, (el, az))
        az += float(f.d_azimuth)
        out.append((el, az))
    return np.asarray(out, np.float64)


def _all_losses(run) -> np.ndarray:
    """Every loss a run's view draws (a riding timelapse: every checkpoint's surface), so its
    scale holds them all, as the video's does."""
    tl = getattr(run, "timelapse", None)
    if tl is None or tl.kind != "riding":
        return run.surface.loss
    return np.stack([s.loss for s in dict.fromkeys(tl.surfaces)])


def _trail_seconds(trajectory, fps: int) -> float:
    """The video's trail (about 40,000 points in all: 8–20 frames a ball) in seconds."""
    n = trajectory.n_balls if trajectory is not None else 1
    return float(np.clip(40_000 // max(n, 1), 8, 20)) / max(int(fps), 1)


def _span(surface) -> float:
    a0, a1, b0, b1 = surface.span
    return float(max(a1 - a0, b1 - b0))


def _words(name: str) -> str:
    """``LocalMinima`` → ``Local minima``."""
    import re

    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name).split()
    return " ".join([words[0]] + [w.lower() if not w.isupper() else w for w in words[1:]]) \
        if words else name
