"""The notebook path: the top-level API (`landscape.scene._notebook`), its reprs and fallbacks, the
README's "In a notebook" code run exactly as printed, and the teacher's notebook in
examples/ executed top to bottom in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import landscape as ls
from landscape.errors import LandscapeError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Tiny(ls.Scene):
    """Two groups on two moons, quick."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(8,), train_steps=40, title="tiny")
        sgd = land.balls(name="SGD", n=8, optimizer="sgd", lr=0.1)
        land.balls(name="Adam", optimizer="adam", lr=0.01, same_start_as=sgd)
        self.play(ls.Roll(steps=20), run_time=2)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    os.environ.setdefault("LANDSCAPE_CACHE", str(tmp_path_factory.mktemp("cache")))
    return ls.compute(Tiny, quality="tiny", progress=False)


def test_compute_takes_a_class_defined_here_and_reprs_are_short(result):
    assert type(result).__name__ == "ComputedScene"
    r = result.runs[0]
    assert r.trajectory.n_balls == 16 and r.trajectory.steps[-1] == 20
    for obj in (result, r, r.surface, r.trajectory):
        text = repr(obj)
        assert len(text) < 700 and "array(" not in text and "[[" not in text, text
    assert repr(r.surface).startswith("Surface(15×15 grid, a ∈ [-1, 1], b ∈ [-1, 1], loss ")
    assert "16 balls × 21 frames (steps 0–20)" in repr(r.trajectory)
    assert "SGD ×8, Adam ×8" in repr(r.trajectory)
    html = result._repr_html_()
    assert html.count("<tr>") == 3 and "SGD" in html and "Adam" in html and "minima" in html


def test_still_and_video_display_inline(result):
    import io

    from PIL import Image

    still = result.still(size=(320, 180))
    png = still._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert img.shape == (180, 320, 3) and img.std() > 10
    video = result.video()
    html = video._repr_html_()
    assert html.startswith("<video") and "data:video/mp4;base64," in html
    mp4 = base64.b64decode(html.split("base64,", 1)[1].split('"', 1)[0])
    assert mp4 == video.data and mp4[4:8] == b"ftyp"
    assert "frames" in repr(video) and "mp4" in repr(video)


