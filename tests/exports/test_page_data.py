"""The data behind the page's panel, legend and trails (`landscape.exports._overlays`), checked
against independent computations and against the video's own panel: the page and the video
must not disagree about a single bar."""

import numpy as np
import pytest

from landscape.exports import _overlays as overlays
from landscape.picture import THEMES, GradientLimits, gradient_status


def test_panel_values_against_a_loop():
    """Bars per frame: log10 of the mean finite norm, min–max whiskers of the positive ones, ∞
    (red, full height) where any ball overflowed, zeros at the floor; the axis only widens,
    by whole decades, from 1e-6…1e3."""
    rng = np.random.default_rng(0)
    F, n, L = 5, 4, 3
    g = 10.0 ** rng.uniform(-3, 1, (F, n, L))
    g[2, 1, 0] = np.inf                  # one ball overflowed in layer 0 at frame 2
    g[3, :, 1] = 0.0                     # a dead layer at frame 3
    g[4, 0, 2] = 1e8                     # a whisker far above the first axis
    lim = GradientLimits(1e-4, 1e6)
    v = overlays.panel_values(g, lim, "dark")
    t = THEMES["dark"]
    for f in range(F):
        for layer in range(L):
            x = g[f, :, layer]
            fin = x[np.isfinite(x)]
            pos = fin[fin > 0]
            with np.errstate(divide="ignore"):
                want = np.log10(fin.mean()) if fin.size else np.nan
            assert v["mean"][f, layer] == pytest.approx(want, nan_ok=True)
            if pos.size:
                assert v["lo"][f, layer] == pytest.approx(np.log10(pos.min()))
                assert v["hi"][f, layer] == pytest.approx(np.log10(pos.max()))
            assert v["over"][f, layer] == (not np.isfinite(x).all())
    assert v["over"][2, 0] and overlays.SAYS[v["says"][2, 0]] == "overflow"
    np.testing.assert_allclose(v["rgb"][2, 0], t.explode)
    # the dead layer: mean log10(0) = -inf, below lo: vanishing, blue
    assert v["mean"][3, 1] == -np.inf and overlays.SAYS[v["says"][3, 1]] == "vanishing"
    np.testing.assert_allclose(v["rgb"][3, 1], t.vanish)
    # the axis: starts at the video's 1e-6…1e3, widens to 1e8 at frame 4, never narrows
    assert list(v["y_lo"]) == [-6] * F and list(v["y_hi"]) == [3, 3, 3, 3, 8]
    assert np.all(np.diff(v["s_hi"]) >= 0) and np.all(np.diff(v["s_lo"]) <= 0)


def test_exploding_norms_are_red_whatever_the_ratio():
    """N(0, 1)-like norms, all ~1e24 (balanced ratios): every bar exploding, red — the colour
    the page ships is `Theme.gradient_colors` under the group's limits, bar for bar."""
    g = np.full((2, 3, 4), 1e24) * np.array([1.0, 2.0, 0.5, 1.0])
    lim = GradientLimits.for_sgd(0.01, 30.0, 3.0)
    v = overlays.panel_values(g, lim, "light")
    assert (gradient_status(10.0 ** v["mean"], lim) == "exploding").all()
    assert {overlays.SAYS[c] for c in v["says"].ravel()} == {"exploding"}
    np.testing.assert_allclose(v["rgb"], np.broadcast_to(THEMES["light"].explode, (2, 4, 3)))


def test_the_page_and_the_video_panel_agree():
    """The video's `GradientPanel` fed the same balls draws the same bars (values, whiskers,
    colours, words) as the page's data says."""
    vtk = pytest.importorskip("vtk")
    from landscape.render.panels._gradients import GradientPanel

    rng = np.random.default_rng(1)
    g = 10.0 ** rng.uniform(-5, 2, (3, 6, 5))
    g[1, 2, 4] = np.inf
    g[2] *= 1e12
    lim = GradientLimits(1e-6, 1e4)
    v = overlays.panel_values(g, lim, "dark")
    panel = GradientPanel(vtk.vtkRenderer(), [f"dense_{i}" for i in range(5)], theme="dark",
                          limits=lim)
    for f in range(3):
        panel.update(g[f])
        mean, lo, hi = panel.values
        np.testing.assert_allclose(mean, v["mean"][f])
        np.testing.assert_allclose(lo, v["lo"][f])
        np.testing.assert_allclose(hi, v["hi"][f])
        np.testing.assert_array_equal(panel.overflow, v["over"][f])
        # the video's bar colours (RGBA bytes) are the page's, to the byte
        want = np.round(np.clip(v["rgb"][f], 0, 1) * 255)
        np.testing.assert_allclose(panel.poly_rgba[2:, :3], want, atol=1)
        assert panel.bands() == [overlays.SAYS[c] for c in v["says"][f]]
        assert (panel.y_lo, panel.y_hi) == (v["y_lo"][f], v["y_hi"][f])


def test_trail_spans_the_videos_time():
    class _T:
        n_balls = 100

    class _V:
        trajectory = _T()
        trail_seconds = 20 / 30          # the video: 20 frames at 30 fps

    # 240 steps over 10 s: 24 steps a second, 16 of them in 2/3 s
    assert overlays.trail_steps(_V(), 240, 10.0) == 16
    _V.trail_seconds = 0.0
    assert overlays.trail_steps(_V(), 240, 10.0) == 2     # at least a segment
