"""`landscape plot`: contour levels chosen for the data (log-spaced across decades), the files'
contents (the PDF rendered to pixels, the levels as text in the SVG, the PNG's size and
colours), the line's values against an independent numpy computation of the network, no pyplot
state, and one-line errors for bad input."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from cli_errors import one_line_error
from numpy_reader import numpy_point_loss
from sample_files import make_files

from landscape.figures._contour import contour_levels, decades
from landscape.figures._line import line_points, line_values
from landscape.figures._plot import plot
from landscape.picture._scale import format_loss, make_scale


@pytest.fixture(scope="module")
def files(mlp_task, tmp_path_factory):
    return make_files(mlp_task, str(tmp_path_factory.mktemp("figures")))


@pytest.fixture(scope="module")
def decades_surface(files, tmp_path_factory):
    """The sample surface with its loss replaced by a bowl spanning five decades."""
    from landscape.surface._surface import Surface

    s = Surface.load(files.surface_path)
    A, B = np.meshgrid(s.alphas, s.betas, indexing="ij")
    s.loss = (10.0 ** (-3 + 5 * (A ** 2 + B ** 2) / 2)).astype(np.float32)
    path = str(tmp_path_factory.mktemp("decades") / "decades.npz")
    s.save(path)
    return path


def png_pixels(path):
    import imageio.v3 as iio

    return np.asarray(iio.imread(path))[..., :3].astype(int)


def viridis_share(img, t):
    from matplotlib import colormaps

    c = np.array(colormaps["viridis"](t)[:3]) * 255
    return float((np.linalg.norm(img.reshape(-1, 3) - c, axis=1) < 25).mean())


# ------------------------------------------------------------------ levels


def test_levels_are_log_spaced_across_decades():
    a = np.linspace(-1, 1, 41)
    A, B = np.meshgrid(a, a, indexing="ij")
    loss = 10.0 ** (-3 + 5 * (A ** 2 + B ** 2) / 2)          # 1e-3 ... 1e2
    levels, log = contour_levels(loss)
    assert log
    assert levels.min() > loss.min() and levels.max() < loss.max()
    mantissa = levels / 10.0 ** np.floor(np.log10(levels) + 1e-9)
    assert set(np.round(mantissa, 6)) <= {1.0, 3.0}          # five decades: 1 and 3 × 10^k
    assert list(decades(levels)) == pytest.approx([1e-2, 1e-1, 1, 10])
    ratios = levels[1:] / levels[:-1]
    assert np.all((ratios > 2.9) & (ratios < 3.5))          # even steps of the logarithm


def test_levels_follow_the_renderers_rule():
    a = np.linspace(-1, 1, 31)
    A, B = np.meshgrid(a, a, indexing="ij")
    for top, want_log in ((10 ** 2.9, False), (10 ** 3.1, True)):
        loss = 1.0 + (top - 1.0) * (A ** 2 + B ** 2) / 2
        levels, log = contour_levels(loss)
        assert log == want_log == make_scale(loss, 1.0, None).log
    levels, log = contour_levels(1.0 + A ** 2 + B ** 2)     # 1 ... 3: even round steps
    assert not log and np.allclose(np.diff(levels), np.diff(levels)[0])
    assert np.allclose(levels / np.diff(levels)[0], np.round(levels / np.diff(levels)[0]))
    assert 6 <= len(levels) <= 13
    # a forced log scale: 1-2-5 steps where there is room for them, round numbers otherwise
    levels, log = contour_levels(1.0 + 99 * (A ** 2 + B ** 2) / 2, log_scale=True)
    assert log and set(np.round(levels / 10.0 ** np.floor(np.log10(levels)), 6)) <= {1, 2, 5}
    levels, log = contour_levels(1.0 + A ** 2 + B ** 2, log_scale=True)
    assert log and len(levels) >= 4 and np.allclose(levels * 10, np.round(levels * 10))


# ------------------------------------------------------------------ files


def test_svg_holds_the_contour_levels_as_text(decades_surface, tmp_path):
    out = str(tmp_path / "c.svg")
    fig = plot(decades_surface, out, kind="contour")
    assert fig.get_size_inches() == pytest.approx((3.3, 3.3 * 0.9))
    tree = ET.parse(out)
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()).strip() for t in tree.iter(f"{ns}text")]
    from landscape.surface._surface import Surface

    levels, log = contour_levels(Surface.load(decades_surface).loss)
    assert log
    labels = [format_loss(v) for v in decades(levels)]
    for lab in labels:                     # the colour bar's ticks and the lines' labels
        assert texts.count(lab) >= 1, (lab, texts)
    ids = {e.get("id") for e in tree.iter() if e.get("id")}
    assert {"loss-contour-lines", "loss-filled-contours", "theta-star"} <= ids
    lines = next(e for e in tree.iter() if e.get("id") == "loss-contour-lines")
    assert len(list(lines.iter(f"{ns}path"))) >= len(levels) - 2


def test_pdf_renders_to_the_colour_map(files, tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            raise RuntimeError("pdftoppm is missing in CI: .ci/run must install poppler-utils")
        pytest.skip("no pdftoppm")
    out = str(tmp_path / "c.pdf")
    plot(files.surface_path, out, kind="contour", trajectory=files.trajectory_path)
    assert open(out, "rb").read(5) == b"%PDF-"
    subprocess.run(["pdftoppm", "-png", "-r", "100", out, str(tmp_path / "page")], check=True)
    (png,) = [p for p in os.listdir(tmp_path) if p.startswith("page")]
    img = png_pixels(str(tmp_path / png))
    assert img.shape[1] == pytest.approx(330, abs=2)        # 3.3 in at 100 dpi
    assert img.std() > 30
    assert viridis_share(img, 0.0) + viridis_share(img, 0.1) > 0.01
    fonts = subprocess.run(["pdffonts", out], capture_output=True, text=True).stdout \
        if shutil.which("pdffonts") else "TrueType"
    assert "Type 3" not in fonts


def test_png_size_theme_and_colours(files, tmp_path):
    light, dark = str(tmp_path / "l.png"), str(tmp_path / "d.png")
    plot(files.surface_path, light, kind="surface", trajectory=files.trajectory_path)
    plot(files.surface_path, dark, kind="surface", theme="dark", width=5)
    a, b = png_pixels(light), png_pixels(dark)
    assert abs(a.shape[0] - 3.3 * 0.82 * 300) <= 1 and a.shape[1] == round(3.3 * 300)
    assert b.shape[1] == 5 * 300
    assert np.all(a[2, 2] > 245) and np.allclose(b[2, 2], [0x15, 0x1a, 0x23], atol=2)
    for img in (a, b):
        assert sum(viridis_share(img, t) for t in (0.0, 0.15, 0.3)) > 0.005


def test_line_is_exact_between_grid_points(files):
    s = files.surface
    ab, x, label = line_points(s, "a")
    loss, acc, method = line_values(s, ab)
    assert method == "exact" and "b = 0" in label
    # at the grid's own points the line is the grid's centre row ...
    j = int(np.argmin(np.abs(s.betas)))
    if abs(s.betas[j]) < 1e-7:
        on_grid = np.isin(np.round(x, 5), np.round(s.alphas, 5))
        assert on_grid.sum() >= 3
        ia = [int(np.argmin(np.abs(s.alphas - v))) for v in x[on_grid]]
        assert np.allclose(loss[on_grid], s.loss[ia, j], rtol=2e-5, atol=1e-6)
    # ... and between them the network itself, computed here with numpy alone
    k = np.argmin(np.abs(x - 0.37))
    want = numpy_point_loss(files.surface_path, ab[k, 0], ab[k, 1])
    assert loss[k] == pytest.approx(want, rel=1e-4)
    li, _, m2 = line_values(s, ab, exact=False)
    assert m2 == "interpolated" and np.allclose(li, s.interpolate(ab))


def test_line_between_two_points_through_theta(files, tmp_path):
    out = str(tmp_path / "l.svg")
    fig = plot(files.surface_path, out, kind="line", start=(-1, -1), end=(1, 1))
    assert fig.line_values == "exact"
    png = fig._repr_png_()                   # what a notebook shows, without pyplot
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    text = open(out).read()
    assert "θ*" in text and "accuracy" in text and 'id="loss-line"' in text


def test_no_pyplot_state():
    code = ("import sys, numpy as np\n"
            "from landscape.figures import plot\n"
            "from landscape.surface import Surface\n"
            "z = np.zeros(3, np.float32)\n"
            "s = Surface(alphas=np.linspace(-1,1,9,dtype=np.float32),"
            " betas=np.linspace(-1,1,7,dtype=np.float32),"
            " loss=np.ones((9,7),np.float32)+np.arange(63,dtype=np.float32).reshape(9,7)/9,"
            " accuracy=np.ones((9,7),np.float32), theta=z, d1=z, d2=z, spec={}, layout=None,"
            " x_eval=np.zeros((1,2),np.float32), y_eval=np.zeros(1,np.int32),"
            " bn_stats=np.zeros((0,2,0),np.float32), meta={})\n"
            "for k in ('contour', 'surface'):\n"
            "    plot(s, kind=k)\n"
            "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'clean')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert r.stdout.strip().endswith("clean"), r.stderr


# ------------------------------------------------------------------ bad input


def test_bad_input_is_one_line(files, tmp_path, capsys):
    s, t, o = files.surface_path, files.trajectory_path, files.other_trajectory_path
    d = tmp_path
    assert ".pdf" in one_line_error(capsys, d, "plot", s, "-o", d / "f.jpg")
    assert "trajectory file" in one_line_error(capsys, d, "plot", t, "-o", d / "f.pdf")
    assert "not a trajectory" in one_line_error(capsys, d, "plot", s, "--trajectory", s,
                                                "-o", d / "f.pdf")
    assert "not simulated on" in one_line_error(capsys, d, "plot", s, "--trajectory", o,
                                                "-o", d / "f.pdf")
    assert "does not exist" in one_line_error(capsys, d, "plot", s, "-o", d / "no" / "f.pdf")
    one_line_error(capsys, d, "plot", s, "-o", "/proc/landscape-test.pdf")
    one_line_error(capsys, d, "plot", s, "--kind", "pie", "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--kind", "line", "--from", "0,0", "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--kind", "line", "--from", "0,0", "--to", "0,0",
                   "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--along", "b", "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--kind", "line", "--trajectory", t, "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--width", "0.1", "-o", d / "f.pdf")
    one_line_error(capsys, d, "plot", s, "--theme", "neon", "-o", d / "f.pdf")