def test_still_and_video_save_their_bytes(result, tmp_path):
    """``.save(path)`` writes the very bytes shown (it once built the atomic writer without
    entering it, and wrote nothing)."""
    still = result.still(size=(160, 90))
    assert still.save(tmp_path / "s.png") == str(tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes() == still.data
    video = result.video()
    video.save(tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == video.data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png", "v.mp4"]   # no temporary


def test_show_without_the_jupyter_extra_says_what_to_install(result, monkeypatch, capsys):
    from landscape.scene import _notebook as notebook

    monkeypatch.setattr(notebook, "_has_jupyter_backend", lambda: False)
    out = result.show()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["landscape: the 3D view needs PyVista's Jupyter backend (pip install "
                   "'landscape[notebook]'); showing a still instead"]
    assert isinstance(out, notebook.Still)


def test_show_puts_the_panel_beside_the_3d_view(result, monkeypatch):
    """vtk.js (the Jupyter backends) draws no 2D actors, so the gradient panel would be missing
    from the 3D view: it is shown beside it, cut from the stage's own picture. The cut holds the
    whole panel: every pixel of the bars' colours in the full picture lies inside it."""
    import io

    import ipywidgets as widgets
    import pyvista as pv
    from PIL import Image

    from landscape.picture import THEMES
    from landscape.render import Stage
    from landscape.scene import _notebook as notebook

    monkeypatch.setattr(notebook, "_has_jupyter_backend", lambda: True)
    monkeypatch.setattr(pv.Plotter, "show", lambda self, **kw: widgets.HTML("the 3D viewer"))
    shots = []
    real = Stage.screenshot
    monkeypatch.setattr(Stage, "screenshot", lambda self, *a: shots.append(real(self, *a))
                        or shots[-1])
    out = result.show(jupyter_backend="trame", size=(960, 540))   # the panel readable
    assert isinstance(out, widgets.HBox)
    viewer, column = out.children
    assert viewer.value == "the 3D viewer"
    (image,) = column.children                     # one view, one panel
    crop = np.asarray(Image.open(io.BytesIO(image.value)).convert("RGB"))
    full = shots[-1]
    assert crop.shape[0] < full.shape[0] / 2 and crop.shape[1] < full.shape[1] / 2
    # where the crop sits in the picture, found by matching it, not by the code's own rect
    hits = [(r, c) for r in range(full.shape[0] - crop.shape[0] + 1)
            for c in range(0, full.shape[1] - crop.shape[1] + 1)
            if (full[r, c] == crop[0, 0]).all()
            and np.array_equal(full[r:r + crop.shape[0], c:c + crop.shape[1]], crop)]
    assert hits, "the panel image is not a part of the stage's picture"
    r0, c0 = hits[0]
    th = THEMES["dark"]
    bar = np.zeros(full.shape[:2], bool)
    for rgb in (th.healthy, th.vanish, th.explode):
        target = np.round(np.asarray(rgb) * 255)
        bar |= (np.abs(full.astype(int) - target).max(-1) <= 12)   # shaded a little
    rows, cols = np.nonzero(bar)
    assert rows.size > 50, "no bars found in the picture"
    assert (rows.min() >= r0 and rows.max() < r0 + crop.shape[0] and cols.min() >= c0
            and cols.max() < c0 + crop.shape[1]), "a bar lies outside the panel image"


def test_bad_input_is_one_line(tmp_path):
    class Broken(ls.Scene):
        def construct(self):
            self.landscape(activation="swish")

    with pytest.raises(LandscapeError, match="unknown activation 'swish'"):
        ls.compute(Broken, quality="tiny")
    with pytest.raises(LandscapeError, match="takes a Scene"):
        ls.compute("scenes/local_minima.py")
    built = ls.load_scene(os.path.join(ROOT, "scenes", "local_minima.py"), quality="tiny")
    with pytest.raises(LandscapeError, match="already built"):
        ls.compute(built, quality="low")
    with pytest.raises(LandscapeError, match="no such scene file"):
        ls.load_scene(tmp_path / "nope.py")


def test_progress_bar_names_each_phase(monkeypatch, capsys):
    ls.compute(Tiny, quality="tiny", progress=True)
    err = capsys.readouterr().err
    assert "[1/1] tiny: surface" in err and "done" in err


def readme_notebook_code() -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## In a notebook", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 3
    return "\n".join(blocks)


def test_readme_notebook_section_runs_as_printed(tmp_path):
    """Every python block of the section, in order, as one script from the repository root
    (the notebook's display calls are plain expressions there)."""
    code = readme_notebook_code()
    env = {**os.environ, "LANDSCAPE_CACHE": os.environ.get("LANDSCAPE_CACHE",
                                                           str(tmp_path / "cache"))}
    env["LANDSCAPE_JUPYTER_BACKEND"] = "static"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]


def test_example_notebook_runs_top_to_bottom_in_a_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(os.path.join(ROOT, "examples", "vanishing_gradient.ipynb"), as_version=4)
    patched = 0
    for c in nb.cells:           # the notebook's own knob: tiny, for a quick run
        if c.cell_type == "code" and 'quality = "low"' in c.source:
            c.source = c.source.replace('quality = "low"', 'quality = "tiny"')
            patched += 1
    assert patched == 1
    monkeypatch.setenv("LANDSCAPE_CACHE", os.environ.get("LANDSCAPE_CACHE",
                                                         str(tmp_path / "cache")))
    monkeypatch.setenv("LANDSCAPE_JUPYTER_BACKEND", "static")   # no widget server in a test
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": os.path.join(ROOT, "examples")}}
                            ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    data = [o.get("data", {}) for o in outputs]
    pngs = [d["image/png"] for d in data if "image/png" in d]
    assert len(pngs) >= 2                                   # the still and the 3D view's image
    assert base64.b64decode(pngs[0])[:4] == b"\x89PNG"
    videos = [d["text/html"] for d in data if "<video" in d.get("text/html", "")]
    assert len(videos) == 1 and "data:video/mp4;base64," in videos[0]
    reprs = [d["text/plain"] for d in data if "ComputedScene(" in d.get("text/plain", "")]
    assert len(reprs) == 2
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "times the input layer's" in text


def test_compute_reports_phases_as_events_and_the_bar_follows_them(result):
    """The notebook's bar is driven by `compute_scene`'s events, not by its log text: a log
    that says nothing (or anything) leaves the bar's count the same."""
    from landscape.progress import Events
    from landscape.scene import compute_scene
    from landscape.scene._notebook import _Progress

    seen, lines = [], []
    scene = result.scene
    bar = _Progress(scene, False)
    compute_scene(scene, log=lambda line: lines.append(line.upper()),
                  events=Events(seen.append, bar.event))
    assert [(e.kind, e.phase, e.item, e.n_items, e.label) for e in seen] == [
        ("start", "surface", 0, 1, "tiny"), ("end", "surface", 0, 1, "tiny"),
        ("start", "balls", 0, 1, "tiny"), ("end", "balls", 0, 1, "tiny")]
    assert (seen[-1].done, seen[-1].total) == (20, 20)
    assert bar.k == 2 and bar._desc() == "done"
    assert not hasattr(bar, "log")        # nothing reads the log lines
    # a timelapse's end moves the bar over both of its landscape's steps
    two = _Progress(scene, False)
    Events(two.event).end("timelapse", item=0, n_items=1, label="tiny")
    assert two.k == 2
