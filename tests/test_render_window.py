"""The interactive window's handlers, driven offscreen: real key presses through the
interactor, the one timer invoked by hand (timers never fire offscreen), and a simulated left
click on the surface that drops a ball where it lands."""

from __future__ import annotations

import os

import numpy as np
import pytest

pv = pytest.importorskip("pyvista")
pv.OFF_SCREEN = True

from landscape.errors import LandscapeError  # noqa: E402
from landscape.render import Controller, ReplaySource, Stage, open_window  # noqa: E402
from landscape.interp import plateau_height  # noqa: E402
from synthetic import bowl_surface, spiral_trajectory  # noqa: E402


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
    c = Controller(st, [src], screenshot_dir=str(tmp_path))
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
        ctl.iren.interactor.InvokeEvent("TimerEvent")


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


def test_s_saves_a_screenshot(ctl, tmp_path):
    press(ctl, "s")
    assert len(ctl.screenshots) == 1
    path = ctl.screenshots[0]
    assert os.path.dirname(path) == str(tmp_path) and os.path.getsize(path) > 1000
    from PIL import Image

    assert Image.open(path).size == (320, 240)


def test_click_on_surface_drops_a_ball(ctl):
    st, src, v = ctl.stage, ctl.sources[0], ctl.stage.view(0)
    n0 = v.balls.n
    target = np.array([[0.35, -0.3]])
    xyz = v.world(target, src.surface.interpolate(target)) - [0, 0, v.radius]
    col, row = st.world_to_display(0, xyz)[0]
    x, y = int(round(col)), int(round(st.size[1] - 1 - row))     # VTK display: origin bottom
    st.plotter.iren._mouse_left_button_click(x, y)
    assert v.balls.n == n0 + 1 == len(src.group)
    np.testing.assert_allclose(src._extra_ab[0], target[0], atol=0.04)
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
    c = Controller(st, [ReplaySource(traj), ReplaySource(traj)])
    c.toggle_play()
    c.on_timer()
    assert [s.t for s in c.sources] == [1, 1]
    st.close()


def test_open_window_plays_on_its_timer_and_closes_cleanly(monkeypatch):
    """The on-screen path with `show` stubbed (no display here): one repeating timer is
    created, its events advance the sources while playing, and closing destroys the timer
    and the window."""
    a, b, loss, acc = bowl_surface(21)
    traj = spiral_trajectory(a, b, loss, n_balls=6, n_frames=20)
    st = Stage(1, size=(320, 240), off_screen=True)
    st.view(0).set_surface((a, b, loss, acc))
    st.view(0).set_balls(traj.groups, traj.group, traj.layers)
    st.off_screen = False                      # pretend there is a display
    iren = st.plotter.iren
    created, destroyed, closed = [], [], []
    monkeypatch.setattr(iren, "create_timer", lambda ms, repeating=True: created.append(ms) or 7)
    monkeypatch.setattr(iren, "destroy_timer", lambda tid: destroyed.append(tid))
    monkeypatch.setattr(st.plotter, "render", lambda: None)

    def show(**kw):
        for _ in range(4):
            iren.interactor.InvokeEvent("TimerEvent")
        closed.append(kw)

    monkeypatch.setattr(st.plotter, "show", show)
    monkeypatch.setattr(st, "close", lambda: closed.append("stage"))
    src = ReplaySource(traj)
    ctl = open_window(st, [src], steps_per_frame=2, play=True)
    assert created == [33] and destroyed == [7]
    assert src.t == 8 and ctl.speed == 2
    assert closed[-1] == "stage"


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
