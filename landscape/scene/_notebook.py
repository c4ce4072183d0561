"""Scenes in a notebook (or any Python session): load or define, compute with a progress bar,
then look: a still inline, the video inline, the 3D view inline.

    >>> import landscape as ls
    >>> scene = ls.load_scene("scenes/vanishing_gradient.py", quality="low")  # doctest: +SKIP
    >>> result = ls.compute(scene)          # a progress bar (tqdm.auto)      # doctest: +SKIP
    >>> result                              # one line per landscape           # doctest: +SKIP
    >>> result.still()                      # a PNG, shown inline              # doctest: +SKIP
    >>> result.video()                      # an embedded HTML5 <video>        # doctest: +SKIP
    >>> result.show()                       # turn it in 3D (pyvista[jupyter]) # doctest: +SKIP

A scene defined in a cell works the same: ``ls.compute(MyScene, quality="low")``. Names follow
the command line (``render`` writes a video file, ``show`` shows the scene) and the Scene API.
This module imports the renderer (PyVista) only when a picture is asked for.
"""

from __future__ import annotations

import base64
import html
import os
import sys
import tempfile

from landscape.errors import LandscapeError
from landscape.memory import release
from landscape.progress import MIN_SECONDS, Event, Ticking
from landscape.scene._compute import Computed, compute_scene
from landscape.scene._director import build_stage, render, still
from landscape.scene._timeline import timeline

NOTEBOOK_EXTRA = "pip install 'landscape[notebook]'"


# ------------------------------------------------------------------ scenes


def load_scene(path, name: str | None = None, *, quality="low", seed: int | None = None):
    """The scene called ``name`` in the file ``path`` (the file's only scene when None), built
    (``construct()`` run) at ``quality`` (``tiny | low | medium | high``)."""
    from landscape.scene._loader import build_scene

    return build_scene(os.fspath(path), name, seed=seed, quality=quality)


def _constructed(scene, quality, seed):
    from landscape.scene._scene import Scene

    if isinstance(scene, type) and issubclass(scene, Scene):
        scene = scene(seed=seed, quality=quality or "low")
    elif not isinstance(scene, Scene):
        raise LandscapeError(f"compute() takes a Scene or a Scene subclass, not "
                             f"{type(scene).__name__}")
    elif quality is not None or seed is not None:
        raise LandscapeError("quality= and seed= apply to a Scene class; this scene is already "
                             "built (give them to load_scene or to the class)")
    if not scene.landscapes:
        try:
            scene.construct()
        except LandscapeError:
            raise
        except Exception as e:
            raise LandscapeError(f"in {type(scene).__name__}.construct(): "
                                 f"{type(e).__name__}: {e}") from e
        if not scene.landscapes:
            raise LandscapeError(f"{type(scene).__name__}.construct() added no landscape")
        if not scene.segments:
            raise LandscapeError(f"{type(scene).__name__}.construct() plays nothing (call "
                                 "self.play(...) or self.wait(...))")
    return scene


class _Progress:
    """One bar over the scene's phases (each landscape's surface, then its balls; a timelapse
    counts as both), moved on by `compute_scene`'s progress events (never its log lines); its
    clock keeps ticking during a long phase."""

    def __init__(self, scene, enabled):
        self.titles = [land.title for land in scene.landscapes]
        self.n = len(self.titles)
        self.k = 0
        self.ticking = Ticking(2 * self.n, enabled, est_seconds=MIN_SECONDS, desc=self._desc())
        self.bar = self.ticking.bar

    def _desc(self) -> str:
        if self.k >= 2 * self.n:
            return "done"
        i = self.k // 2
        return f"[{i + 1}/{self.n}] {self.titles[i][:40]}: {'surface' if self.k % 2 == 0 else 'balls'}"

    def event(self, e: Event) -> None:
        if e.kind == "end" and e.phase in PHASE_STEPS:
            n = PHASE_STEPS[e.phase]
            self.k += n
            self.ticking.describe(self._desc())
            self.ticking.advance(n)

    def close(self):
        self.ticking.close()


#: how many of the bar's steps each phase's end moves it on
PHASE_STEPS = {"surface": 1, "balls": 1, "timelapse": 2}


