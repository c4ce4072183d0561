"""The 3D stage: a loss surface, rolling balls, a gradient panel, video and a window.

This is the only package that imports PyVista/VTK. It draws what the numerical core hands it:
a `landscape.surface.Surface` and, per frame, a `landscape.trajectory.Frame`.

Public API (everything a scene needs)::

    from landscape.render import Stage, VideoWriter, QUALITY, open_window, ReplaySource

    stage = Stage(n_views=2, size=(1280, 720), off_screen=None)   # None: offscreen without a display
    v = stage.view(0)
    v.set_surface(surface, log_scale=None)     # Surface, or (alphas, betas, loss); None = auto
    v.set_balls(groups, group_ids, layers, title="ReLU")
        # groups: list of dicts (name, optimizer, lr, optional color) or names
        # group_ids: int [N]; layers: L layer names input -> output
    v.update(frame)            # balls, fading trails, gradient panel, HUD, census (all in place)
    v.set_census(census)       # optional: Trajectory.census; default: computed from settled balls
    v.select_group(0)          # which group the gradient panel shows
    v.show_trails(True); v.show_panel(True); v.set_log_scale(True)

    stage.camera("iso")        # "iso" | "top" | "side"; all views share one camera
    stage.orbit(2.0)           # degrees of azimuth, call once per output frame
    stage.follow(0, view=0, weight=0.15)   # ease the focal point toward group 0's mean position
    stage.caption("Sigmoid vs ReLU")       # one line across the bottom ('' clears)
    img = stage.screenshot()   # uint8 [H, W, 3], renders once

    with VideoWriter("out.mp4", quality="medium") as w:      # or fps=30, size=stage.size
        for t in range(traj.n_frames):                        # fmt from extension: mp4 | gif | png
            v.update(traj.frame(t)); stage.orbit(0.5)
            w.write(stage)        # atomic: temp name, renamed on success; removed on error/Ctrl-C

    open_window(stage, sources=[simulator])   # interactive, one timer; sources follow the
        # Simulator protocol (layers, groups, group, snapshot(), advance(n), add_balls(ab, group),
        # reset()); ReplaySource(trajectory) adapts a recorded Trajectory to it.

    QUALITY = {"low": (854, 480, 15), "medium": (1280, 720, 30), "high": (1920, 1080, 60)}

Keys in the window: space play/pause, Right step once, r reset, +/- speed, left click on a
surface drops a ball there, t trails, g panel, l log scale, s screenshot, h help, q quit.

If VTK cannot render at all, `Stage` raises a one-line `LandscapeError` naming the packages to
install (probed in a subprocess, since VTK segfaults rather than raising).
"""

from landscape.render.video import QUALITY, VideoWriter, resolve_quality
from landscape.render.headless import check_rendering, default_off_screen
from landscape.render.stage import Stage, View
from landscape.render.window import Controller, ReplaySource, open_window

__all__ = ["Stage", "View", "VideoWriter", "QUALITY", "resolve_quality", "open_window",
           "Controller", "ReplaySource", "check_rendering", "default_off_screen"]
