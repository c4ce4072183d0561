"""The interactive window: one timer drives playback; keys and clicks steer the sources.

A *source* follows the Simulator protocol of `landscape.dynamics`: ``layers``, ``groups``,
``group`` (int [N]), ``snapshot() -> Frame``, ``advance(n) -> Frame``, ``add_balls(ab [k, 2],
group=0)``, ``reset()``. `ReplaySource` adapts a recorded `Trajectory` to it.

Only one repeating timer exists and `Controller.on_timer` dispatches from it: several pyvista
timers cross-fire their callbacks (pyvista #7962). VTK's own character bindings (s, r, w, e, ...)
are switched off so that our keys mean only what the help says.
"""

from __future__ import annotations

import os
import time

import numpy as np
import vtk

from landscape.errors import LandscapeError
from landscape.render import colors
from landscape.trajectory import Frame

SPEEDS = (1, 2, 5, 10, 20, 50, 100)
HELP = ("space  play / pause        →  one step\n"
        "+ / -  faster / slower     r  reset\n"
        "click  drop a ball there   t  trails\n"
        "g  gradient panel          l  log scale\n"
        "1–9  panel shows group n   f  follow that group\n"
        "s  screenshot              h  this help        q  quit")


class ReplaySource:
    """Play a `Trajectory` back as if it were a live simulator. Balls dropped with
    `add_balls` stay where they were dropped (a replay has no dynamics); ``surface`` (anything
    with ``interpolate(ab)``) gives their heights."""

    def __init__(self, trajectory, surface=None):
        self.traj = trajectory
        self.surface = surface
        self.layers = list(trajectory.layers)
        self.groups = list(trajectory.groups)
        self.t = 0
        self._extra_ab = np.zeros((0, 2), np.float32)
        self._extra_group = np.zeros(0, np.int32)

    @property
    def group(self) -> np.ndarray:
        return np.concatenate([self.traj.group, self._extra_group]).astype(np.int32)

    def snapshot(self) -> Frame:
        f = self.traj.frame(self.t)
        k, L = len(self._extra_ab), len(self.layers)
        if k == 0:
            return f
        h = (self.surface.interpolate(self._extra_ab) if self.surface is not None
             else np.zeros(k))
        z = np.zeros(k, bool)
        return Frame(f.step, np.concatenate([f.positions, self._extra_ab]),
                     np.concatenate([f.heights, h]).astype(np.float32),
                     np.concatenate([f.batch_loss, h]).astype(np.float32),
                     np.concatenate([f.grad_norms, np.full((k, L), np.nan, np.float32)]),
                     np.concatenate([f.escaped, z]), np.concatenate([f.settled, z]))

    def advance(self, n: int = 1) -> Frame:
        self.t = min(self.t + int(n), self.traj.n_frames - 1)
        return self.snapshot()

    def add_balls(self, ab, group: int = 0) -> None:
        ab = np.asarray(ab, np.float32).reshape(-1, 2)
        self._extra_ab = np.concatenate([self._extra_ab, ab])
        self._extra_group = np.concatenate([self._extra_group,
                                            np.full(len(ab), group, np.int32)])

    def reset(self) -> None:
        self.t = 0
        self._extra_ab = self._extra_ab[:0]
        self._extra_group = self._extra_group[:0]


