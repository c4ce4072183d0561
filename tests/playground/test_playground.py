"""The playground's truth: after any sequence of changes, a view's surface is bit for bit
`build_surface(pg.config(view))`'s, and its trajectories are those `ls.compute` gives for the
scene file `pg.save_scene` writes; a ball knob rolls the balls again from the same starts on the
same surface; a bad knob or value is one `LandscapeError` and leaves the state as it was."""

import numpy as np
import pytest

import landscape as ls
from landscape.errors import LandscapeError
from landscape.pipeline import build_surface


@pytest.fixture(scope="module")
def pg():
    return ls.Playground(dataset="moons", widths=(8, 8), train_steps=60, quality="tiny",
                         steps=30, title="play")


def same_surface(run, cfg):
    ref = build_surface(cfg).surface
    np.testing.assert_array_equal(run.surface.loss, ref.loss)
    np.testing.assert_array_equal(run.surface.theta, ref.theta)


def test_the_first_state_is_its_config(pg):
    assert pg.n_views == 1 and pg.config(0).widths == (8, 8)
    same_surface(pg.computed.runs[0], pg.config(0))


def test_a_network_knob_retrains_and_the_surface_is_the_configs(pg):
    before = pg.computed.runs[0].surface.loss.copy()
    r = pg.set(0, activation="tanh", depth=3)
    assert r["knobs"] == {"activation": ("relu", "tanh"), "depth": (2, 3)}
    assert pg.config(0).activation == "tanh" and pg.config(0).widths == (8, 8, 8)
    assert not np.array_equal(pg.computed.runs[0].surface.loss, before)
    same_surface(pg.computed.runs[0], pg.config(0))


def test_a_ball_knob_rolls_again_from_the_same_starts(pg):
    run = pg.computed.runs[0]
    loss, start, end = run.surface.loss.copy(), run.trajectory.positions[0], \
        run.trajectory.positions[-1]
    r = pg.set(0, lr=0.5)
    assert r["knobs"] == {"lr": (0.1, 0.5)}
    run = pg.computed.runs[0]
    np.testing.assert_array_equal(run.surface.loss, loss)            # the same surface
    np.testing.assert_array_equal(run.trajectory.positions[0], start)  # the same starts
    assert not np.array_equal(run.trajectory.positions[-1], end)       # another roll
    assert run.trajectory.groups[0]["lr"] == 0.5


def test_add_view_copies_starts_and_save_scene_reproduces_everything(pg, tmp_path):
    v = pg.add_view(copy_of=0, init="xavier")
    assert v == 1 and pg.n_views == 2 and pg.config(1).init == "xavier"
    a, b = pg.computed.runs
    np.testing.assert_array_equal(a.trajectory.positions[0], b.trajectory.positions[0])
    same_surface(b, pg.config(1))
    path = pg.save_scene(tmp_path / "explored.py")
    again = ls.compute(ls.load_scene(path, quality="tiny"), progress=False)
    for mine, theirs in zip(pg.computed.runs, again.runs, strict=True):
        np.testing.assert_array_equal(mine.surface.loss, theirs.surface.loss)
        np.testing.assert_array_equal(mine.trajectory.positions, theirs.trajectory.positions)
        np.testing.assert_array_equal(mine.trajectory.grad_norms, theirs.trajectory.grad_norms)
    pg.remove_view(1)
    assert pg.n_views == 1


def test_bad_knobs_are_one_line_and_change_nothing(pg):
    cfg, source = pg.config(0), pg.source()
    with pytest.raises(LandscapeError, match=r"^unknown knob 'activaton'; knobs: dataset, "):
        pg.set(0, activaton="relu")
    with pytest.raises(LandscapeError, match="activation"):
        pg.set(0, activation="nope")
    with pytest.raises(LandscapeError, match=r"^no group 'adam' in this view"):
        pg.set(0, group="adam", lr=0.1)
    with pytest.raises(LandscapeError, match=r"^view must be 0\.\.0, got 3$"):
        pg.set(3, lr=0.1)
    with pytest.raises(LandscapeError, match="group= applies to ball knobs"):
        pg.set(0, group=0, activation="relu")
    assert pg.config(0) == cfg and pg.source() == source


def test_the_notebook_controls_are_labelled_knobs_that_set_the_state(pg):
    """Each control's description is its knob's name; changing a control's value (as a click
    does) sets the knob, redraws the still and says so in the status line; a value that
    cannot apply puts the control back and says why."""
    pytest.importorskip("ipywidgets")
    box = pg.widget(0)
    names = [c.description for c in box.controls.values()]
    assert {"activation", "init", "depth", "width", "batchnorm", "lr", "optimizer"} <= set(names)
    assert names == list(box.controls)
    png = box.image.value
    box.controls["init"].value = "xavier"
    assert pg.config(0).init == "xavier"
    assert box.status.value.startswith("init: 'he' → 'xavier', recomputed in ")
    assert box.image.value != png and box.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    box.controls["directions"].value = "pca"
    assert pg.config(0).directions == "pca"
    box.controls["train_steps"].value = 0           # PCA of no training: cannot apply
    assert box.status.value.startswith("train_steps = 0 cannot apply: PCA directions need "
                                       "training"), box.status.value
    assert box.controls["train_steps"].value == pg.config(0).train_steps == 60
    assert repr(pg).startswith("Playground(1 view: 0: ")


def test_the_readme_section_runs_as_printed(tmp_path):
    """The README's playground block, as one script from the repository root (at quality
    tiny, for a quick run), and the scene file it saves builds."""
    import os
    import re
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    section = text.split("## Steering a scene: the playground", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    assert code.count('quality="low"') == 2
    code = code.replace('quality="low"', 'quality="tiny"')
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=900, env={**os.environ, "PYTHONPATH": root})
    assert r.returncode == 0, r.stderr[-3000:]
    scene = ls.load_scene(tmp_path / "my_exploration.py", quality="tiny")
    assert len(scene.landscapes) == 2 and scene.landscapes[1].config.init == "xavier"


def test_a_cell_ending_in_pg_shows_the_controls_in_a_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipywidgets")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import landscape as ls\n"
        "pg = ls.Playground(dataset='moons', widths=(8,), train_steps=40, quality='tiny',"
        " steps=10)\npg")]
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    outs = nb.cells[0].outputs
    assert not [o for o in outs if o.output_type == "error"], outs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs)
