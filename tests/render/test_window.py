"""The interactive window's handlers, driven offscreen: real key presses through the
interactor, the loop's tick invoked by hand, simulated mouse presses, moves and releases
(a click drops a ball where it lands, a drag does not), and the text layout rules. The real
program in a real window is driven in tests/test_window_x11.py."""

from __future__ import annotations

import os

import numpy as np
import pytest

pv = pytest.importorskip("pyvista")
pv.OFF_SCREEN = True

from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.errors import LandscapeError  # noqa: E402
from landscape.render import Controller, ReplaySource, Stage, open_window  # noqa: E402
from landscape.surface._interp import plateau_height  # noqa: E402


class BowlSurface:
    def __init__(self, a, b, loss):
        self.a, self.b, self.loss = a.astype(float), b.astype(float), loss.astype(float)

    def interpolate(self, ab):
        return plateau_height(self.a, self.b, self.loss, np.asarray(ab, float).reshape(-1, 2))[0]


@pytest.fixture
def ctl(tmp_path):
    a, b, loss, acc = bowl_surface(41)
    traj = spiral_trajectory(a, b, loss, n_balls=20, n_frames=30)
    st = Stage(1, size=(320, 240), off_screen=True)
    v = st.view(0)
    v.set_surface((a, b, loss, acc))
    v.set_balls(traj.groups, traj.group, traj.layers, title="window")
    src = ReplaySource(traj, surface=BowlSurface(a, b, loss))
    c = Controller(st, [src], screenshot_dir=str(tmp_path), log=lambda line: None)
    st.camera("top")
    st.screenshot()
    yield c
    st.close()


def press(ctl, key):
    ctl.iren.interactor.SetKeySym(key)
    ctl.iren.interactor.KeyPressEvent()
    ctl.iren.interactor.SetKeySym(key)
    ctl.iren.interactor.CharEvent()       # VTK's own char bindings must not react


def timer(ctl, n=1):
    for _ in range(n):
        ctl.on_timer()


def test_space_plays_and_timer_advances(ctl):
    src, v = ctl.sources[0], ctl.stage.view(0)
    timer(ctl, 3)
    assert src.t == 0                                  # paused: the timer does nothing
    press(ctl, "space")
    assert ctl.playing
    timer(ctl, 3)
    assert src.t == 3
    assert v.last_frame.step == src.traj.steps[3]
    press(ctl, "space")
    assert not ctl.playing
    timer(ctl, 2)
    assert src.t == 3


def test_right_steps_once_and_r_resets(ctl):
    src = ctl.sources[0]
    before = ctl.stage.view(0).balls.balls.points.copy()
    press(ctl, "Right")
    assert src.t == 1 and not ctl.playing
    assert not np.allclose(ctl.stage.view(0).balls.balls.points, before)
    press(ctl, "Right")
    assert src.t == 2
    cam = ctl.stage.plotter.camera.position
    press(ctl, "r")
    assert src.t == 0
    assert ctl.stage.plotter.camera.position == cam       # VTK's 'r' (reset camera) is off
    np.testing.assert_allclose(ctl.stage.view(0).balls.balls.points, before)


def test_c_puts_the_camera_back_and_v_cycles_views(ctl):
    st = ctl.stage
    ctl.home_camera = "top"
    press(ctl, "c")
    home = st.plotter.camera.position
    it = st.plotter.iren
    it._mouse_left_button_press(100, 100)
    it._mouse_move(160, 140)
    it._mouse_left_button_release(160, 140)               # a drag turns the camera
    assert st.plotter.camera.position != home
    press(ctl, "c")
    np.testing.assert_allclose(st.plotter.camera.position, home)
    press(ctl, "v")
    assert st.plotter.camera.position != home
    press(ctl, "Home")
    np.testing.assert_allclose(st.plotter.camera.position, home)


def test_q_and_escape_quit(ctl):
    press(ctl, "q")
    assert ctl.done and ctl.exit_reason == "key q"
    ctl.done, ctl.exit_reason = False, None
    press(ctl, "Escape")
    assert ctl.done


def test_plus_minus_change_speed(ctl):
    src = ctl.sources[0]
    assert ctl.speed == 1
    press(ctl, "plus")
    press(ctl, "equal")
    assert ctl.speed == 5
    press(ctl, "space")
    timer(ctl)
    assert src.t == 5
    press(ctl, "minus")
    assert ctl.speed == 2
    assert "×2" in ctl.stage.view(0).hud.step.GetInput()


def test_toggles_t_g_l_h(ctl):
    v = ctl.stage.view(0)
    assert v.trail_actor.GetVisibility()
    press(ctl, "t")
    assert not v.trail_actor.GetVisibility()
    press(ctl, "t")
    assert v.trail_actor.GetVisibility()
    assert v.panel.poly_actor.GetVisibility()
    press(ctl, "g")
    assert not v.panel.poly_actor.GetVisibility() and not v.panel_on
    press(ctl, "g")
    assert v.panel.poly_actor.GetVisibility()
    log0 = v.scale.log
    press(ctl, "l")
    assert v.scale.log != log0
    press(ctl, "l")
    assert v.scale.log == log0
    assert not ctl._help.GetVisibility()
    press(ctl, "h")
    assert ctl._help.GetVisibility() and "space" in ctl._help.GetInput()
    ctl.stage.screenshot()                                  # still renders after all that


