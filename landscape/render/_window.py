"""The interactive window: a Python event loop, a worker thread for the simulation, keys and
clicks that steer it.

A *source* follows the Simulator protocol of `landscape.balls._simulator`: ``layers``, ``groups``,
``group`` (int [N]), ``snapshot() -> Frame``, ``advance(n) -> Frame``, ``add_balls(ab [k, 2],
group=0)``, ``reset()``. `ReplaySource` adapts a recorded `Trajectory` to it.

How it runs. `open_window` shows the plotter without entering VTK's blocking loop and runs its
own: process pending window events, `Controller.tick`, sleep. So Python is in control every few
milliseconds: Ctrl-C is noticed at once, a window destroyed from outside is noticed, and the
simulation runs on a worker thread (JAX releases the GIL) while the window stays live — a
compilation of several seconds shows "compiling…" on screen instead of freezing the window.
Work on the sources is queued in order (steps, drops, resets); only one runs at a time.

Exit: ``q``, ``Esc`` or the close button end `open_window` normally; Ctrl-C ends it by raising
`KeyboardInterrupt` after the window is closed (the CLI turns that into status 130), SIGTERM
by raising `landscape.errors.Terminated` (status 143).
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time

import numpy as np
import vtk

from landscape.balls import Frame
from landscape.errors import LandscapeError
from landscape.progress import Event, as_events
from landscape.render import _colors as colors
from landscape.render._headless import DisplayWatch, window_id

SPEEDS = (1, 2, 5, 10, 20, 50, 100)
CLICK_SLOP = 4          # pixels a press may move and still be a click, not a drag
BUSY_NOTICE_S = 0.4     # a job running longer than this is announced on screen
TOAST_S = 2.5

HELP_ROWS = [("space", "play / pause", "→", "one step"),
             ("+ / -", "faster / slower", "r", "reset the balls"),
             ("click", "drop a ball there", "drag", "turn the camera"),
             ("shift-drag", "pan", "wheel", "zoom"),
             ("c", "camera back home", "v", "next view: iso, top, side"),
             ("t", "trails on / off", "g", "gradient panel on / off"),
             ("l", "log height scale", "f", "follow the panel's group"),
             ("1–9", "panel shows group n", "s", "screenshot (path printed)"),
             ("h", "this help", "q / Esc", "quit")]


def help_text() -> str:
    """The key list in aligned columns (drawn in a monospace font)."""
    w = [max(len(r[k]) for r in HELP_ROWS) for k in range(4)]
    return "\n".join(f"{a:<{w[0]}}  {b:<{w[1]}}    {c:<{w[2]}}  {d}" for a, b, c, d in HELP_ROWS)


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

    @property
    def extra_points(self) -> np.ndarray:
        """``[k, 2]`` plane points of the balls added with `add_balls`."""
        return self._extra_ab.copy()

    def snapshot(self) -> Frame:
        f = self.traj.frame(self.t)
        k, L = len(self._extra_ab), len(self.layers)
        if k == 0:
            return f
        h = (self.surface.interpolate(self._extra_ab) if self.surface is not None
             else np.zeros(k))
        z = np.zeros(k, bool)
        return Frame(step=f.step, positions=np.concatenate([f.positions, self._extra_ab]),
                     heights=np.concatenate([f.heights, h]).astype(np.float32),
                     batch_loss=np.concatenate([f.batch_loss, h]).astype(np.float32),
                     grad_norms=np.concatenate([f.grad_norms,
                                                np.full((k, L), np.nan, np.float32)]),
                     escaped=np.concatenate([f.escaped, z]),
                     settled=np.concatenate([f.settled, z]))

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


def chunks(n: int) -> list[int]:
    """``n`` steps as calls of 10 and 1 steps, so a simulator compiles two step loops in all
    rather than one per speed."""
    return [10] * (n // 10) + [1] * (n % 10)


class Worker:
    """Runs jobs on the sources one at a time, in order, off the window's thread (or inline,
    ``threaded=False``, for tests and offscreen use). A job returns what `Controller.apply`
    shows; `poll` hands finished results back on the window's thread."""

    def __init__(self, threaded: bool = True, events=None):
        self.threaded = threaded
        self.events = as_events(events)   # each job: a "job" phase's start and end
        self.jobs = collections.deque()
        self.results = collections.deque()
        self.cv = threading.Condition()
        self.running = None            # (label, started) of the job in progress
        self.error = None
        self.thread = None
        if threaded:
            self.thread = threading.Thread(target=self._loop, name="landscape-worker",
                                           daemon=True)
            self.thread.start()

    def submit(self, fn, label: str = "computing…") -> None:
        if not self.threaded:
            self.results.append(fn())
            return
        with self.cv:
            self.jobs.append((fn, label))
            self.cv.notify()

    @property
    def idle(self) -> bool:
        return not self.jobs and self.running is None


    def poll(self) -> list:
        out = []
        while self.results:
            out.append(self.results.popleft())
        if self.error is not None:
            e, self.error = self.error, None
            raise e
        return out

    def _loop(self) -> None:
        while True:
            with self.cv:
                while not self.jobs:
                    self.cv.wait()
                fn, label = self.jobs.popleft()
                self.running = (label, time.perf_counter())
            self.events.start("job", label=label)
            try:
                self.results.append(fn())
            except BaseException as e:   # handed to the window's thread by poll()
                self.error = e
            finally:
                self.running = None
                self.events.end("job", label=label)