class Controller:
    """Keys, click-to-drop and timer playback for a `Stage` whose views show ``sources``
    (one per view). Works offscreen too, which is how the tests drive it."""

    def __init__(self, stage, sources, steps_per_frame: int = 1, interval_ms: int = 33,
                 screenshot_dir: str = ".", drop_group: int = 0):
        sources = list(sources)
        if len(sources) != stage.n_views:
            raise LandscapeError(f"{len(sources)} sources for {stage.n_views} views; give one "
                                 f"per view")
        self.stage, self.sources = stage, sources
        self.playing = False
        self.speed = min(SPEEDS, key=lambda s: abs(s - steps_per_frame))
        self.interval_ms = int(interval_ms)
        self.screenshot_dir = screenshot_dir
        self.drop_group = drop_group
        self.log_scale = {i: v.scale.log for i, v in enumerate(stage.views)
                          if v.surface_layer is not None}
        self.screenshots = []
        self.timer_id = None
        self.following = False
        pl = stage.plotter
        self.iren = pl.iren
        self._help = vtk.vtkTextActor()
        self._help.SetInput(HELP)
        prop = self._help.GetTextProperty()
        colors.style_text(prop, 13 * stage.font_scale, colors.TEXT, justify="left",
                          vjustify="center")
        prop.SetBackgroundColor(0.04, 0.05, 0.07)
        prop.SetBackgroundOpacity(0.85)
        prop.SetLineSpacing(1.3)
        self._help.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self._help.GetPositionCoordinate().SetValue(0.3, 0.55)
        self._help.SetVisibility(False)
        stage._overlay.AddViewProp(self._help)
        self._bind()
        for i, v in enumerate(stage.views):
            v.update(sources[i].snapshot(), group_ids=sources[i].group)
        self._status()

    # ---------------------------------------------------------------- wiring

    def _bind(self) -> None:
        pl = self.stage.plotter
        # VTK's style binds s, r, w, e, p, f, 3 as characters; ours are key presses
        self.iren.interactor.RemoveObservers("CharEvent")
        keys = {"space": self.toggle_play, "Right": self.step_once, "r": self.reset,
                "plus": self.faster, "equal": self.faster, "KP_Add": self.faster,
                "minus": self.slower, "KP_Subtract": self.slower, "t": self.toggle_trails,
                "g": self.toggle_panel, "l": self.toggle_log, "s": self.screenshot,
                "h": self.toggle_help, "f": self.toggle_follow}
        keys.update({str(k + 1): (lambda k=k: self.select_group(k)) for k in range(9)})
        for k, fn in keys.items():
            pl.clear_events_for_key(k, raise_on_missing=False)
            pl.add_key_event(k, fn)
        self._only_surfaces_pickable()
        pl.enable_surface_point_picking(callback=self._on_pick, left_clicking=True,
                                        show_point=False, show_message=False)
        self.iren.add_observer("TimerEvent", self.on_timer)

    def _only_surfaces_pickable(self) -> None:
        for v in self.stage.views:
            surf = v._surface_actors.get("surface")
            props = v.renderer.GetViewProps()
            for k in range(props.GetNumberOfItems()):
                p = props.GetItemAsObject(k)
                p.SetPickable(p is surf)

    def start_timer(self) -> None:
        if self.timer_id is None:
            self.timer_id = self.iren.create_timer(self.interval_ms, repeating=True)

    def stop_timer(self) -> None:
        if self.timer_id is not None:
            self.iren.destroy_timer(self.timer_id)
            self.timer_id = None

    # ---------------------------------------------------------------- actions

    def on_timer(self, *_) -> None:
        """The one timer: advance every source by ``speed`` steps while playing."""
        if self.playing:
            self.advance(self.speed)

    def advance(self, n: int) -> None:
        for v, src in zip(self.stage.views, self.sources):
            v.update(src.advance(n), group_ids=src.group)
        if self.following:
            self.stage.follow(self.stage.views[0].selected, view=0)
        self._render()

    def toggle_play(self) -> None:
        self.playing = not self.playing
        self._status()

    def step_once(self) -> None:
        self.playing = False
        self.advance(1)
        self._status()

    def reset(self) -> None:
        for v, src in zip(self.stage.views, self.sources):
            src.reset()
            if v.balls is not None:
                v.balls.reset_trails()
            v.update(src.snapshot(), group_ids=src.group)
        self._render()

    def faster(self) -> None:
        i = SPEEDS.index(self.speed)
        self.speed = SPEEDS[min(i + 1, len(SPEEDS) - 1)]
        self._status()

    def slower(self) -> None:
        i = SPEEDS.index(self.speed)
        self.speed = SPEEDS[max(i - 1, 0)]
        self._status()

    def toggle_trails(self) -> None:
        for v in self.stage.views:
            v.show_trails(not v.trails_on)
        self._render()

    def toggle_panel(self) -> None:
        for v in self.stage.views:
            v.show_panel(not v.panel_on)
        self._render()

    def toggle_log(self) -> None:
        for i, v in enumerate(self.stage.views):
            if v.surface_layer is not None:
                v.set_log_scale(not v.scale.log)
        self._only_surfaces_pickable()
        self._render()

    def select_group(self, group: int) -> None:
        """Show ``group`` (0-based) in every view's panel that has it; the drop group too."""
        for v in self.stage.views:
            if group < len(v.groups):
                v.select_group(group)
        if group < len(self.sources[0].groups):
            self.drop_group = group
        self._render()

    def toggle_follow(self) -> None:
        self.following = not self.following
        if not self.following:
            self.stage.rig.focal = self.stage.rig.home.copy()
            self.stage.rig.apply()
        self._render()

    def toggle_help(self) -> None:
        self._help.SetVisibility(not self._help.GetVisibility())
        self._render()

    def screenshot(self) -> str:
        path = os.path.join(self.screenshot_dir,
                            time.strftime("landscape-%Y%m%d-%H%M%S") +
                            f"-{len(self.screenshots)}.png")
        self.stage.screenshot(path)
        self.screenshots.append(path)
        return path

    def drop(self, view: int, ab) -> None:
        """Drop one ball of ``drop_group`` at plane point ``ab`` in ``view``."""
        src = self.sources[view]
        src.add_balls(np.asarray(ab, np.float32).reshape(1, 2), group=self.drop_group)
        self.stage.views[view].update(src.snapshot(), group_ids=src.group)
        self._render()

    def _on_pick(self, point) -> None:
        if point is None:
            return
        i = self._poked_view()
        v = self.stage.views[i]
        ab = np.asarray(point, np.float64)[:2]
        if v.surface_layer is None:
            return
        x0, x1, y0, y1 = v.surface_layer.extent
        if x0 <= ab[0] <= x1 and y0 <= ab[1] <= y1:     # on the surface, not beside it
            self.drop(i, ab)

    def _poked_view(self) -> int:
        x, y = self.iren.get_event_position()
        w, h = self.stage.plotter.window_size
        for i, r in enumerate(self.stage.plotter.renderers[:self.stage.n_views]):
            x0, y0, x1, y1 = r.GetViewport()
            if x0 * w <= x <= x1 * w and y0 * h <= y <= y1 * h:
                return i
        return 0

    def _status(self) -> None:
        text = f"{'▶' if self.playing else '❚❚'}  ×{self.speed}"
        for v in self.stage.views:
            v.speed_text = text
            if v.last_frame is not None:
                v.update(v.last_frame)
        self._render()

    def _render(self) -> None:
        if not self.stage.off_screen:
            self.stage.plotter.render()


def open_window(stage, sources, steps_per_frame: int = 1, interval_ms: int = 33,
                play: bool = False, title: str = "landscape") -> Controller:
    """Show ``stage`` in a window driven by ``sources`` (one per view) until it is closed.
    Needs a display; for a file use `VideoWriter` instead."""
    if stage.off_screen:
        raise LandscapeError("the interactive window needs a display (none found); render to a "
                             "video instead, or run under xvfb-run")
    ctl = Controller(stage, sources, steps_per_frame, interval_ms)
    ctl.playing = play
    stage.camera("iso")
    ctl.start_timer()
    try:
        stage.plotter.show(title=title, auto_close=False)
    finally:
        ctl.stop_timer()
        stage.close()
    return ctl