def test_s_saves_a_screenshot_and_says_where(ctl, tmp_path):
    said = []
    ctl.log = said.append
    press(ctl, "s")
    assert len(ctl.screenshots) == 1
    path = ctl.screenshots[0]
    assert os.path.dirname(path) == str(tmp_path) and os.path.getsize(path) > 1000
    assert said == [f"landscape: screenshot saved to {path}"]
    assert path in ctl._notice.GetInput()                 # and on screen for a moment
    ctl.tick(now=ctl._toast_until + 1)
    assert ctl._notice.GetInput() == ""
    from PIL import Image

    assert Image.open(path).size == (320, 240)


def test_click_on_surface_drops_a_ball_and_a_drag_does_not(ctl):
    st, src, v = ctl.stage, ctl.sources[0], ctl.stage.view(0)
    n0 = v.balls.n
    target = np.array([[0.35, -0.3]])
    xyz = v.world(target, src.surface.interpolate(target)) - [0, 0, v.radius]
    col, row = st.world_to_display(0, xyz)[0]
    x, y = int(round(col)), int(round(st.size[1] - 1 - row))     # VTK display: origin bottom
    it = st.plotter.iren
    # a drag that starts on the surface and ends there again turns the camera: no ball
    it._mouse_left_button_press(x, y)
    it._mouse_move(x + 30, y + 10)
    it._mouse_move(x, y)
    it._mouse_left_button_release(x, y)
    assert v.balls.n == n0
    st.camera("top")
    st.screenshot()
    # a press and release a pixel or two apart is a click
    it._mouse_left_button_press(x, y)
    it._mouse_move(x + 2, y)
    it._mouse_left_button_release(x + 2, y)
    assert v.balls.n == n0 + 1 == len(src.group)
    np.testing.assert_allclose(src.extra_points[0], target[0], atol=0.04)
    assert src.group[-1] == 0
    # the new ball is drawn and keeps going with the replay
    press(ctl, "Right")
    assert v.balls.n == n0 + 1
    # a click on empty background drops nothing
    st.plotter.iren._mouse_left_button_click(2, 2)
    assert v.balls.n == n0 + 1


def test_window_needs_a_display(ctl):
    with pytest.raises(LandscapeError, match="display"):
        open_window(ctl.stage, ctl.sources)


def test_one_source_per_view():
    a, b, loss, acc = bowl_surface(21)
    traj = spiral_trajectory(a, b, loss, n_balls=4, n_frames=3)
    st = Stage(2, size=(320, 240), off_screen=True)
    for i in range(2):
        st.view(i).set_surface((a, b, loss, acc))
        st.view(i).set_balls(traj.groups, traj.group, traj.layers)
    with pytest.raises(LandscapeError, match="one per view"):
        Controller(st, [ReplaySource(traj)])
    c = Controller(st, [ReplaySource(traj), ReplaySource(traj)], log=lambda line: None)
    c.toggle_play()
    c.on_timer()
    assert [s.t for s in c.sources] == [1, 1]
    st.close()


def test_digit_selects_group_and_f_follows(ctl):
    v, st = ctl.stage.view(0), ctl.stage
    press(ctl, "2")
    assert v.selected == 1 and ctl.drop_group == 1
    assert "Adam" in v.panel.title.GetInput()
    press(ctl, "9")                                    # no such group: nothing changes
    assert v.selected == 1
    home = st.rig.home.copy()
    press(ctl, "f")
    press(ctl, "Right")
    target = v.group_center(1)
    assert np.linalg.norm(st.rig.focal - target) < np.linalg.norm(home - target)
    press(ctl, "f")
    np.testing.assert_allclose(st.rig.focal, home)


def test_help_lists_every_key_in_aligned_columns(ctl):
    from landscape.render._window import HELP_ROWS, help_text

    lines = help_text().splitlines()
    assert len(lines) == len(HELP_ROWS)
    w = [max(len(r[k]) for r in HELP_ROWS) for k in range(4)]
    starts = [0, w[0] + 2, w[0] + w[1] + 6, w[0] + w[1] + w[2] + 8]
    for line, row in zip(lines, HELP_ROWS):  # each column starts at one character in every line
        for col, x in enumerate(starts):
            assert line[x:x + len(row[col])] == row[col], (line, row[col])
            assert x == 0 or line[x - 1] == " "
    text = ctl._help.GetInput()
    for key in ("space", "click", "drag", "c", "s", "q / Esc", "h"):
        assert key in text
    assert "Mono" in ctl._help.GetTextProperty().GetFontFile()


