"""The stage, offscreen, on real pixels: surface and balls drawn where they project, gradient
bars that follow their data, and the layouts, camera, census and non-finite surfaces."""

from __future__ import annotations

import os

import numpy as np
import pytest

pv = pytest.importorskip("pyvista")
pv.OFF_SCREEN = True

from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.balls._trajectory import Frame  # noqa: E402
from landscape.errors import LandscapeError  # noqa: E402
from landscape.picture import THEMES, rgba_u8  # noqa: E402
from landscape.render import Stage, check_rendering  # noqa: E402
from landscape.render import _headless as headless

SIZE = (320, 240)
GROUPS = [{"name": "SGD", "optimizer": "sgd", "lr": 0.1}, {"name": "Adam", "optimizer": "adam",
                                                         "lr": 0.01}]
LAYERS = ["in", "h1", "h2", "out"]


@pytest.fixture(scope="module")
def bowl():
    return bowl_surface(41)


def frame_at(ab, heights, grads=None, step=0, escaped=None, settled=None) -> Frame:
    ab = np.asarray(ab, np.float32)
    n = len(ab)
    g = np.full((n, 4), 0.1, np.float32) if grads is None else np.asarray(grads, np.float32)
    return Frame(step=step, positions=ab, heights=np.asarray(heights, np.float32),
                 batch_loss=np.asarray(heights, np.float32), grad_norms=g,
                 escaped=np.zeros(n, bool) if escaped is None else escaped,
                 settled=np.zeros(n, bool) if settled is None else settled)


def surface_height(bowl, ab):
    from landscape.surface._interp import plateau_height

    a, b, loss, _ = bowl
    return plateau_height(a.astype(float), b.astype(float), loss.astype(float), np.asarray(ab, float))[0]


def make_stage(bowl, ab, n_views=1, size=SIZE, **kw):
    st = Stage(n_views, size=size, off_screen=True)
    for i in range(n_views):
        v = st.view(i)
        v.set_surface(bowl, **kw)
        v.set_balls(GROUPS, np.arange(len(ab)) % 2, LAYERS, title=f"view {i}")
        v.update(frame_at(ab, surface_height(bowl, ab)))
    st.camera("top")
    return st


def pixel(img, xy):
    x, y = (int(round(c)) for c in xy)
    return img[y, x].astype(int)


def test_frame_shows_surface_and_balls(bowl):
    ab = np.array([[-0.5, 0.4], [0.45, -0.35], [0.3, 0.5], [-0.4, -0.5]])
    st = make_stage(bowl, ab)
    img = st.screenshot()
    assert img.shape == (SIZE[1], SIZE[0], 3)
    assert img.std() > 20                                  # not blank
    v = st.view(0)
    bg = np.array([int(THEMES["dark"].background[i:i + 2], 16) for i in (1, 3, 5)])
    # the surface: a point on it between the balls is coloured, not background
    s_xy = st.world_to_display(0, v.world([[0.0, -0.1]], surface_height(bowl, [[0.0, -0.1]]))
                               - [0, 0, v.radius])[0]
    assert np.abs(pixel(img, s_xy) - bg).sum() > 60
    # each ball: its pixel has the group's hue (SGD red-pink, Adam near white)
    xy = st.world_to_display(0, v.balls.balls.points)
    for k, p in enumerate(xy):
        r, g, b = pixel(img, p)
        if k % 2 == 0:
            assert r > g + 60 and r > 150, (k, (r, g, b))
        else:
            assert min(r, g, b) > 150, (k, (r, g, b))
    # hiding the balls changes exactly those pixels
    v.ball_actor.SetVisibility(False)
    img2 = st.screenshot()
    for p in xy:
        assert np.abs(pixel(img2, p) - pixel(img, p)).sum() > 60
    st.close()


def test_escaped_grey_and_settled_ringed(bowl):
    ab = np.array([[-0.5, 0.4], [0.45, -0.35]])
    st = make_stage(bowl, ab)
    v = st.view(0)
    f = frame_at(ab, surface_height(bowl, ab), escaped=np.array([True, False]),
                 settled=np.array([False, True]))
    v.update(f)
    img = st.screenshot()
    r, g, b = pixel(img, st.world_to_display(0, v.balls.balls.points[:1])[0])
    assert abs(r - g) < 30 and abs(g - b) < 30                    # grey
    assert v.balls.rings.point_data["scale"].tolist() == [0.0, 1.0]
    st.close()


