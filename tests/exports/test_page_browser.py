"""The exported page in a real browser: headless Chromium (WebGL on SwiftShader) opens it from
file:// with the network off. The surface shows in the colour map's colours, play moves the balls
to exactly where the trajectory ends, hover reads out loss and accuracy, views side by side turn
together, and the console stays free of errors.

Chromium is a test requirement (`.ci/run` installs it): without it these tests skip locally
and fail in CI."""

import io

import numpy as np
import pytest
from browser import Browser, require_chromium
from sample_files import make_files

from landscape.exports._content import Content, from_files
from landscape.exports._export import export
from landscape.exports._page import render_page

require_chromium()

SIZE = (1100, 760)


@pytest.fixture(scope="module")
def files(mlp_task, tmp_path_factory):
    return make_files(mlp_task, str(tmp_path_factory.mktemp("page")))


CENSUS = [{"position": [0.1, -0.2], "loss": 0.5, "accuracy": 0.8, "n_balls": 5, "share": 0.3}]


@pytest.fixture(scope="module")
def page(files, tmp_path_factory):
    """The sample surface and balls, with a census (where balls settled) to label at the end."""
    import copy

    out = str(tmp_path_factory.mktemp("html") / "page.html")
    t = copy.deepcopy(files.trajectory)
    t.census = CENSUS
    export(files.surface, out, trajectory=t)
    return out


def pixels(png: bytes) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(io.BytesIO(png)))[..., :3].astype(int)


def plot_box(b, view="view0"):
    r = b.evaluate(f"(r => [r.left, r.top, r.width, r.height])"
                   f"(document.getElementById('{view}').getBoundingClientRect())")
    return [int(round(v)) for v in r]


def viridis_hits(img: np.ndarray) -> list[float]:
    """For low, middle and high viridis colours: the share of pixels within a small distance
    of a (shaded) version of it."""
    from matplotlib import colormaps

    cm = colormaps["viridis"]
    px = img.reshape(-1, 3).astype(float)
    out = []
    for t in (0.05, 0.5, 0.95):
        c = np.array(cm(t)[:3]) * 255
        best = np.min([np.linalg.norm(px - k * c, axis=1) for k in np.linspace(0.7, 1.4, 8)], 0)
        out.append(float((best < 28).mean()))
    return out


def ball_trace(b, view="view0", group=0):
    return b.evaluate(f"""(gd => {{ const t = gd.data.filter(d => d.legendgroup === 'g{group}'
        && d.mode === 'markers')[0]; return [Array.from(t.x), Array.from(t.y),
        Array.from(t.customdata.map(c => c[0]))]; }})(document.getElementById('{view}'))""")


def test_page_draws_the_surface_offline_without_errors(page):
    with Browser() as b:
        b.open("file://" + page, size=SIZE)
        ready = b.wait_for("window.landscapeReady")
        assert ready > 0
        b.pump(1.0)
        img = pixels(b.screenshot())
        x, y, w, h = plot_box(b)
        plot = img[y:y + h, x:x + w]
        assert plot.std() > 20                                 # not blank
        hits = viridis_hits(plot)
        # the surface's purple and teal; yellow at least in the colour bar
        assert hits[0] > 0.002 and hits[1] > 0.002 and hits[2] > 0.0002, hits
        remote = b.evaluate("performance.getEntries().map(e => e.name)"
                            ".filter(n => /^(https?|wss?):/.test(n))")
        assert remote == []
        assert b.evaluate("document.querySelectorAll('script[src], link[href], img[src]')"
                          ".length") == 0
        assert b.console_errors() == []