def test_legend_says_each_thing_once():
    from landscape.render._hud import legend_settings

    assert legend_settings({"name": "SGD, lr 0.01", "optimizer": "sgd", "lr": 0.01}) == ""
    assert legend_settings({"name": "sgd lr=0.1", "optimizer": "sgd", "lr": 0.1}) == ""
    assert legend_settings({"name": "gradient descent", "optimizer": "sgd",
                            "lr": 0.05}) == "sgd lr 0.05"
    assert legend_settings({"name": "Adam", "optimizer": "adam", "lr": 1e-3}) == "lr 0.001"


def test_long_titles_wrap_to_the_view():
    from landscape.render._hud import wrap

    t = "N(0, 1) init, then 300 SGD steps  ·  loss at θ* 2.1e+04"
    assert wrap(t, 80) == t
    assert wrap(t, 38) == "N(0, 1) init, then 300 SGD steps\nloss at θ* 2.1e+04"
    assert all(len(line) <= 20 for line in wrap(t, 20).splitlines())


@pytest.mark.parametrize("n_views", [1, 2, 3])
def test_every_label_is_at_least_11_px_at_1280x720(n_views):
    """The issue's floor: in a 1280×720 window, whatever the layout, no text under 11 px;
    the legend sits above the colour bar and the panel below the legend."""
    a, b, loss, acc = bowl_surface(21)
    traj = spiral_trajectory(a, b, loss, n_balls=6, n_frames=3)
    st = Stage(n_views, size=(1280, 720), off_screen=True)
    for i in range(n_views):
        v = st.view(i)
        v.set_surface((a, b, loss, acc))
        v.set_balls(traj.groups, traj.group, traj.layers,
                    title="A rather long title for a narrow view  ·  loss at θ* 0.123")
        v.update(traj.frame(0))
    st.caption("caption")
    c = Controller(st, [ReplaySource(traj) for _ in range(n_views)], log=lambda line: None)
    c.toggle_help()
    st.screenshot()
    sizes = [p.GetFontSize() for p in st.text_properties()]
    assert len(sizes) > 20 and min(sizes) >= 11, sorted(sizes)[:5]
    for v in st.views:
        bar_top = v._scalar_bar.GetPositionCoordinate().GetValue()[1] + 0.33
        assert bar_top <= v.hud.bottom or st.view_aspect > 1.3
        assert v.panel.rect[3] < v.hud.bottom
        title_w = max(len(line) for line in v.hud.title.GetInput().splitlines())
        assert 0.64 * v.hud.fs * v.hud.TITLE * title_w <= st.view_size[0]
    st.close()


def test_text_follows_the_window_size():
    from landscape.render._stage import font_scale

    assert font_scale((1280, 720), (1, 3)) == 1.0 == font_scale((1280, 720), (1, 1))
    assert font_scale((2560, 1440), (1, 3)) == pytest.approx(2.0)
    a, b, loss, acc = bowl_surface(21)
    st = Stage(3, size=(1280, 720), off_screen=True)
    for i in range(3):
        st.view(i).set_surface((a, b, loss, acc))
    st.screenshot()
    before = sorted(p.GetFontSize() for p in st.text_properties())
    st.plotter.ren_win.SetSize(2560, 1440)                 # the user enlarged the window
    assert st.watch_size() and not st.watch_size()
    after = sorted(p.GetFontSize() for p in st.text_properties())
    assert [round(x / y, 1) for x, y in zip(after, before)] == [2.0] * len(before)
    st.close()


def test_the_busy_notice_listens_to_the_workers_events(tmp_path):
    """A job on the worker thread reports a "job" phase (start, end) as progress events; the
    window's on-screen notice is their listener: it names the job while it runs longer than
    a moment, and is gone once the end event came."""
    import time

    from landscape.render._window import BUSY_NOTICE_S

    a, b, loss, acc = bowl_surface(41)
    traj = spiral_trajectory(a, b, loss, n_balls=5, n_frames=30)
    st = Stage(1, size=(320, 240), off_screen=True)
    st.view(0).set_surface((a, b, loss, acc))
    st.view(0).set_balls(traj.groups, traj.group, traj.layers, title="busy")
    src = ReplaySource(traj, surface=BowlSurface(a, b, loss))
    slow = src.advance
    src.advance = lambda n: (time.sleep(BUSY_NOTICE_S + 0.8), slow(n))[1]
    c = Controller(st, [src], threaded=True, log=lambda line: None)
    seen = []
    c.worker.events.subscribe(lambda e: seen.append((e.kind, e.phase, e.label)))
    try:
        c._queue_advance(1)
        t0 = time.monotonic()
        while not c._notice.GetInput() and time.monotonic() - t0 < 5:
            time.sleep(0.05)
            c.tick()
        assert c._notice.GetInput().startswith("compiling the simulation (first steps)…")
        while not c.worker.idle and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        c.tick()
        assert c.busy_for() is None and c._notice.GetInput() == ""
        label = "compiling the simulation (first steps)…"
        assert seen == [("start", "job", label), ("end", "job", label)]
    finally:
        st.close()