@pytest.mark.parametrize("case", ["vanishing", "exploding"])
def test_panel_bars_follow_gradients(bowl, case):
    factor = 1 / 10 if case == "vanishing" else 10.0
    mean = 0.1 * factor ** np.arange(3, -1, -1)                  # input → output
    rng = np.random.default_rng(0)
    grads = mean[None] * np.exp(0.2 * rng.standard_normal((40, 4)))
    ab = rng.uniform(-0.6, 0.6, (40, 2))
    st = Stage(1, size=(640, 360), off_screen=True)
    v = st.view(0)
    v.set_surface(bowl)
    v.set_balls(GROUPS[:1], np.zeros(40, int), LAYERS, title=case)
    v.update(frame_at(ab, surface_height(bowl, ab), grads))
    p = v.panel
    tops = p.bar_tops()
    want = p.y_of(np.log10(grads.mean(0)))
    np.testing.assert_allclose(tops, want, atol=1e-9)
    assert (np.diff(tops) > 0).all() if case == "vanishing" else (np.diff(tops) < 0).all()
    # the same heights on screen: count each bar's pixels up its centre column
    img = st.screenshot()
    h = img.shape[0]
    heights = []
    for i in range(4):
        xc = int(p._bar_x(i).mean() * img.shape[1])
        y_floor = int(round((1 - p.ay[0]) * h)) - 2
        col = img[:y_floor, xc].astype(int)
        c = p.poly_rgba[2 + i, :3].astype(int)
        hit = np.flatnonzero(np.abs(col - c).sum(1) < 40)   # grid lines cross the bars:
        heights.append(int(y_floor - hit.min()) if hit.size else 0)   # top-most bar pixel
    expected = (tops - p.ay[0]) * h
    assert np.all(np.abs(np.array(heights) - expected) < 0.12 * expected.max() + 3), \
        (heights, expected)
    # colour: the input bar is blue when vanishing, red when exploding
    r, g, b = p.poly_rgba[2, :3].astype(int)
    assert (b > r + 80) if case == "vanishing" else (r > b + 80)
    st.close()


def test_panel_draws_an_overflowed_layer_full_height_red_marked_infinity():
    """An exploding gradient is never drawn as a vanishing one: a layer whose norm overflowed
    (inf or NaN for any ball shown) is a full-height red bar with ∞ above it; zero stays at the
    floor, and the finite layer keeps its height."""
    from landscape.render.panels._gradients import GradientPanel

    st = Stage(1, size=SIZE, off_screen=True)
    p = GradientPanel(st.plotter.renderers[0], ["a", "b", "c", "d"])
    p.update(np.zeros((0, 4)))
    assert np.allclose(p.bar_tops(), p.ay[0])
    p.update(np.array([[np.inf, 0.0, np.nan, 1e9], [1e9, 0.0, 1e-12, 1e9]]))
    tops = p.bar_tops()
    assert tops[0] == tops[2] == p.ay[1]                       # overflow: full height
    assert tops[1] == p.ay[0]                                  # zero: the floor
    assert p.ay[0] < tops[3] <= p.ay[1]
    assert list(p.overflow) == [True, False, True, False]
    np.testing.assert_array_equal(p.poly_rgba[2, :3], rgba_u8(THEMES["dark"].explode)[:3])
    marks = [bool(t.GetVisibility()) for t in p.overflow_marks]
    assert marks == [True, False, True, False] and p.overflow_marks[0].GetInput() == "∞"
    assert p.y_hi >= 9                                         # the finite 1e9 widened the axis
    img = st.screenshot()
    h, w = img.shape[:2]
    x0 = int(p._bar_x(0).mean() * w)
    y_mid = int((1 - 0.5 * (p.ay[0] + p.ay[1])) * h)           # half-way up the axis
    r, g, b = img[y_mid, x0].astype(int)
    assert r > 150 and r > g + 60 and r > b + 60, (r, g, b)   # a red bar, not the backdrop
    x1 = int(p._bar_x(1).mean() * w)
    r1, g1, b1 = img[y_mid, x1].astype(int)
    assert r1 < 120                                            # the zero layer has no bar there
    p.set_visible(False)
    assert not any(t.GetVisibility() for t in p.overflow_marks)
    p.set_visible(True)
    assert [bool(t.GetVisibility()) for t in p.overflow_marks] == [True, False, True, False]
    st.close()