def test_play_moves_the_balls_to_where_the_trajectory_ends(page, files):
    t = files.trajectory
    with Browser() as b:
        b.open("file://" + page, size=SIZE)
        b.wait_for("window.landscapeReady")
        b.pump(0.5)
        x, y, w, h = plot_box(b)
        before = pixels(b.screenshot())[y:y + h, x:x + w]
        x0, y0, _ = ball_trace(b)
        labels = ("document.getElementById('view0').layout.scene.annotations"
                  ".map(a => a.text)")
        assert b.evaluate(labels) == []       # the census at step 0: no ball has settled yet
        m = t.group == 0
        assert np.allclose(x0, t.positions[0, m, 0], atol=1e-4)
        b.evaluate("document.getElementById('play').click()")
        b.wait_for("landscape.frame() === landscape.steps - 1 && "
                   "document.getElementById('play').getAttribute('aria-label') === 'play'",
                   timeout=120)
        b.pump(1.0)
        after = pixels(b.screenshot())[y:y + h, x:x + w]
        x1, y1, loss1 = ball_trace(b)
        a0, a1, b0, b1 = files.surface.span
        m2 = 0.02 * (a1 - a0)
        want_x = np.clip(t.positions[-1, m, 0], a0 - m2, a1 + m2)
        want_y = np.clip(t.positions[-1, m, 1], b0 - m2, b1 + m2)
        span = a1 - a0
        assert np.allclose(x1, want_x, atol=1e-4 * span)
        assert np.allclose(y1, want_y, atol=1e-4 * span)
        assert np.allclose(loss1, t.heights[-1, m], rtol=1e-6)
        assert not np.allclose(x0, x1)
        (text,) = b.evaluate(labels)          # the trajectory's census at its last frame
        assert text == "loss 0.5 · acc 80% · 30% of balls", text
        moved = np.abs(after - before).sum(-1) > 60
        assert moved.mean() > 0.001, moved.mean()             # the picture changed
        assert b.console_errors() == []


def test_autoplay_plays_once_on_load(page):
    with Browser() as b:
        b.open("file://" + page + "#autoplay", size=SIZE)
        b.wait_for("document.documentElement.dataset.played === '1'", timeout=120)
        assert b.evaluate("landscape.frame()") == b.evaluate("landscape.steps") - 1
        assert b.console_errors() == []


def test_hover_reads_out_the_surface(page):
    with Browser() as b:
        b.open("file://" + page + "#frame=0", size=SIZE)
        b.wait_for("window.landscapeReady")
        # the surface's hover template, as plotly will fill it
        tmpl = b.evaluate("document.getElementById('view0').data[0].hovertemplate")
        assert "loss" in tmpl and "accuracy" in tmpl and "%{x" in tmpl and "%{y" in tmpl
        x, y, w, h = plot_box(b)
        text = ""
        for fx, fy in ((0.5, 0.55), (0.45, 0.6), (0.55, 0.5), (0.5, 0.65)):
            b.call("Input.dispatchMouseEvent", session=True, type="mouseMoved",
                   x=x + fx * w, y=y + fy * h)
            b.pump(1.5)
            text = b.evaluate("Array.from(document.querySelectorAll('#view0 .hovertext'))"
                              ".map(e => e.textContent).join(' | ')")
            if "loss" in text:
                break
        assert "loss" in text, text
        assert b.console_errors() == []


def test_views_side_by_side_turn_together(files, tmp_path):
    one = from_files(files.surface_path, files.trajectory_path)
    two = from_files(files.other_surface_path, files.other_trajectory_path)
    n = max(one.n_steps, two.n_steps)
    for v in (one.views[0], two.views[0]):       # one timeline: each view holds its last step
        v.frames = np.minimum(np.arange(n), v.frames[-1])
    content = Content("two", "two views", one.views + two.views, [""] * n, 4.0)
    out = tmp_path / "two.html"
    out.write_text(render_page(content, theme="light"), encoding="utf-8")
    with Browser() as b:
        b.open(f"file://{out}", size=SIZE)
        b.wait_for("window.landscapeReady")
        assert b.evaluate("document.querySelectorAll('.plot').length") == 2
        b.evaluate("Plotly.relayout('view0', {'scene.camera.eye': {x: 0.3, y: -1.9, z: 0.8}})"
                   ".then(() => true)")
        b.wait_for("Math.abs(document.getElementById('view1').layout.scene.camera.eye.y + 1.9)"
                   " < 1e-9", timeout=30)
        bg = pixels(b.screenshot())[5, 5]
        assert np.all(bg > 240)                               # the light theme
        assert b.console_errors() == []
