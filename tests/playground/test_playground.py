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