def test_four_views_in_sync_and_camera(bowl):
    ab = np.array([[-0.5, 0.4], [0.45, -0.35]])
    st = make_stage(bowl, ab, n_views=4, size=(480, 360))
    cams = {id(r.GetActiveCamera()) for r in st.plotter.renderers[:4]}
    assert len(cams) == 1                                     # one shared camera
    top = st.screenshot()
    for i in range(4):
        v = st.view(i)
        for p in st.world_to_display(i, v.balls.balls.points):
            assert 0 <= p[0] < 480 and 0 <= p[1] < 360
    st.camera("iso")
    iso = st.screenshot()
    st.orbit(40)
    orbit = st.screenshot()
    assert np.abs(iso.astype(int) - top).mean() > 3
    assert np.abs(orbit.astype(int) - iso).mean() > 3
    f0 = np.array(st.rig.focal)
    target = st.view(0).group_center(0)
    st.follow(0, view=0, weight=0.5)
    assert np.linalg.norm(st.rig.focal - target) < np.linalg.norm(f0 - target)
    with pytest.raises(LandscapeError, match="preset"):
        st.camera("fisheye")
    st.close()


def test_census_labels_are_exactly_the_cores_census_with_plus_k_more(bowl):
    """The view labels the census it is given (the core's, `landscape.balls._census`), never one of
    its own: no census, no labels, however settled the balls; more minima than fit are
    counted as "+k more"."""
    from landscape.balls._census import census_on_grid

    a, b, loss, acc = bowl
    traj = spiral_trajectory(a, b, loss, n_balls=60, n_frames=40)
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    v.set_surface(bowl)
    v.set_balls(traj.groups, traj.group, traj.layers)
    v.update(traj.frame(39))                                 # all settled, but no census given
    assert v.hud.census_actors == []
    core = census_on_grid(a, b, loss, acc, traj.positions[39], traj.settled[39],
                          traj.escaped[39], traj.group, [g["name"] for g in traj.groups])
    assert core                                              # the core finds the minimum
    f = traj.frame(39)
    f.census = core
    v.update(f)
    texts = [c.GetInput() for c in v.hud.census_actors]
    want = [f"loss {c['loss']:.3g} · acc {100 * c['accuracy']:.0f}% · "
            f"{100 * c['share']:.0f}% of balls" for c in core]
    assert texts == want[:v.max_labels]
    many = [{"position": [0.1 * k - 0.5, 0.0], "loss": 0.1 + k, "accuracy": 0.5,
             "share": 0.1} for k in range(v.max_labels + 3)]
    f.census = many
    v.update(f)
    texts = [c.GetInput() for c in v.hud.census_actors]
    assert texts[0] == "+3 more minima (census)" and len(texts) == v.max_labels + 1
    v.set_census(many[:1])                  # a frame without a census shows the view's own
    v.update(traj.frame(0))
    assert [c.GetInput() for c in v.hud.census_actors] == ["loss 0.1 · acc 50% · 10% of balls"]
    st.screenshot()
    st.close()


def test_nonfinite_surface_renders_and_is_marked(bowl):
    a, b, loss, acc = bowl
    bad = loss.copy()
    bad[:5, :5] = np.inf
    bad[-3:, :2] = np.nan
    ab = np.array([[0.0, 0.0]])
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    v.set_surface((a, b, bad, acc))
    v.set_balls(GROUPS[:1], [0], LAYERS)
    v.update(frame_at(ab, [np.inf]))                   # a height of inf is clipped, not drawn
    assert np.isfinite(v.balls.balls.points).all()
    assert "31 grid points" in v.hud.warning.GetInput()
    assert v.surface_layer.nonfinite.n_points == 31
    assert np.isfinite(v.surface_layer.mesh.points).all()
    img = st.screenshot()
    assert img.std() > 10
    with pytest.raises(LandscapeError, match="no finite"):
        v.set_surface((a, b, np.full_like(loss, np.nan)))
    st.close()


def test_log_scale_auto_and_toggle(bowl):
    a, b, loss, acc = bowl
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    v.set_surface((a, b, loss, acc))
    assert not v.scale.log                                  # ~2.5 decades: linear
    v.set_surface((a, b, loss ** 4, acc))
    assert v.scale.log                                      # ~10 decades: log
    v.set_balls(GROUPS[:1], [0], LAYERS)
    v.update(frame_at([[0.2, 0.2]], [0.5]))
    z_log = v.balls.balls.points[0, 2]
    v.set_log_scale(False)
    assert not v.scale.log and v.balls.balls.points[0, 2] != z_log
    st.screenshot()
    st.close()


