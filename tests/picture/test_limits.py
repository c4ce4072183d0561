"""The honest-colour rule of the gradient bars (`landscape.picture._limits`): the ratio bands
apply only inside an absolute band of per-layer gradient norms; outside it a bar reads
exploding or vanishing whatever its ratio; an overflowed norm reads overflow."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from landscape.measures import classify
from landscape.picture import (
    F32_EPS,
    F32_SQRT_MAX,
    THEMES,
    UNDEFINED,
    GradientLimits,
    gradient_status,
    plane_span,
    theta_norm,
)

DRYRUN = os.path.join(os.path.dirname(__file__), "..", "data", "dryrun")


def _recorded(scene):
    with open(os.path.join(DRYRUN, f"{scene}.json")) as f:
        return json.load(f)["landscapes"]


def test_the_float32_constants_are_what_the_docs_say():
    assert F32_EPS == 2.0 ** -23
    assert F32_SQRT_MAX == pytest.approx(1.8446742e19, rel=1e-6)
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(F32_SQRT_MAX * 1.001) ** 2)   # the square overflows float32
    assert np.isfinite(np.float32(F32_SQRT_MAX * 0.999) ** 2)


def test_limits_for_sgd_from_the_step_and_float32():
    lim = GradientLimits.for_sgd(lr=0.01, theta_norm=20.0, plane_span=40.0)
    assert lim.hi == pytest.approx(40.0 / 0.01)              # one step crosses the plane
    assert lim.lo == pytest.approx(2.0 ** -23 * 20.0 / 0.01)  # one step below float32's resolution
    # what is unknown drops its bound: float32 only
    assert GradientLimits.for_sgd() == GradientLimits(0.0, F32_SQRT_MAX)
    assert GradientLimits.for_sgd(0.01) == GradientLimits(0.0, F32_SQRT_MAX)
    assert GradientLimits.for_sgd(0.01, theta_norm=20.0).hi == F32_SQRT_MAX
    assert GradientLimits.for_sgd(0.01, plane_span=40.0).lo == 0.0
    for bad in (0.0, -1.0, np.nan, np.inf, "x"):
        assert GradientLimits.for_sgd(bad, 20.0, 40.0) == GradientLimits()
    # the span bound never exceeds float32's
    assert GradientLimits.for_sgd(1e-30, 1.0, 1.0).hi == F32_SQRT_MAX
    with pytest.raises(ValueError):
        GradientLimits(1.0, 1.0)
    with pytest.raises(ValueError):
        GradientLimits(-1.0, 1.0)


def test_status_at_the_band_edges_and_on_inf_nan_zero():
    lim = GradientLimits(1e-3, 1e3)
    lo, hi = lim.lo, lim.hi
    g = np.array([np.nextafter(lo, 0), lo, 1.0, hi, np.nextafter(hi, np.inf), np.inf, -np.inf,
                  np.nan, 0.0])
    assert list(gradient_status(g, lim)) == ["vanishing", "", "", "", "exploding", "overflow",
                                             "overflow", "overflow", "vanishing"]
    # with lo = 0 a zero norm is left to the ratio (a dead layer reads vanishing by its ratio)
    assert list(gradient_status([0.0, 1e25, 1e19], None)) == ["", "exploding", ""]
    assert gradient_status(np.ones((3, 2, 4)), lim).shape == (3, 2, 4)


@pytest.mark.parametrize("theme", list(THEMES))
def test_colours_inside_the_band_are_the_ratio_colours_exactly(theme):
    t = THEMES[theme]
    rng = np.random.default_rng(0)
    lim = GradientLimits(1e-6, 1e6)
    g = 10.0 ** rng.uniform(-5, 5, (50, 7))
    with np.errstate(divide="ignore"):
        lg = np.log10(g)
    np.testing.assert_array_equal(t.gradient_colors(g, lim), t.flow_colors(lg - lg[:, -1:]))
    # and the float32-only default leaves every finite norm below 1.8e19 to the ratio
    np.testing.assert_array_equal(t.gradient_colors(g), t.flow_colors(lg - lg[:, -1:]))
    # zero and undefined keep theirs: a zero bar is blue, a zero output layer makes ratios grey
    c = t.gradient_colors([0.0, 1.0, 1.0], GradientLimits(0.0, 1e6))
    np.testing.assert_allclose(c[0], t.vanish)
    np.testing.assert_allclose(c[1], t.healthy)
    c = t.gradient_colors([1.0, 0.0], GradientLimits(0.0, 1e6))   # a zero output layer
    np.testing.assert_allclose(c[1], UNDEFINED)


@pytest.mark.parametrize("theme", list(THEMES))
def test_colours_outside_the_band_whatever_the_ratio(theme):
    t = THEMES[theme]
    lim = GradientLimits(1e-3, 1e3)
    # every layer 1e5 (ratio 1: green by the ratio alone), one 1e-4, one overflowed
    g = np.array([1e5, 1e-4, np.inf, np.nan, 1e5])
    c = t.gradient_colors(g, lim)
    for i in (0, 2, 3, 4):
        np.testing.assert_allclose(c[i], t.explode)
    np.testing.assert_allclose(c[1], t.vanish)
    # the overflow mask decides where given; a NaN outside it is unknown (grey, no ratio)
    c = t.gradient_colors(np.array([np.nan, 1.0, 1.0]), lim, overflow=[False, False, False])
    np.testing.assert_allclose(c[0], UNDEFINED)
    np.testing.assert_allclose(c[1], t.healthy)
    c = t.gradient_colors(np.array([1.0, 1.0, 1.0]), lim, overflow=[True, False, False])
    np.testing.assert_allclose(c[0], t.explode)
    np.testing.assert_allclose(c[1:], [t.healthy, t.healthy])


def test_recorded_n01_initialization_is_exploding_for_any_learning_rate():
    """The recorded dry run of scenes/initialization.py: under N(0, 1) weights every layer's
    norm is near 1e24–1e26, all within a factor of 40 of the output layer's (the ratio alone
    says balanced or growing, i.e. green-ish), yet above √(float32 max): red whatever lr, ‖θ‖
    and the plane are. Xavier and He stay inside the float32 band, coloured by their ratio."""
    n01, xavier, he = _recorded("initialization")
    g = np.array(n01["groups"][0]["grad_norms_start"])
    assert (g > 1e24).all()
    assert set(classify(g)) <= {"balanced", "growing", "exploding", "fading"}
    t = THEMES["dark"]
    assert np.allclose(t.flow_colors(np.log10(g / g[-1]))[-1], t.healthy)   # what it was
    for lim in (GradientLimits(), GradientLimits.for_sgd(0.01, 1.0, 1.0),
                GradientLimits.for_sgd(0.01, 1e9, 1e12), GradientLimits.for_sgd(1e-12, 1.0, 1e9)):
        assert list(gradient_status(g, lim)) == ["exploding"] * len(g)
        np.testing.assert_allclose(t.gradient_colors(g, lim), np.tile(t.explode, (len(g), 1)))
    for view in (xavier, he):
        h = np.array(view["groups"][0]["grad_norms_start"])
        assert list(gradient_status(h)) == [""] * len(h)


def test_recorded_vanishing_and_exploding_scenes_read_so():
    """The recorded dry runs: scenes/vanishing_gradient.py's first layer gets 1/70 of the output
    layer's gradient (blue), scenes/exploding_gradient.py's 26 times (red); inside the float32
    band the ratio decides (the scenes' own band: `test_real_scenes_under_their_own_band`)."""
    t = THEMES["dark"]
    for scene, first, colour in (("vanishing_gradient", "vanishing", t.vanish),
                                 ("exploding_gradient", "exploding", t.explode)):
        for view in _recorded(scene):
            g = np.array(view["groups"][0]["grad_norms_start"])
            assert list(gradient_status(g)) == [""] * len(g)
            assert classify(g)[0] == first
            np.testing.assert_allclose(THEMES["dark"].gradient_colors(g)[0], colour)


@pytest.mark.parametrize("scene,first", [("initialization", None),
                                         ("vanishing_gradient", "vanishing"),
                                         ("exploding_gradient", "exploding")])
def test_real_scenes_under_their_own_band(scene, first):
    """The scenes computed (quality tiny, 20–45 s each): each view's band from its group's
    learning rate, ‖θ*‖ and the plane's width in weight space, as the video's panel takes it
    (`landscape.render.View.gradient_limits`), on the balls' first-step norms. N(0, 1): every
    layer exploding (norms ~1e25 against hi = span/lr ~3e8); Xavier and He: inside, so today's
    ratio colours; the vanishing and exploding scenes: inside, their first layer blue / red."""
    import landscape as ls

    root = os.path.join(os.path.dirname(__file__), "..", "..", "scenes")
    c = ls.compute(ls.load_scene(os.path.join(root, f"{scene}.py"), quality="tiny"),
                   progress=False)
    t = THEMES["dark"]
    for k, r in enumerate(c.runs):
        s, tr = r.surface, r.trajectory
        grp = tr.groups[0]
        g = np.asarray(tr.grad_norms[0], np.float64)[np.asarray(tr.group) == 0]
        assert np.isfinite(g).all()
        mean = g.mean(0)
        th = float(np.linalg.norm(s.theta.astype(np.float64)))
        a0, a1, b0, b1 = s.span
        span = max((a1 - a0) * np.linalg.norm(s.d1.astype(np.float64)),
                   (b1 - b0) * np.linalg.norm(s.d2.astype(np.float64)))
        lim = GradientLimits.for_sgd(grp["lr"], theta_norm(s), plane_span(s))
        assert (lim.lo, lim.hi) == pytest.approx((F32_EPS * th / grp["lr"], span / grp["lr"]))
        status = list(gradient_status(mean, lim))
        colours = t.gradient_colors(mean, lim)
        if scene == "initialization" and k == 0:                    # N(0, 1)
            assert (mean > 1e20).all() and status == ["exploding"] * len(mean)
            assert not np.isclose(colours, t.healthy).all(-1).any()
            continue
        assert status == [""] * len(mean), (scene, k, lim, mean)
        lg = np.log10(mean)
        np.testing.assert_array_equal(t.gradient_colors(lg, lim, log10=True),
                                      t.flow_colors(lg - lg[-1]))
        np.testing.assert_allclose(colours, t.flow_colors(lg - lg[-1]), atol=1e-12)
        if first is not None:
            assert classify(mean)[0] == first


class _Plane:
    def __init__(self, theta, d1, d2, span):
        self.theta, self.d1, self.d2, self.span = theta, d1, d2, span


def test_plane_span_and_theta_norm_in_weight_space():
    p = _Plane(np.array([3.0, 4.0]), np.array([1.0, 0.0]) * 2, np.array([0.0, 1.0]) * 5,
               (-1.0, 1.0, -0.5, 0.5))
    assert theta_norm(p) == pytest.approx(5.0)
    assert plane_span(p) == pytest.approx(max(2.0 * 2, 1.0 * 5))
    assert plane_span(object()) is None and theta_norm(object()) is None
    assert plane_span((np.zeros(3),)) is None
