"""A computed scene on the stage: `build_stage` puts every landscape's surface and balls on a
`landscape.render.Stage`; `render` writes the timeline's frames to a video, `still` one frame
to a PNG, and `show` opens the interactive window. Only this module of `landscape.scene`
imports the renderer (PyVista), and only inside these functions."""

from __future__ import annotations

import sys
import time

import numpy as np

from landscape.scene._compute import Computed, Run, title
from landscape.scene._timeline import FrameSpec, timeline


def build_stage(computed: Computed, *, size=None, off_screen=None, theme: str | None = None,
                look: str | None = None, side: float = 0.0):
    """A `landscape.render.Stage` with every landscape's surface and balls, at step 0.
    ``theme``: ``dark`` (default) or ``light``; ``look``: ``plain`` or ``cinematic`` (default:
    cinematic at high quality, plain below; `landscape.render._look`)."""
    from landscape.render import Stage, default_look

    scene = computed.scene
    if size is None:
        size, _ = scene.quality.video()
    stage = Stage(n_views=len(computed.runs), size=tuple(size), off_screen=off_screen,
                  theme=theme or "dark", look=look or default_look(scene.quality.name),
                  side=side)
    for i, _ in enumerate(computed.runs):
        _dress_view(stage, computed, i)
    stage.camera(scene.camera)
    return stage


def restage(stage, computed: Computed) -> None:
    """Put a new computation of the same views on ``stage`` (the playground's window after a
    knob changed): every view's surface, balls, HUD and panel drawn again from ``computed``,
    at step 0; the camera stays where it is, the trails' and the panel's switches as they were."""
    if len(computed.runs) != stage.n_views:
        from landscape.errors import LandscapeError

        raise LandscapeError(f"{len(computed.runs)} views computed for a stage of "
                             f"{stage.n_views}")
    for i, r in enumerate(computed.runs):
        v = stage.view(i)
        panel_on = v.panel_shown
        v.clear_balls()
        _dress_view(stage, computed, i)
        if r.landscape.panel not in ("activations", "chain", "features"):
            v.show_panel(panel_on)


def _dress_view(stage, computed: Computed, i: int) -> None:
    """View ``i`` of ``stage``: its run's surface, balls and panel, at step 0."""
    from landscape.picture import view_ranges

    r = computed.runs[i]
    v = stage.view(i)
    ranges = view_ranges([_all_losses(r) for r in computed.runs],
                         [r.landscape.log_scale for r in computed.runs],
                         [r.landscape.scale for r in computed.runs])
    src = r.trajectory if r.trajectory is not None else r.simulator
    log, shared = ranges[i]
    surface = r.surface
    if r.timelapse is not None:
        from landscape.picture import shared_loss_range

        shared = shared or shared_loss_range([_all_losses(r)])
        surface = r.timelapse.surfaces[0]          # frame 0 shows the first checkpoint
    if r.timelapse is not None and r.timelapse.kind == "riding":
        v.center_label = "θ_t"                     # the centre is the network now
    v.set_surface(surface, log_scale=log, loss_range=shared)
    v.set_balls(src.groups, src.group, src.layers, title=title(r))
    if r.landscape.panel == "activations":
        v.show_activations(r.activations)
    elif r.landscape.panel == "chain":
        v.show_chain(r.activations)
    elif r.landscape.panel == "features":
        v.show_features(r.activations["features"][0], r.activations["scale"])
    else:
        v.show_panel(bool(r.landscape.panel))
    v.update(r.trajectory.frame(0, r.surface) if r.trajectory is not None
             else r.simulator.snapshot())


def _all_losses(run: Run) -> np.ndarray:
    """Every loss the run's view will draw (a timelapse: all its checkpoints' surfaces), so the
    view's scale holds them all."""
    if run.timelapse is None:
        return run.surface.loss
    return np.stack([s.loss for s in dict.fromkeys(run.timelapse.surfaces)])


def morph_to(view, run: Run, t: int) -> None:
    """A riding timelapse's view at frame ``t``: the surface blended between the two
    checkpoints around it (`landscape.pipeline._timelapse.surface_at`)."""
    tl = run.timelapse
    if tl is None or tl.kind != "riding":
        return
    from landscape.pipeline import checkpoint_position, surface_at

    k, w = checkpoint_position(tl, run.trajectory.n_frames)
    view.morph(surface_at(tl, int(k[t]), float(w[t])))
    if run.landscape.panel == "features":      # the nearest checkpoint's first layer
        view.alt_panel.update(run.activations["features"][int(k[t]) + int(w[t] >= 0.5)])


def _apply(stage, computed: Computed, f: FrameSpec):
    for i, r in enumerate(computed.runs):
        t = min(f.index[i], r.trajectory.n_frames - 1)
        morph_to(stage.view(i), r, t)
        stage.view(i).update(r.trajectory.frame(t, r.surface))
    if f.camera:
        stage.camera(f.camera)
    if f.d_azimuth:
        stage.orbit(f.d_azimuth)
    stage.caption(f.caption or "")