def test_bad_input_one_line_errors(bowl):
    with pytest.raises(LandscapeError, match="1 to 4"):
        Stage(5, size=SIZE, off_screen=True)
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    with pytest.raises(LandscapeError, match="set_surface"):
        v.set_balls(GROUPS, [0], LAYERS)
    v.set_surface(bowl)
    with pytest.raises(LandscapeError, match="group ids"):
        v.set_balls(GROUPS, [0, 5], LAYERS)
    v.set_balls(GROUPS, [0, 1], LAYERS)
    with pytest.raises(LandscapeError, match="group_ids"):
        v.update(frame_at(np.zeros((3, 2)), np.ones(3)))
    with pytest.raises(LandscapeError, match="view 3"):
        st.view(3)
    st.close()


def test_headless_probe_reports_what_to_install(monkeypatch):
    check_rendering(True)                                     # this machine renders
    monkeypatch.delenv("LANDSCAPE_SKIP_RENDER_PROBE", raising=False)
    monkeypatch.setattr(headless, "_PROBE_OFFSCREEN", "import os; os.abort()")
    monkeypatch.setattr(headless, "_probed", {})
    monkeypatch.setattr(os, "environ", dict(os.environ))      # the probe may set VTK's window
    with pytest.raises(LandscapeError, match="libegl1") as e:
        check_rendering(True)
    msg = str(e.value)
    assert "libgl1-mesa-dri" in msg and "signal 6" in msg and "\n" not in msg
    with pytest.raises(LandscapeError, match="libegl1"):
        Stage(1, size=SIZE, off_screen=True)


def test_a_dead_display_is_one_line_and_offscreen_still_renders(monkeypatch):
    """DISPLAY set, no X server there: a window is refused in one line naming the display;
    a video or still renders offscreen as if there were no display."""
    free = next(n for n in range(77, 200) if not os.path.exists(f"/tmp/.X11-unix/X{n}"))
    monkeypatch.setenv("DISPLAY", f":{free}")
    monkeypatch.delenv("LANDSCAPE_OFF_SCREEN", raising=False)
    if headless.libx11() is None:
        pytest.skip("libX11 is not installed here")
    assert not headless.display_answers()
    with pytest.raises(LandscapeError, match=f"cannot open the display ':{free}'") as e:
        headless.require_display()
    assert "\n" not in str(e.value)
    assert headless.default_off_screen() is True
    monkeypatch.delenv("DISPLAY")
    with pytest.raises(LandscapeError, match="DISPLAY is not set"):
        headless.require_display()
    monkeypatch.setenv("LANDSCAPE_OFF_SCREEN", "1")
    with pytest.raises(LandscapeError, match="needs a display"):
        headless.require_display()


