"""The page carries the video's whole picture (issue 22), checked in headless Chromium on
scenes/initialization.py at tiny quality: every view's per-layer gradient panel is on screen and
its bars follow the time slider with the values, colours and words computed here from the
trajectory's own per-layer gradient norms (independently of the page's code); the N(0, 1) view's
bars are the exploding colour, as `gradient_status` says; trails, census labels, legend lines and
θ*'s pin are drawn; no network request, no console error.

Chromium is a test requirement (`.ci/run` installs it): without it these tests skip locally and
fail in CI."""

import io
import json
import os

import numpy as np
import pytest
from browser import Browser, require_chromium

from landscape.exports._content import from_computed
from landscape.exports._page import render_page
from landscape.picture import (
    THEMES,
    GradientLimits,
    census_label,
    gradient_status,
    legend_parts,
    plane_span,
    theta_norm,
)

require_chromium()

SIZE = (1280, 720)
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def scene():
    """scenes/initialization.py computed at tiny quality, its export content and its page."""
    import landscape as ls

    c = ls.compute(ls.load_scene(os.path.join(ROOT, "scenes", "initialization.py"),
                                 quality="tiny"), progress=False)
    return from_computed(c)


@pytest.fixture(scope="module")
def page(scene, tmp_path_factory):
    out = tmp_path_factory.mktemp("panel") / "initialization.html"
    out.write_text(render_page(scene, theme="dark"), encoding="utf-8")
    return str(out)


def expected_bars(view, k: int, group: int = 0):
    """The bars at time step ``k`` from the trajectory alone: log10 of the mean norm over the
    group's balls, min and max, and the honest colour (`Theme.gradient_colors` under the
    group's `GradientLimits`), written out here rather than taken from the page's module."""
    tr = view.trajectory
    f = int(view.frames[k])
    g = np.asarray(tr.grad_norms[f], np.float64)[np.asarray(tr.group) == group]
    assert np.isfinite(g).all() and (g > 0).all()
    mean = np.log10(g.mean(0))
    lim = GradientLimits.for_sgd(tr.groups[group]["lr"], theta_norm(view.surface),
                                 plane_span(view.surface))
    rgb = THEMES["dark"].gradient_colors(mean, lim, log10=True)
    return mean, np.log10(g.min(0)), np.log10(g.max(0)), np.round(rgb * 255).astype(int), lim


def panel_bars(b, i: int):
    return b.evaluate(f"""Array.from(document.querySelectorAll('#view{i}-panel rect.bar')).map(
        r => [r.dataset.layer, parseFloat(r.dataset.log10), r.dataset.says,
              r.getAttribute('fill'), parseFloat(r.getAttribute('y')),
              parseFloat(r.getAttribute('height'))])""")


def fill_rgb(fill: str) -> list[int]:
    return [int(v) for v in fill[fill.index("(") + 1:fill.index(")")].split(",")]


def slide(b, k: int) -> None:
    """Move the time slider to ``k`` as a user would (its ``input`` event), and wait for the
    page to have drawn that step."""
    b.evaluate(f"(() => {{ const t = document.getElementById('time'); t.value = '{k}';"
               "t.dispatchEvent(new Event('input')); return true; })()")
    b.wait_for(f"document.documentElement.dataset.frame === '{k}' && "
               f"document.getElementById('view0-panel').dataset.frame !== undefined", timeout=60)
    # the panel is drawn at once; the 3D scene's restyle is asynchronous: wait for it
    assert b.evaluate(f"landscape.show({k})") == k


def no_remote_requests(b) -> None:
    remote = b.evaluate("performance.getEntries().map(e => e.name)"
                        ".filter(n => /^(https?|wss?):/.test(n))")
    assert remote == []
    assert b.evaluate("document.querySelectorAll('script[src], link[href], img[src]')"
                      ".length") == 0


def pixels(png: bytes) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(io.BytesIO(png)))[..., :3].astype(int)


def test_panel_is_on_screen_and_its_bars_follow_the_slider(scene, page):
    last = scene.n_steps - 1
    with Browser() as b:
        b.open("file://" + page, size=SIZE)
        b.wait_for("window.landscapeReady", timeout=180)
        for i, view in enumerate(scene.views):
            box = b.evaluate(f"(r => [r.left, r.top, r.right, r.bottom])(document.getElementById("
                             f"'view{i}-panel').getBoundingClientRect())")
            # the whole panel inside the window at 1280×720, above the sticky controls
            controls = b.evaluate("document.querySelector('.controls').getBoundingClientRect()"
                                  ".top")
            assert box[0] >= 0 and box[2] <= SIZE[0] and box[1] >= 0 and box[3] <= controls, box
        seen = {}
        for k in (0, last):
            slide(b, k)
            for i, view in enumerate(scene.views):
                bars = panel_bars(b, i)
                mean, lo, hi, rgb, lim = expected_bars(view, k)
                assert [x[0] for x in bars] == list(view.trajectory.layers)
                np.testing.assert_allclose([x[1] for x in bars], mean, atol=2e-4)
                # colours exactly as Python computed them (±1 for the byte rounding)
                np.testing.assert_allclose([fill_rgb(x[3]) for x in bars], rgb, atol=1)
                seen[i, k] = np.array([x[4] for x in bars])
        moved = [i for i in range(len(scene.views)) if not np.allclose(seen[i, 0], seen[i, last])]
        # Xavier's and He's balls roll and their gradients shrink: the bars move with the slider
        assert {1, 2} <= set(moved), moved
        no_remote_requests(b)
        assert b.console_errors() == []


