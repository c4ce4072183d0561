"""The 3D stage: a loss surface, rolling balls, a gradient panel, video and a window.

This is the only package that imports PyVista/VTK. It draws what the numerical core hands it:
a `landscape.surface.Surface` and, per frame, a `landscape.balls._trajectory.Frame`.

Public API (everything a scene needs)::

    from landscape.render import Stage, VideoWriter, QUALITY, open_window, ReplaySource

    stage = Stage(n_views=2, size=(1280, 720))  # offscreen; off_screen=False for a window
    v = stage.view(0)                          # views: 1-3 side by side, 4 as 2×2
    v.set_surface(surface, log_scale=None)     # Surface or (alphas, betas, loss[, accuracy]);
                                               # None = log10 when losses span > 3 decades
    v.set_balls(groups, group_ids, layers, title="ReLU")
        # groups: Trajectory.groups dicts (name, optimizer, lr, optional color "#rrggbb")
        # group_ids: int [N]; layers: L layer names input -> output
        # optional: trail_length=None (auto), panel=True, strip=True, band=(1e-3, 10)
    v.update(frame)            # a trajectory.Frame: balls, trails, panel, HUD, census, in place
    v.update(frame, group_ids=sim.group)       # after balls were added (N changed)
    v.set_census(traj.census)  # optional; default: minima found from settled balls per frame
    v.select_group(1)          # the group the gradient panel shows (default 0)
    v.show_trails(False); v.show_panel(False); v.set_log_scale(True)

    stage.camera("iso")        # "iso" | "top" | "side"; all views share one camera
    stage.orbit(0.5)           # degrees of azimuth; call once per output frame
    stage.follow(0, view=0, weight=0.15)  # ease the focus toward group 0's live balls
    stage.caption("Sigmoid vs ReLU")      # one line across the bottom; "" hides it
    img = stage.screenshot("still.png")   # renders; uint8 [H, W, 3] (path optional)
    stage.close()

    with VideoWriter("out.mp4", quality="medium") as w:     # or size=stage.size, fps=30
        for t in range(traj.n_frames):                       # fmt from the extension:
            v.update(traj.frame(t)); stage.orbit(0.5)        # .mp4 | .gif | folder -> PNGs
            w.write(stage)         # atomic: temp name, renamed on success, removed on error
                                   # or Ctrl-C; tqdm bar with ETA on a terminal (total=n)

    open_window(stage, sources=[simulator, ...])  # one source per view; needs a display.
        # Runs its own event loop (Python stays in control: Ctrl-C raises KeyboardInterrupt
        # after the window closed) and steps the sources on a worker thread. Sources follow
        # the Simulator protocol: layers, groups, group, snapshot(), advance(n),
        # add_balls(ab [k, 2], group=0), reset(). ReplaySource(trajectory, surface=None)
        # adapts a recorded Trajectory. Controller(stage, sources) is the same without the
        # window (inline, for tests): tick() is one turn of the loop.

    QUALITY = {"low": (854, 480, 15), "medium": (1280, 720, 30), "high": (1920, 1080, 60)}
    resolve_quality("low", size=None, fps=None) -> ((854, 480), 15)

Keys in the window (`landscape.render._window.HELP_ROWS`): space play/pause, Right step once,
r reset, +/- speed, a click (not a drag) on a surface drops a ball there (of the selected
group), drag/shift-drag/wheel turn/pan/zoom, c or Home camera home, v next camera preset,
t trails, g panel, l log scale, 1-9 the group the panel shows, f follow it, s screenshot (PNG
in the working directory, path printed and shown), h help, q/Esc quit. VTK's own character
keys are switched off. Text sizes are pixels scaled from a 1280×720 window
(`Stage.font_scale`; at least 11 px there in any layout) and follow the window when resized.

Errors a user can cause raise a one-line `LandscapeError`; if VTK cannot render at all, the
first `Stage` says what to install (`landscape.render._headless`: the display is asked through
libX11; OpenGL is probed once per process in a subprocess, since VTK segfaults rather than
raising; LANDSCAPE_SKIP_RENDER_PROBE=1 skips the probe). Costs on this 2-core llvmpipe machine are in
benchmarks/render.py; everything drawn per frame is opaque and updated in place.
"""

from landscape.render._headless import check_rendering, default_off_screen
from landscape.render._meshfile import mesh_file_bytes, write_mesh_file
from landscape.render._play import PlayController, open_play_window, side_for
from landscape.render._stage import Stage
from landscape.render._video import QUALITY, VideoWriter, resolve_quality
from landscape.render._view import View
from landscape.render._window import Controller, ReplaySource, open_window

__all__ = ["Stage", "View", "VideoWriter", "QUALITY", "resolve_quality", "open_window",
           "open_play_window", "PlayController", "side_for",
           "Controller", "ReplaySource", "check_rendering", "default_off_screen",
           "write_mesh_file", "mesh_file_bytes"]
# the colour tables live in landscape.picture (no VTK); kept here for older imports
from landscape.picture import (
           GROUP_PALETTE,  # noqa: F401
           NONFINITE,  # noqa: F401
           THEMES,  # noqa: F401
)
from landscape.render._headless import (
           require_display,  # noqa: F401
           start_probe,  # noqa: F401
)
from landscape.render._look import (
           LOOKS,  # noqa: F401
           default_look,  # noqa: F401
           get_look,  # noqa: F401
)