def test_default_off_screen(monkeypatch):
    monkeypatch.delenv("LANDSCAPE_OFF_SCREEN", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert headless.default_off_screen() is True
    monkeypatch.setenv("LANDSCAPE_OFF_SCREEN", "0")
    assert headless.default_off_screen() is False


def test_accepts_a_surface_object_and_replays_on_it(bowl):
    """A `Surface` (built here from arrays; the renderer reads only its grid, loss and
    accuracy) draws like the tuple, and `ReplaySource` uses its `interpolate` for drops."""
    from landscape.render import ReplaySource
    from landscape.surface._surface import Surface

    a, b, loss, acc = bowl
    s = Surface(alphas=a, betas=b, loss=loss, accuracy=acc, theta=None, d1=None, d2=None, spec={},
                layout=None, x_eval=None, y_eval=None, bn_stats=None,
                meta={"center_loss": float(loss[20, 20])})
    traj = spiral_trajectory(a, b, loss, n_balls=8, n_frames=5)
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    v.set_surface(s)
    v.set_balls(traj.groups, traj.group, traj.layers)
    src = ReplaySource(traj, surface=s)
    src.add_balls([[0.25, -0.25]], group=1)
    f = src.advance(2)
    v.update(f, group_ids=src.group)
    assert v.balls.n == 9 and f.heights[-1] == pytest.approx(s.interpolate([0.25, -0.25]))
    assert v.surface_layer.theta_star is not None
    st.screenshot()
    st.close()


def test_panel_colours_each_bar_by_its_ratio_to_the_output_layer():
    """A forty-fold fall over eleven layers reads as vanishing whatever the absolute numbers
    (the bars sit inside any absolute 'healthy' range), and a balanced network is green."""
    from landscape.measures import _flow as flow
    from landscape.picture import UNDEFINED
    from landscape.render.panels._gradients import GradientPanel

    # the colour map on numbers: ratio 1 green, 1/10 and below blue, 10 and above red
    for t in THEMES.values():
        c = t.flow_colors(np.log10([1.0, 0.1, 0.01, 10.0, 100.0, np.nan]))
        np.testing.assert_allclose(c[0], t.healthy)
        np.testing.assert_allclose(c[1], t.vanish)
        np.testing.assert_allclose(c[2], t.vanish)
        np.testing.assert_allclose(c[3], t.explode)
        np.testing.assert_allclose(c[5], UNDEFINED)
    st = Stage(1, size=SIZE, off_screen=True)
    p = GradientPanel(st.plotter.renderers[0], [f"dense_{i}" for i in range(11)])
    fall = np.geomspace(0.025, 1.0, 11)                     # 40× from input to output
    p.update(np.stack([fall * 0.9, fall * 1.1]))
    bands = p.bands()
    assert bands[0] == "vanishing" and bands[-1] == "balanced", bands
    assert list(bands) == list(flow.classify(np.mean([fall * 0.9, fall * 1.1], 0)))
    blue = p.poly_rgba[2, :3].astype(int)
    assert blue[2] > blue[0] + 100 and blue[2] > blue[1] + 60, blue          # input bar: blue
    green = p.poly_rgba[2 + 10, :3].astype(int)
    assert green[1] > green[0] and green[1] > green[2], green                 # output: green
    img = st.screenshot()
    h, w = img.shape[:2]
    x0 = int(p._bar_x(0).mean() * w)
    y = int((1 - 0.5 * (p.ay[0] + float(p.bar_tops()[0]))) * h)               # inside bar 0
    r, g, b = img[y, x0].astype(int)
    assert b > r + 80 and b > g + 40, (r, g, b)
    # balanced: every bar within a factor of 3 of the output layer's is green
    p.update(np.full((3, 11), 0.5) * np.linspace(0.8, 1.2, 11))
    assert set(p.bands()) == {"balanced"}
    # the learning-speed chart recorded one point per update, the input line below the output
    ys = p.chart.ys()
    assert ys.shape == (11, 2)
    assert ys[0, 0] < ys[-1, 0]
    st.close()


def test_panel_is_honest_outside_the_absolute_band(bowl):
    """The N(0, 1) numbers of the recorded initialization dry run: every norm ~1e25, ratios
    near 1 (green by the ratio alone): red on the pixels, statuses exploding; one layer under
    ``lo``: blue; the band's edges drawn as lines; a View hands the panel its selected group's
    band from the group's lr, ‖θ*‖ and the plane's width (`GradientLimits.for_sgd`)."""
    import json

    from landscape.picture import GradientLimits, plane_span, theta_norm
    from landscape.render.panels._gradients import GradientPanel

    with open(os.path.join(os.path.dirname(__file__), "..", "data", "dryrun",
                           "initialization.json")) as f:
        g = np.array(json.load(f)["landscapes"][0]["groups"][0]["grad_norms_start"])
    st = Stage(1, size=(640, 480), off_screen=True)
    lim = GradientLimits.for_sgd(0.01, 20.0, 40.0)
    p = GradientPanel(st.plotter.renderers[0], [f"dense_{i}" for i in range(len(g))],
                      limits=lim, rect=(0.3, 0.05, 0.98, 0.95))
    p.update(np.stack([g * 0.9, g * 1.1]))
    assert p.statuses() == ["exploding"] * len(g)
    assert p.bands() == ["exploding"] * len(g)
    img = st.screenshot()
    h, w = img.shape[:2]
    for i in range(len(g)):
        np.testing.assert_array_equal(p.poly_rgba[2 + i, :3], rgba_u8(THEMES["dark"].explode)[:3])
        x = int(p._bar_x(i).mean() * w)
        y = int((1 - 0.5 * (p.ay[0] + float(p.bar_tops()[i]))) * h)
        r, gg, b = img[y, x].astype(int)
        assert r > gg + 100 and r > b + 100, (i, r, gg, b)
    assert p.limit_key.GetInput() == "‖∇W‖ >4e3 red <2e-4 blue"     # 40/0.01, ε·20/0.01
    # a layer below lo: blue whatever its ratio; the rest inside: their ratio colours
    h2 = np.array([1e-5, 1.0, 1.0, 1.0])
    p2 = GradientPanel(st.plotter.renderers[0], list("abcd"), limits=GradientLimits(1e-4, 1e3))
    p2.update(h2[None])
    assert p2.statuses() == ["vanishing", "", "", ""]
    np.testing.assert_array_equal(p2.poly_rgba[2, :3], rgba_u8(THEMES["dark"].vanish)[:3])
    np.testing.assert_array_equal(p2.poly_rgba[3:6, :3],
                                  np.tile(rgba_u8(THEMES["dark"].healthy)[:3], (3, 1)))
    # the limit lines: lo (1e-4) on the axis, hi (1e3) at its top edge
    n = len(p2._line_pts) // 2
    assert p2._line_pts[2 * (n - 2), 1] == pytest.approx(float(p2.y_of(-4)))
    assert p2._line_pts[2 * (n - 1), 1] == pytest.approx(float(p2.y_of(3)))
    st.close()
    # the View: the selected group's band, from the surface's own weights
    from landscape.surface._surface import Surface

    a, b, loss, acc = bowl
    theta, d1, d2 = (np.full(9, x, np.float32) for x in (2.0, 0.5, 0.25))
    surf = Surface(alphas=a, betas=b, loss=loss, accuracy=acc, theta=theta, d1=d1, d2=d2, spec={},
                   layout=None, x_eval=None, y_eval=None, bn_stats=None, meta={})
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    v.set_surface(surf)
    v.set_balls(GROUPS, [0, 1], LAYERS)
    span = 2.0 * max(0.5, 0.25) * 3.0          # a ∈ [-1, 1], ‖d1‖ = 0.5·√9
    for k, grp in enumerate(GROUPS):
        want = GradientLimits.for_sgd(grp["lr"], 6.0, span)       # ‖θ‖ = 2·√9
        assert theta_norm(surf) == pytest.approx(6.0) and plane_span(surf) == pytest.approx(span)
        assert v.gradient_limits(k) == want
    v.update(Frame(step=0, positions=np.zeros((2, 2), np.float32),
                   heights=np.ones(2, np.float32), batch_loss=np.ones(2, np.float32),
                   grad_norms=np.full((2, 4), 1e6, np.float32), escaped=np.zeros(2, bool),
                   settled=np.zeros(2, bool)))
    assert v.panel.limits == v.gradient_limits(v.selected)
    assert v.panel.statuses() == ["exploding"] * 4     # 1e6 > span / lr = 30 or 300
    # bare arrays: only the float32 bounds
    v2 = Stage(1, size=SIZE, off_screen=True)
    w = v2.view(0)
    w.set_surface(bowl)
    w.set_balls(GROUPS, [0, 1], LAYERS)
    assert w.gradient_limits(0) == GradientLimits()
    v2.close()
    st.close()


def test_theta_star_in_a_pit_narrower_than_a_cell_gets_a_pin():
    """θ* hidden under the surface (a one-cell pit with walls at the top of the scale, as the
    N(0, 1) network of scenes/initialization.py has) gets a pin up through the surface; a
    smooth bowl, where θ* is in view, does not."""
    from landscape.render._meshes import pin_top

    a = np.linspace(-1, 1, 21)
    A, B = np.meshgrid(a, a, indexing="ij")
    bowl_z = A ** 2 + B ** 2
    assert pin_top(bowl_z, A, B, 0.0, 2.0) is None
    pit = np.full_like(A, 2.0)
    pit[10, 10] = 0.1
    top = pin_top(pit, A, B, 0.1, 2.0)
    assert top is not None and top > 2.0
    st = Stage(1, size=SIZE, off_screen=True)
    v = st.view(0)
    loss = np.full((21, 21), 1e13)
    loss[10, 10] = 2.3
    v.set_surface((a.astype(np.float32), a.astype(np.float32), loss.astype(np.float32),
                   np.full((21, 21), 0.1, np.float32)), log_scale=True)
    assert v.surface_layer.theta_pin is not None
    assert "theta_pin" in v._surface_actors
    assert v._surface_actors["theta_label"].GetInput() == "θ*  loss 2.3"
    st.close()