class Controller:
    """Keys, click-to-drop and playback for a `Stage` whose views show ``sources`` (one per
    view). Works offscreen too (``threaded=False`` runs the simulation inline), which is how
    the unit tests drive it; `open_window` runs it in a real window."""

    def __init__(self, stage, sources, steps_per_frame: int = 1, interval_ms: int = 33,
                 screenshot_dir: str = ".", drop_group: int = 0, threaded: bool = False,
                 home_camera: str = "iso", log=None):
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
        self.home_camera = home_camera
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.screenshots = []
        self.following = False
        self.done = False
        self.exit_reason = None
        self.steps_played = 0
        self.play_seconds = 0.0          # simulation time of the steps played
        self.play_wall = 0.0             # wall-clock time spent playing
        self._play_since = None
        self._busy = None                # (label, since): the worker's job, from its events
        self.worker = Worker(threaded, events=self._on_work)
        self._compiled = set()
        self._last_tick = 0.0
        self._toast_until = 0.0
        self._press = None
        self.iren = stage.plotter.iren
        text = help_text()
        # left-justified (centring would centre each line and break the columns), the block
        # centred: DejaVu Sans Mono advances 0.602 em per character
        width = 0.602 * stage.px(14) * max(len(line) for line in text.splitlines())
        self._help = self._overlay_text(text, 14, (max(0.01, 0.5 - width / 2 / stage.size[0]),
                                                   0.5), vjust="center", mono=True,
                                        background=0.88)
        self._help.GetTextProperty().SetLineSpacing(1.25)
        self._help.SetVisibility(False)
        self._notice = self._overlay_text("", 15, (0.5, 0.095), justify="center",
                                          background=0.8, bold=True)
        self._bind()
        for i, v in enumerate(stage.views):
            v.update(sources[i].snapshot(), group_ids=sources[i].group)
        self._status()

    def _overlay_text(self, text, size, pos, justify="left", vjust="bottom", mono=False,
                      background=0.0, bold=False):
        t = vtk.vtkTextActor()
        t.SetInput(text)
        p = t.GetTextProperty()
        colors.style_text(p, self.stage.px(size), self.stage.theme.text, bold=bold, justify=justify,
                          vjustify=vjust, mono=mono)
        if background:
            p.SetBackgroundColor(*self.stage.theme.label_bg)
            p.SetBackgroundOpacity(background)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(*pos)
        self.stage.add_overlay(t, size)
        return t

    # ---------------------------------------------------------------- wiring

    def _bind(self) -> None:
        pl = self.stage.plotter
        inter = self.iren.interactor
        # VTK's style binds characters (q/e quit, s/w surface/wireframe, r, f, p, 3, ...):
        # ours are key presses, so only the keys the help lists do anything.
        inter.RemoveObservers("CharEvent")
        keys = {"space": self.toggle_play, "Right": self.step_once, "r": self.reset,
                "plus": self.faster, "equal": self.faster, "KP_Add": self.faster,
                "minus": self.slower, "KP_Subtract": self.slower, "t": self.toggle_trails,
                "g": self.toggle_panel, "l": self.toggle_log, "s": self.screenshot,
                "h": self.toggle_help, "f": self.toggle_follow, "c": self.home,
                "Home": self.home, "v": self.next_view, "q": self.quit_key,
                "Escape": self.quit_key}
        keys.update({str(k + 1): (lambda k=k: self.select_group(k)) for k in range(9)})
        for k in ("b", "C", "Up", "Down", "v", "q"):      # pyvista's own bindings
            pl.clear_events_for_key(k, raise_on_missing=False)
        for k, fn in keys.items():
            pl.clear_events_for_key(k, raise_on_missing=False)
            pl.add_key_event(k, fn)
        # A click (press and release within CLICK_SLOP pixels) drops a ball; a drag only
        # moves the camera. While a button is down the interactor style grabs the mouse
        # events for itself, so the drag is followed through the style's Interaction and
        # EndInteraction events (sent for rotate, pan, spin and dolly alike).
        inter.AddObserver("LeftButtonPressEvent", self._on_press, 1.0)
        inter.AddObserver("InteractionEvent", self._on_move, 1.0)
        inter.AddObserver("MouseMoveEvent", self._on_move, 1.0)
        inter.AddObserver("EndInteractionEvent", self._on_release, 1.0)
        inter.AddObserver("LeftButtonReleaseEvent", self._on_release, 1.0)
        inter.AddObserver("ExitEvent", lambda *_: self.quit("closed"))
        for v in self.stage.views:
            v.only_surface_pickable()

    # ---------------------------------------------------------------- the loop's tick

    def tick(self, now: float | None = None) -> None:
        """One turn of the loop: show finished work, queue the next steps while playing,
        keep the on-screen notices current."""
        now = time.perf_counter() if now is None else now
        dirty = False
        for res in self.worker.poll():
            self.apply(res)
            dirty = True
        if self.playing and self.worker.idle and now - self._last_tick >= self.interval_ms / 1e3:
            self._last_tick = now
            self._queue_advance(self.speed)
            for res in self.worker.poll():       # inline mode: already done
                self.apply(res)
                dirty = True
        busy = self.busy_for()
        if busy is not None and busy[1] > BUSY_NOTICE_S:
            text = f"{busy[0]}  {busy[1]:.0f} s"
            if self._notice.GetInput() != text:
                self._notice.SetInput(text)
                dirty = True
        elif self._notice.GetInput() and now > self._toast_until:
            self._notice.SetInput("")
            dirty = True
        if dirty:
            self._render()

    def _on_work(self, e: Event) -> None:
        """The on-screen notice listens to the worker's progress events (on its thread)."""
        self._busy = (e.label, time.perf_counter()) if e.kind == "start" else None

    def busy_for(self) -> tuple[str, float] | None:
        """The job the worker is running and for how long (seconds), or None."""
        b = self._busy
        return None if b is None else (b[0], time.perf_counter() - b[1])

    def apply(self, result) -> None:
        kind, frames, groups, steps, seconds = result
        for v, f, g in zip(self.stage.views, frames, groups):
            v.update(f, group_ids=g)
        if kind == "advance":
            self.steps_played += steps
            self.play_seconds += seconds
            if self.following:
                self.stage.follow(self.stage.views[0].selected, view=0)

    def _job(self, kind, fn, steps=0):
        def run():
            t0 = time.perf_counter()
            for i, src in enumerate(self.sources):
                fn(i, src)
            frames = [src.snapshot() for src in self.sources]
            groups = [np.asarray(src.group).copy() for src in self.sources]
            return kind, frames, groups, steps, time.perf_counter() - t0
        return run

    def _queue_advance(self, n: int) -> None:
        sig = tuple(len(s.group) for s in self.sources)
        new = [(c, sig) for c in set(chunks(n)) if (c, sig) not in self._compiled]
        self._compiled.update(new)
        label = ("compiling the simulation (first steps)…" if new and self.worker.threaded
                 else "computing…")

        def step(i, src):
            for c in chunks(n):
                src.advance(c)
        self.worker.submit(self._job("advance", step, n), label)

    # ---------------------------------------------------------------- actions

    def on_timer(self, *_) -> None:
        """Advance every source by ``speed`` steps while playing (as one tick of the loop)."""
        self._last_tick = -np.inf
        self.tick()

    def toggle_play(self) -> None:
        self.playing = not self.playing
        self._clock()
        self._status()

    def _clock(self) -> None:
        now = time.perf_counter()
        if self._play_since is not None:
            self.play_wall += now - self._play_since
        self._play_since = now if self.playing and not self.done else None

    def step_once(self) -> None:
        self.playing = False
        self._clock()
        self._queue_advance(1)
        self._status()
        self.tick()

    def reset(self) -> None:
        for v in self.stage.views:
            if v.balls is not None:
                v.balls.reset_trails()
        self.worker.submit(self._job("reset", lambda i, src: src.reset()), "resetting…")
        self.tick()

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
            v.show_panel(not v.panel_shown)
        self._render()

    def toggle_log(self) -> None:
        for v in self.stage.views:
            if v.surface_layer is not None:
                v.set_log_scale(not v.scale.log)
                v.only_surface_pickable()
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

    def home(self) -> None:
        """The camera back where it started (after drags, zooms, `f` and `v`)."""
        self.following = False
        self.stage.camera(self.home_camera)
        self._render()

    def next_view(self) -> None:
        from landscape.render._camera import PRESETS

        names = list(PRESETS)
        cur = getattr(self, "_view_preset", self.home_camera)
        self._view_preset = names[(names.index(cur) + 1) % len(names)]
        self.stage.camera(self._view_preset)
        self._render()

    def toggle_help(self) -> None:
        self._help.SetVisibility(not self._help.GetVisibility())
        self._render()

    def screenshot(self) -> str:
        """Save the window as a PNG (in ``screenshot_dir``), print its path, and say so on
        screen for a moment."""
        path = os.path.abspath(os.path.join(
            self.screenshot_dir, time.strftime("landscape-%Y%m%d-%H%M%S") +
            f"-{len(self.screenshots)}.png"))
        self._notice.SetInput("")
        self.stage.screenshot(path)
        self.screenshots.append(path)
        self.log(f"landscape: screenshot saved to {path}")
        self.toast(f"saved {path}")
        return path

    def toast(self, text: str) -> None:
        self._notice.SetInput(text)
        self._toast_until = time.perf_counter() + TOAST_S
        self._render()

    def quit_key(self) -> None:
        self.quit(f"key {self.iren.interactor.GetKeySym()}")

    def quit(self, reason: str = "quit") -> None:
        self.done = True
        self._clock()
        self.exit_reason = self.exit_reason or reason
        self.iren.interactor.TerminateApp()

    def drop(self, view: int, ab) -> None:
        """Drop one ball of ``drop_group`` at plane point ``ab`` in ``view``."""
        ab = np.asarray(ab, np.float32).reshape(1, 2)
        group = self.drop_group
        src = self.sources[view]
        name = src.groups[group].get("name", group) if isinstance(src.groups[group], dict) \
            else src.groups[group]
        n = len(src.group) + 1
        self.log(f"landscape: ball dropped at a={ab[0, 0]:.3f}, b={ab[0, 1]:.3f} in view "
                 f"{view + 1} (group {name!r}); {n} balls")

        def add(i, s):
            if i == view:
                s.add_balls(ab, group=group)
        label = "adding the ball (compiling for the new count)…" if self.worker.threaded \
            else "computing…"
        self.worker.submit(self._job("drop", add), label)
        self.tick()

    # ---------------------------------------------------------------- mouse

    def _on_press(self, *_) -> None:
        self._press = (self.iren.interactor.GetEventPosition(), 0.0)

    def _on_move(self, *_) -> None:
        if self._press is not None:
            (x0, y0), far = self._press
            x, y = self.iren.interactor.GetEventPosition()
            self._press = ((x0, y0), max(far, float(np.hypot(x - x0, y - y0))))

    def _on_release(self, *_) -> None:
        if self._press is None:
            return
        (x0, y0), far = self._press
        self._press = None
        x, y = self.iren.interactor.GetEventPosition()
        if max(far, float(np.hypot(x - x0, y - y0))) > CLICK_SLOP:
            return                                  # a drag: the camera moved, no ball
        self.click(x0, y0)

    def click(self, x: int, y: int) -> bool:
        """A click at display pixel (x, y) (VTK's: origin bottom left): drop a ball where the
        surface is there; True when one was dropped."""
        for i, v in enumerate(self.stage.views):
            ab = v.pick(x, y)
            if ab is not None:
                self.drop(i, ab)
                return True
        return False

    # ---------------------------------------------------------------- drawing

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
                play: bool = False, title: str = "landscape", home_camera: str = "iso",
                log=None, on_first_frame=None, controller=None) -> Controller:
    """Show ``stage`` in a window driven by ``sources`` (one per view) until it is closed
    (``q``, ``Esc``, the close button, or the window destroyed). Ctrl-C closes the window and
    raises `KeyboardInterrupt`. Needs a display; for a file use `VideoWriter` instead.
    ``controller``: the `Controller` class (or a factory taking its arguments) to drive it
    with (`landscape.render.open_play_window` hands in its own)."""
    if stage.off_screen:
        raise LandscapeError("the interactive window needs a display (none found); render a "
                             "video instead, or run under xvfb-run")
    watch = DisplayWatch()
    ctl = (controller or Controller)(stage, sources, steps_per_frame, interval_ms,
                                     threaded=True, home_camera=home_camera, log=log)
    ctl.playing = play
    stage.camera(home_camera)
    interrupted = []

    def on_sigint(signum, _frame):
        interrupted.append(signum)
        ctl.quit("interrupted")

    # Ctrl-C and SIGTERM close the window the same way (the CLI: status 130 or 143)
    on_main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, on_sigint) if on_main else None
    old_term = signal.signal(signal.SIGTERM, on_sigint) if on_main else None
    pl = stage.plotter
    try:
        pl.show(title=title, auto_close=False, interactive_update=True)
        stage.watch_size()
        if on_first_frame is not None:
            on_first_frame()
        inter = pl.iren.interactor
        wid = window_id(pl.ren_win)
        next_check = 0.0
        while not ctl.done:
            inter.ProcessEvents()
            if ctl.done or inter.GetDone():
                ctl.exit_reason = ctl.exit_reason or "closed"
                break
            now = time.perf_counter()
            if now >= next_check:
                next_check = now + 0.25
                if not watch.window_exists(wid):
                    ctl.exit_reason = "window destroyed"
                    break
            if stage.watch_size():
                ctl._render()
            ctl.tick(now)
            time.sleep(0.008)
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
            signal.signal(signal.SIGTERM, old_term)
        ctl.done = True
        try:
            stage.close()
        finally:
            watch.close()
    if interrupted:
        from landscape.errors import Terminated

        e = Terminated() if signal.SIGTERM in interrupted else KeyboardInterrupt()
        e.controller = ctl
        raise e
    return ctl
