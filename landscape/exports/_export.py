"""Export a landscape for others: an interactive offline web page, 3D files, and the data
behind them.

    >>> import landscape as ls
    >>> ls.export("scenes/local_minima.py", "local_minima.html")        # doctest: +SKIP
    >>> ls.export("surface.npz", "surface.glb", trajectory="balls.npz")  # doctest: +SKIP

The destination's extension picks the format (`FORMATS`):

- ``.html``: one self-contained page (`landscape.exports._page`): rotate, zoom, hover, play and
  scrub the balls; every view of a scene, side by side.
- ``.glb`` / ``.gltf``: the surface with vertex colours, θ*, one node per ball and the scene's
  camera, animated on the video's timeline: the balls' paths as keyframes, a riding
  timelapse's surfaces as morph targets, the camera's orbit (`landscape.exports._gltf`), for
  Blender, three.js and any glTF viewer; ``frames=N`` keeps N keyframes.
- ``.vtp`` / ``.vtk``: the surface with ``loss`` and ``accuracy`` point arrays, for ParaView;
  ``.obj``, ``.stl`` (geometry) and ``.ply`` (with vertex colours) (`landscape.exports._meshfiles`).

Every file is written atomically; every mistake a user can make (an unknown extension, a
trajectory given as the surface or the other way round, a trajectory from another surface, an
unwritable destination) raises a one-line `LandscapeError` before anything is computed or
written.
"""

from __future__ import annotations

import os
import time

from landscape.errors import LandscapeError
from landscape.picture import EXPORT_FORMATS, VTK_FORMATS, extension
from landscape.picture import THEMES as PICTURE_THEMES

FORMATS = EXPORT_FORMATS
SINGLE_SURFACE = VTK_FORMATS   # the formats written through VTK hold one surface each
THEMES = tuple(PICTURE_THEMES)


def format_of(path) -> str:
    """The export format of ``path`` from its extension; a one-line error lists the valid
    ones."""
    ext = extension(path)
    if ext not in FORMATS:
        what = f"extension {ext}" if ext else "no extension"
        raise LandscapeError(f"cannot export to {os.fspath(path)}: {what}; use one of "
                             f"{', '.join(FORMATS)}")
    return FORMATS[ext]


def kind_of(path) -> str:
    """``"scene"``, ``"surface"`` or ``"trajectory"``: what a source file is, from its
    extension (``.py``) or the ``.npz`` format tag."""
    from landscape.balls import FORMAT as TRAJECTORY
    from landscape.files import format_tag
    from landscape.surface import FORMAT as SURFACE

    path = os.fspath(path)
    if path.endswith(".py"):
        return "scene"
    if not os.path.exists(path):
        raise LandscapeError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LandscapeError(f"{path} is a directory; give a scene (.py) or a surface (.npz)")
    tag = format_tag(path)
    if tag == SURFACE:
        return "surface"
    if tag == TRAJECTORY:
        return "trajectory"
    raise LandscapeError(f"{path} is neither a scene (.py) nor a landscape surface file "
                         f"(format tag {tag!r})")


def check_destination(out) -> str:
    """The format of ``out``, after checking that it can be written (before any compute)."""
    from landscape.files import check_writable

    fmt = format_of(out)
    check_writable(os.fspath(out))   # its one line starts with the path
    return fmt


def export(source, out, *, scene: str | None = None, trajectory=None, quality=None,
           seed: int | None = None, view: int | None = None, theme: str | None = None,
           log_scale: bool | None = None, cache: bool = True, frames: int | None = None,
           log=None) -> dict:
    """Write ``source`` to ``out`` in the format its extension names.

    Args:
      source: a scene script (``.py``; ``scene`` names the class when it has several), a
        surface file (``.npz``), a `landscape.surface.Surface`, or a computed scene
        (`landscape.scene.Computed`).
      out: the destination; its extension is the format (`FORMATS`).
      trajectory: balls to show on a surface (a ``.npz`` from ``landscape simulate`` or a
        `Trajectory`); they must have been simulated on that surface.
      quality: the scene's quality preset (surface grid; default ``"medium"``); seed:
        overrides the scene's seed. Both apply to scenes only.
      view: export only this view of a multi-view scene (0-based); single-surface formats
        (.vtp, .vtk, .obj, .ply, .stl) need it when a scene has several.
      theme: ``"dark"`` (default) or ``"light"``: the page's colours (.html only; the 3D files
        carry the colour map's own colours).
      log_scale: heights and colours as log10(loss) (``None``: as the renderer decides).
      cache: read and write the surface cache when computing a scene.
      frames: keep this many of the animation's keyframes, spread evenly, the first and the
        last always kept (.glb and .gltf only; default: every frame of the video's timeline,
        at its fps, for a scene; at most 240 for a surface and its trajectory).
      log: a callable taking one progress line (default: silent).

    Returns:
      A summary: ``output``, ``format``, ``bytes``, ``views``, ``steps``, ``seconds``; a
      3D file's also ``keyframes`` (0: not animated).
    """
    from landscape.files import atomic_write, write_error

    t0 = time.perf_counter()
    log = log or (lambda line: None)
    fmt = check_destination(out)
    out = os.fspath(out)
    if theme is not None and fmt != "html":
        raise LandscapeError(f"--theme applies to a web page (.html); a .{fmt} file carries the "
                             f"colour map's own colours")
    theme = theme or "dark"
    if theme not in THEMES:
        raise LandscapeError(f"unknown theme {theme!r}; choose one of: {', '.join(THEMES)}")
    if frames is not None:
        if fmt not in ("glb", "gltf"):
            raise LandscapeError(f"--frames thins the keyframes of an animated 3D file (.glb, "
                                 f".gltf); a .{fmt} file "
                                 + ("samples its own time steps (at most 240)" if fmt == "html"
                                    else "holds no animation"))
        if int(frames) < 2:
            raise LandscapeError(f"--frames {int(frames)}: an animation needs at least 2 "
                                 f"keyframes (its first and its last)")
        if kind_of_source(source) == "surface" and trajectory is None:
            raise LandscapeError("--frames thins the balls' keyframes; a surface without "
                                 "--trajectory has no balls to animate")
    content = _content(source, scene=scene, trajectory=trajectory, quality=quality, seed=seed,
                       view=view, log_scale=log_scale, cache=cache, log=log, fmt=fmt)
    try:
        if fmt == "html":
            from landscape.exports._page import render_page

            text = render_page(content, theme=theme)
            with atomic_write(out, "wb") as fh:
                fh.write(text.encode("utf-8"))
        elif fmt in ("glb", "gltf"):
            from landscape.exports._gltf import write_gltf

            write_gltf(content, out, binary=fmt == "glb", max_keys=frames)
        else:
            from landscape.exports._meshfiles import mesh_bytes

            # VTK writes into memory (on a full disk its writers truncate or crash); the file
            # is written here, atomically, so a full disk is one line and leaves nothing
            data = mesh_bytes(content.views[0], fmt, beside=out)
            with atomic_write(out, "wb") as fh:
                fh.write(data)
    except OSError as e:   # the checks above passed, yet the system refused the write
        raise write_error(out, e) from None
    size = os.path.getsize(out)
    seconds = time.perf_counter() - t0
    summary = {"output": out, "format": fmt, "bytes": size, "views": len(content.views),
               "steps": content.n_steps if content.animated else 0, "seconds": seconds}
    if fmt in ("glb", "gltf"):
        summary["keyframes"] = (min(content.n_steps, frames or content.n_steps)
                                if content.animated else 0)
    return summary