def test_n01_view_bars_are_exploding_as_gradient_status_says(scene, page):
    view = scene.views[0]
    t = THEMES["dark"]
    explode = np.round(np.asarray(t.explode) * 255).astype(int)
    with Browser() as b:
        b.open("file://" + page, size=SIZE)
        b.wait_for("window.landscapeReady", timeout=180)
        for k in (0, scene.n_steps // 2):
            slide(b, k)
            mean, _, _, _, lim = expected_bars(view, k)
            assert list(gradient_status(10.0 ** mean, lim)) == ["exploding"] * len(mean)
            bars = panel_bars(b, 0)
            assert [x[2] for x in bars] == ["exploding"] * len(mean)
            for x in bars:
                np.testing.assert_allclose(fill_rgb(x[3]), explode, atol=1)
        # and on the screen: the N(0, 1) panel's bars are that red, the He panel has none of it
        img = pixels(b.screenshot())

        def share(i):
            r = b.evaluate(f"(r => [r.left, r.top, r.width, r.height])(document.getElementById("
                           f"'view{i}-panel').getBoundingClientRect())")
            x, y, w, h = (int(round(v)) for v in r)
            sub = img[y:y + h, x:x + w]
            return float((np.abs(sub - explode).sum(-1) < 40).mean())

        assert share(0) > 0.03 and share(2) < 0.005, (share(0), share(2))
        key = b.evaluate("document.querySelector('#view0-panel text.key').textContent")
        assert "‖∇W‖ >" in key and "red" in key
        assert b.console_errors() == []


def test_trails_census_and_legend_follow_the_step(scene, page):
    he = scene.views[2]
    tr = he.trajectory
    last = scene.n_steps - 1
    with Browser() as b:
        b.open("file://" + page, size=SIZE)
        b.wait_for("window.landscapeReady", timeout=180)
        k = max(3, scene.n_steps // 3)
        slide(b, k)
        trail = b.evaluate("""(gd => { const t = gd.data.filter(d => d.mode === 'lines'
            && d.legendgroup === 'g0')[0]; return [Array.from(t.x), Array.from(t.y),
            Array.from(t.line.color)]; })(document.getElementById('view2'))""")
        x, y, colors = trail
        # one polyline per ball, NaN between them: the ball's positions at the last steps
        breaks = [m for m, v in enumerate(x) if v is None]
        assert len(breaks) == tr.n_balls
        seg = x[:breaks[0]]
        assert len(seg) >= 2
        f = int(he.frames[k])
        a0, a1, _, _ = he.surface.span
        m = 0.02 * (a1 - a0)
        assert seg[-1] == pytest.approx(float(np.clip(tr.positions[f, 0, 0], a0 - m, a1 + m)),
                                        abs=1e-4 * (a1 - a0))
        # fading: the oldest point darker than the newest
        first, newest = (sum(fill_rgb(c)) for c in (colors[0], colors[breaks[0] - 1]))
        assert first < newest
        # the legend line says what the video's HUD says at this frame
        text = b.evaluate("document.querySelector('#view2-hud .group').textContent")
        esc, st = tr.escaped[f], tr.settled[f]
        live = ~esc
        h = np.asarray(tr.heights[f], np.float64)
        mean = float(h[live].mean()) if live.any() else np.inf
        want = "   ".join(legend_parts(tr.groups[0], 0, mean, tr.n_balls,
                                       int((st & live).sum()), int(esc.sum())))
        assert text.startswith(want), (text, want)
        # the census labels at the last step are the trajectory's census
        slide(b, last)
        notes = b.evaluate("document.getElementById('view2').layout.scene.annotations"
                           ".map(a => a.text)")
        want = [census_label(c) for c in tr.census][:2]
        assert [n for n in notes if "of balls" in n] == want
        assert b.console_errors() == []


def test_theta_star_pin_in_the_n01_view(scene, page):
    """The N(0, 1) network's θ* hides in a pit one cell wide: the page draws the video's pin up
    through the surface, labelled with its loss above the relief."""
    text = open(page, encoding="utf-8").read()
    data = json.loads(text.split('id="landscape-data">', 1)[1].split("</script>", 1)[0])
    fig = data["views"][0]["figure"]
    pin = [t for t in fig["data"] if t.get("name", "").startswith("θ*")][0]
    assert pin["mode"].startswith("lines")
    notes = fig["layout"]["scene"]["annotations"]
    assert any("θ*  loss" in n["text"] for n in notes)
    z = pin["z"]
    assert z[1] > scene.views[0].scale.z_top and z[1] <= fig["layout"]["scene"]["zaxis"]["range"][1]


def test_page_stays_small(scene, page):
    """Thin what the eye cannot see: the N(0, 1) view's balls all escape at once, so its ball
    frames are stored once each while nothing moves; everything but plotly.js stays small (at
    medium quality the whole file is 6.0 MB: docs/DEVELOPING.md)."""
    from plotly.offline import get_plotlyjs

    text = open(page, encoding="utf-8").read()
    data = json.loads(text.split('id="landscape-data">', 1)[1].split("</script>", 1)[0])
    n01 = data["views"][0]["balls"]
    tr = scene.views[0].trajectory
    stored = np.unique(scene.views[0].frames)
    still = ~(np.abs(np.diff(tr.positions[stored], axis=0)).max((1, 2)) > 0)
    assert still.any()
    # a frame where no ball moved and no flag changed shares its predecessor's arrays
    assert max(n01["bmap"]) + 1 < len(stored) and np.all(np.diff(n01["bmap"]) >= 0)
    rest = len(text.encode()) - len(get_plotlyjs().encode())
    assert rest < 1_000_000, rest