def render(computed: Computed, out: str, *, fmt: str | None = None, log=None,
           theme: str | None = None, look: str | None = None) -> dict:
    """Write the scene's video (mp4 | gif | png frames) to ``out``, atomically (``theme``,
    ``look``: see `build_stage`)."""
    from landscape.render import VideoWriter

    log = log or (lambda line: None)
    size, fps = computed.scene.quality.video()
    frames = timeline(computed.scene, fps)
    t0 = time.perf_counter()
    stage = build_stage(computed, size=size, theme=theme, look=look)
    kw = {"fmt": fmt} if fmt else {}
    try:
        with VideoWriter(out, fps=fps, size=size, total=len(frames), **kw) as w:
            for f in frames:
                _apply(stage, computed, f)
                w.write(stage)
    finally:
        stage.close()
    seconds = time.perf_counter() - t0
    log(f"landscape: {len(frames)} frames ({size[0]}×{size[1]}, {fps} fps) in {seconds:.1f} s "
        f"-> {out}")
    return {"frames": len(frames), "fps": fps, "size": list(size), "seconds": seconds,
            "output": out}


def still(computed: Computed, out: str, *, at: float = 0.75, size=(1280, 720),
          theme: str | None = None, look: str | None = None) -> str:
    """One PNG of the scene ``at`` a fraction of its run time (the gallery images)."""
    import imageio.v3 as iio

    _, fps = computed.scene.quality.video()
    frames = timeline(computed.scene, fps)
    stage = build_stage(computed, size=size, theme=theme, look=look)
    k = min(len(frames) - 1, int(round(at * (len(frames) - 1))))
    for f in frames[: k + 1]:  # replay every frame (no rendering) so trails are the real ones
        if f.camera:
            stage.camera(f.camera)
        if f.d_azimuth:
            stage.orbit(f.d_azimuth)
        for i, r in enumerate(computed.runs):
            t = min(f.index[i], r.trajectory.n_frames - 1)
            if f is frames[k]:
                morph_to(stage.view(i), r, t)
            # the census is only needed on the frame that is drawn
            stage.view(i).update(r.trajectory.frame(t, r.surface if f is frames[k] else None))
    stage.caption(frames[k].caption or "")
    try:
        iio.imwrite(out, stage.screenshot())
    finally:
        stage.close()
    return out


def warm_up(computed: Computed, log=None, progress: bool | None = None) -> float:
    """Compile every landscape's step loop now (one step, then back to step 0), so the first
    `space` in the window starts at once instead of freezing it for seconds. Returns seconds.
    ``progress``: a ticking bar on a terminal (None: where someone watches)."""
    from landscape.progress import MIN_SECONDS, Ticking

    log = log or (lambda line: None)
    t0 = time.perf_counter()
    n = len(computed.runs)
    bar = Ticking(n, progress, est_seconds=MIN_SECONDS, desc="compiling")
    try:
        for k, r in enumerate(computed.runs):
            sim = r.simulator
            what = (f"[{k + 1}/{n}] compiling the ball simulation ({sim.n_balls} balls, "
                    f"{len(sim.layers)} layers)")
            log(f"landscape: {what}…") if bar.bar is None else bar.describe(what)
            t1 = time.perf_counter()
            sim.advance(1)
            sim.reset()
            r.timings["compile"] = time.perf_counter() - t1
            bar.advance()
    finally:
        bar.close()
    return time.perf_counter() - t0


def show(computed: Computed, *, off_screen: bool = False, open_fn=None, size=(1280, 720),
         log=None, on_first_frame=None, theme: str | None = None, look: str | None = None):
    """Open the interactive window on the scene's live simulators (compute it with
    ``simulate=False``): space plays, a click on a surface drops a ball there. Returns the
    window's `landscape.render._window.Controller` after it closed. ``open_fn`` replaces
    `landscape.render.open_window` (tests)."""
    from landscape.render import open_window

    for r in computed.runs:
        if r.trajectory is not None:  # start from step 0 whatever was simulated before
            r.simulator.reset()
    stage = build_stage(computed, off_screen=off_screen, size=size, theme=theme, look=look)
    stage.caption(type(computed.scene).__name__ + "  ·  press h for the keys")
    if open_fn is not None:
        return open_fn(stage, sources=[r.simulator for r in computed.runs])
    return open_window(stage, sources=[r.simulator for r in computed.runs],
                       title=f"landscape · {type(computed.scene).__name__}",
                       home_camera=computed.scene.camera, log=log,
                       on_first_frame=on_first_frame)


def info(line: str) -> None:
    print(line, file=sys.stderr)