def compute(scene, *, quality=None, seed: int | None = None, progress: bool | None = None,
            cache: bool = True) -> "ComputedScene":
    """Compute a scene: every surface (cached between runs) and every ball at every step.

    ``scene``: a built `Scene` (from `load_scene`), one whose ``construct()`` has not run yet,
    or a `Scene` subclass (``quality``, default ``"low"``, and ``seed`` then apply).
    ``progress``: a bar (tqdm.auto: a widget in Jupyter); None shows it where someone watches.
    """
    scene = _constructed(scene, quality, seed)
    bar = _Progress(scene, progress)
    try:
        c = compute_scene(scene, cache=cache, progress=False if bar.bar is None else None,
                          events=bar.event)
    finally:
        bar.close()
        release()                          # a kernel computes scene after scene: stay flat
    return ComputedScene(c.scene, c.runs, c.seconds)


# ------------------------------------------------------------------ results


class Still:
    """A PNG image; shown inline by Jupyter. ``.data`` holds its bytes, ``.save(path)``."""

    def __init__(self, data: bytes, size):
        self.data, self.size = data, tuple(size)

    def _repr_png_(self) -> bytes:
        return self.data

    def __repr__(self) -> str:
        return f"Still({self.size[0]}×{self.size[1]} PNG, {len(self.data) / 1024:.0f} KiB)"

    def save(self, path) -> str:
        from landscape.files import atomic_write

        with atomic_write(os.fspath(path)) as fh:
            fh.write(self.data)
        return os.fspath(path)

    @property
    def array(self):
        """The image as uint8 ``[H, W, 3]``."""
        import io

        import imageio.v3 as iio

        return iio.imread(io.BytesIO(self.data))[..., :3]


class Video:
    """An mp4 (H.264); shown inline as an HTML5 ``<video>`` with the file embedded, so the
    notebook keeps it when saved. ``.data`` holds the bytes, ``.save(path)``."""

    def __init__(self, data: bytes, info: dict):
        self.data, self.info = data, info

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.data).decode("ascii")
        w = self.info["size"][0]
        return (f'<video controls loop autoplay muted playsinline style="max-width:100%" '
                f'width="{w}"><source type="video/mp4" src="data:video/mp4;base64,{b64}">'
                f'</video>')

    def __repr__(self) -> str:
        w, h = self.info["size"]
        return (f"Video({self.info['frames']} frames, {w}×{h} at {self.info['fps']} fps, "
                f"{len(self.data) / 1e6:.1f} MB mp4)")

    def save(self, path) -> str:
        from landscape.files import atomic_write

        with atomic_write(os.fspath(path)) as fh:
            fh.write(self.data)
        return os.fspath(path)