def kind_of_source(source) -> str:
    """What ``source`` is: a path's `kind_of`, ``"computed"`` or ``"surface"``."""
    if isinstance(source, (str, os.PathLike)):
        return kind_of(source)
    if hasattr(source, "runs") and hasattr(source, "scene"):
        return "computed"
    return "surface"


def _content(source, *, scene, trajectory, quality, seed, view, log_scale, cache, log, fmt):
    """Check every argument against the source, then load or compute it."""
    from landscape.exports import _content as C

    computed = None
    if isinstance(source, (str, os.PathLike)):
        kind = kind_of(source)
    elif hasattr(source, "runs") and hasattr(source, "scene"):
        kind, computed = "computed", source
    elif hasattr(source, "loss") and hasattr(source, "fingerprint"):
        kind = "surface"
    else:
        raise LandscapeError(f"cannot export a {type(source).__name__}; give a scene file, a "
                             f"surface file or Surface, or a computed scene")
    if kind == "trajectory":
        raise LandscapeError(f"{os.fspath(source)} is a trajectory file; export the surface it "
                             f"was simulated on and pass this file with --trajectory")
    if kind in ("scene", "computed"):
        if trajectory is not None:
            raise LandscapeError("--trajectory applies to a surface file; a scene computes its "
                                 "own balls")
        if log_scale is not None:
            raise LandscapeError("--log/--linear apply to a surface file; a scene sets its "
                                 "own scale (Scene.landscape(log_scale=...))")
    else:
        if scene is not None:
            raise LandscapeError(f"a scene name ({scene!r}) applies to a scene file, not to a "
                                 f"surface")
        for name, value in (("--quality", quality), ("--seed", seed)):
            if value is not None:
                raise LandscapeError(f"{name} applies to a scene file; a surface file is "
                                     f"already computed")
        if view not in (None, 0):
            raise LandscapeError("--view applies to a scene with several landscapes; a surface "
                                 "file has one")
        if trajectory is not None and isinstance(trajectory, (str, os.PathLike)):
            tk = kind_of(trajectory)
            if tk != "trajectory":
                raise LandscapeError(f"{os.fspath(trajectory)} is a {tk} file, not a "
                                     f"trajectory; --trajectory wants the balls' file "
                                     f"(landscape simulate -o BALLS.npz)")
        return C.from_files(source, trajectory, log_scale=log_scale)
    if kind == "scene":
        from landscape.scene import build_scene, compute_scene, get_quality, pick_scene

        q = get_quality(quality or "medium")
        cls = pick_scene(source, scene)
        built = build_scene(source, cls.__name__, seed=seed, quality=q)
        _check_view(view, len(built.landscapes), fmt)
        computed = compute_scene(built, log=log, cache=cache)
    else:
        _check_view(view, len(computed.runs), fmt)
    # a 3D file's keyframes are the video's frames, at its fps; the page resamples to 240
    fps = computed.scene.quality.fps if fmt in ("glb", "gltf") else None
    return C.from_computed(computed, view=view, fps=fps)


def _check_view(view, n: int, fmt: str) -> None:
    if view is not None and not 0 <= int(view) < n:
        raise LandscapeError(f"--view {int(view) + 1}: the scene has {n} landscape"
                             f"{'s' if n > 1 else ''} (1..{n})")
    if view is None and n > 1 and fmt in SINGLE_SURFACE:
        raise LandscapeError(f"the scene has {n} landscapes and a .{fmt} file holds one "
                             f"surface; choose one with --view 1..{n} (or export .html or "
                             f".glb, which hold them all)")