class ComputedScene(Computed):
    """A computed scene (`landscape.scene.Computed`: ``runs[i].surface``,
    ``runs[i].trajectory``, ``summary()``) with ways to look at it."""

    def still(self, at: float = 0.75, size=None, *, theme: str | None = None,
              look: str | None = None) -> Still:
        """The scene ``at`` a fraction of its run time, as a PNG shown inline (``theme``:
        ``dark``/``light``; ``look``: ``plain``/``cinematic``)."""
        size = tuple(size) if size is not None else self.scene.quality.video()[0]
        with tempfile.TemporaryDirectory() as d:
            try:
                out = still(self, os.path.join(d, "still.png"), at=at, size=size,
                            theme=theme, look=look)
            finally:
                release()
            with open(out, "rb") as f:
                return Still(f.read(), size)

    def video(self, *, theme: str | None = None, look: str | None = None) -> Video:
        """The scene's video (the quality's size and frame rate), embedded inline."""
        with tempfile.TemporaryDirectory() as d:
            try:
                info = render(self, os.path.join(d, "scene.mp4"), theme=theme, look=look)
            finally:
                release()
            with open(info["output"], "rb") as f:
                return Video(f.read(), info)

    def render(self, out, fmt: str | None = None, *, theme: str | None = None,
               look: str | None = None) -> dict:
        """Write the video to ``out`` (``.mp4``, ``.gif`` or a folder of PNGs), as
        ``landscape render`` does (``--theme``, ``--look``)."""
        try:
            return render(self, os.fspath(out), fmt=fmt, theme=theme, look=look)
        finally:
            release()

    def show(self, at: float = 1.0, *, jupyter_backend: str | None = None, size=None,
             theme: str | None = None):
        """Turn the scene ``at`` a fraction of its run time in 3D, inline, through PyVista's
        Jupyter backend (``"trame"``, ``"html"``, ``"client"``, ``"server"``, or
        ``"static"`` for a picture). Without ``pyvista[jupyter]`` it says in one line what
        to install and shows a still instead."""
        backend = jupyter_backend or os.environ.get("LANDSCAPE_JUPYTER_BACKEND") or "trame"
        if backend != "static" and not _has_jupyter_backend():
            print(f"landscape: the 3D view needs PyVista's Jupyter backend "
                  f"({NOTEBOOK_EXTRA}); showing a still instead", file=sys.stderr)
            return self.still(at, size=size, theme=theme)
        stage = self._stage_at(at, size, theme)
        panels = []
        if backend != "static":            # vtk.js draws no 2D actors: the panels go beside
            shot = stage.screenshot()
            panels = [p for p in (v.panel_pixels(shot) for v in stage.views) if p is not None]
            for v in stage.views:
                v.solid_balls()            # vtk.js draws no point sprites
        try:
            return beside(stage.plotter.show(jupyter_backend=backend, return_viewer=True),
                          panels)
        except ImportError as e:
            print(f"landscape: the 3D view needs {e.name or 'a package'} ({NOTEBOOK_EXTRA}); "
                  "showing a still instead", file=sys.stderr)
            return self.still(at, size=size, theme=theme)

    explore = show

    def _stage_at(self, at: float, size, theme: str | None = None):
        size = tuple(size) if size is not None else self.scene.quality.video()[0]
        stage = build_stage(self, size=size, theme=theme)
        _, fps = self.scene.quality.video()
        frames = timeline(self.scene, fps)
        k = min(len(frames) - 1, int(round(at * (len(frames) - 1))))
        for f in frames[: k + 1]:
            for i, r in enumerate(self.runs):
                stage.view(i).update(r.trajectory.frame(min(f.index[i],
                                                            r.trajectory.n_frames - 1)))
        return stage

    def _repr_html_(self) -> str:
        rows = []
        for r in self.runs:
            s = r.surface.summary()
            tr = r.trajectory
            for g, info in enumerate(tr.groups):
                m = tr.group == g
                h0, h1 = tr.heights[0, m], tr.heights[-1, m & ~tr.escaped[-1]]
                rows.append(
                    "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
                        r.landscape.title, f"{s['grid'][0]}×{s['grid'][1]}",
                        f"{s['min_loss']:.3g} – {s['max_loss']:.3g}"
                        if s["min_loss"] is not None else "—",
                        info["name"], int(m.sum()),
                        f"{h0.mean():.3g} → {h1.mean():.3g}" if h1.size else "all escaped",
                        int(tr.settled[-1, m].sum()), int(tr.escaped[-1, m].sum()),
                        len(tr.census))) + "</tr>")
        head = "".join(f"<th>{h}</th>" for h in ("landscape", "grid", "loss range", "group",
                                                 "balls", "mean loss start → end", "settled",
                                                 "escaped", "minima"))
        return (f"<p><b>{html.escape(type(self.scene).__name__)}</b> · quality "
                f"{self.scene.quality.name} · {int(self.runs[0].trajectory.steps[-1])} steps · "
                f"computed in {self.seconds:.1f} s</p><table><tr>{head}</tr>{''.join(rows)}"
                f"</table>")


def beside(viewer, panels):
    """The 3D ``viewer`` with the views' panels (uint8 images, see `View.panel_pixels`) in a
    column to its right, as one ipywidgets box; the viewer alone when there is no panel."""
    if not panels:
        return viewer
    import io

    import ipywidgets as widgets
    from IPython.display import display
    from PIL import Image

    def png(a) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="PNG")
        return buf.getvalue()

    if not isinstance(viewer, widgets.Widget):   # an IPython display object: shown in a box
        out = widgets.Output()
        with out:
            display(viewer)
        viewer = out
    column = widgets.VBox([widgets.Image(value=png(a), format="png") for a in panels])
    return widgets.HBox([viewer, column])


def _has_jupyter_backend() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("trame", "trame_vtk"))
