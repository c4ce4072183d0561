"""The Scene API's plan, and `landscape render|show|list` on good and bad input: every mistake a
user can make ends in one line, exit status 2, and no output file."""

import json
import os
import textwrap

import numpy as np
import pytest

from landscape.cli._main import main
from landscape.scene import timeline
from landscape.scene._loader import build_scene
from landscape.scene._scene import Orbit, Roll, Scene, get_quality

TINY_NET = ('dataset="moons", n_samples=64, widths=(4,), output="sigmoid", train_steps=20')

GOOD = f'''\
"""Two tiny scenes for the CLI tests."""
from landscape.scene import Orbit, Roll, Scene


class First(Scene):
    """The first scene."""

    def construct(self):
        land = self.landscape({TINY_NET})
        land.balls(n=4, lr=0.05, batch_size=16)
        self.caption("hello")
        self.play(Roll(steps=6), Orbit(degrees=30), run_time=2)
        self.wait(1)


class SecondScene(Scene):
    """The second scene."""

    def construct(self):
        land = self.landscape({TINY_NET})
        land.balls(n=3, lr=0.05, batch_size=16)
        self.play(Roll(steps=4), run_time=2)
'''


def write(tmp_path, text, name="s.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = [l for l in err.strip().splitlines() if l.startswith("landscape: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------ the plan


def test_construct_records_a_plan_and_the_timeline_follows_it(tmp_path):
    scene = build_scene(write(tmp_path, GOOD), "First", quality="tiny")
    assert len(scene.landscapes) == 1 and scene.steps(scene.landscapes[0]) == 6
    assert scene.run_time == 3.0 and scene.landscapes[0].config.grid == 15
    frames = timeline(scene, fps=10)  # tiny halves the time: 1.5 s at 10 fps
    assert len(frames) == 15
    assert [f.index[0] for f in frames][-6:] == [6] * 6  # still during wait()
    assert frames[-1].index[0] == 6 and frames[0].index[0] <= 1
    assert sum(f.d_azimuth for f in frames) == pytest.approx(30.0)
    assert all(f.caption == "hello" for f in frames)


def test_seed_override_and_keys(tmp_path):
    path = write(tmp_path, GOOD)
    a = build_scene(path, "First", quality="tiny")
    b = build_scene(path, "First", seed=5, quality="tiny")
    assert a.seed == 0 and b.seed == 5 and b.landscapes[0].config.seed == 5
    import jax

    assert not np.array_equal(jax.random.key_data(a.key("x")), jax.random.key_data(b.key("x")))
    assert np.array_equal(jax.random.key_data(a.key("x")), jax.random.key_data(
        build_scene(path, "First", quality="tiny").key("x")))


def test_nothing_runs_at_import(tmp_path):
    path = write(tmp_path, GOOD + "\nraise_if_constructed = []\n")
    from landscape.scene._loader import load_scenes

    scenes = load_scenes(path)
    assert list(scenes) == ["First", "SecondScene"]


def test_quality_presets():
    assert get_quality("m").name == "medium" and get_quality("high").grid > get_quality("low").grid
    from landscape.render import QUALITY

    assert get_quality("medium").video() == ((1280, 720), 30) == ((QUALITY["medium"][0],
                                                                     QUALITY["medium"][1]),
                                                                    QUALITY["medium"][2])


def test_bad_animation_arguments_are_caught_where_they_are_written():
    with pytest.raises(Exception, match="at least 1 step"):
        Roll(steps=0)

    class S(Scene):
        def construct(self):
            self.play(Orbit(10), run_time=1)

    with pytest.raises(Exception, match="add a landscape"):
        S(quality="tiny").construct()


# ------------------------------------------------------------------ the CLI


def test_list_prints_scenes_with_their_docstrings(tmp_path, capsys):
    code, out, _ = run(capsys, "list", write(tmp_path, GOOD))
    assert code == 0
    assert "First" in out and "The first scene." in out and "SecondScene" in out


def test_list_a_folder(capsys):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code, out, _ = run(capsys, "list", os.path.join(root, "scenes"), "--json")
    assert code == 0
    rows = json.loads(out)
    assert {"VanishingGradient", "LocalMinima"} <= {r["scene"] for r in rows}


def test_render_dry_run_json_then_video(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    code, out, err = run(capsys, "render", path, "second_scene", "-q", "tiny", "--dry-run",
                         "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["scene"] == "SecondScene" and s["landscapes"][0]["steps"] == 4
    assert s["landscapes"][0]["groups"][0]["n_balls"] == 3
    assert os.listdir(tmp_path) == ["s.py"]  # dry run writes nothing
    video = tmp_path / "out.gif"
    code, out, err = run(capsys, "render", path, "First", "-q", "tiny", "-o", video, "--seed", 3)
    assert code == 0, err
    assert video.exists() and "wrote" in out
    assert sorted(os.listdir(tmp_path)) == ["out.gif", "s.py"]


@pytest.mark.parametrize("case,argv,match", [
    ("missing", ["render", "{d}/nope.py"], "no such scene file"),
    ("not python", ["render", "{d}/x.txt"], "not a Python file"),
    ("unknown quality", ["render", "{good}", "First", "-q", "ultra"], "unknown quality 'ultra'"),
    ("unknown format", ["render", "{good}", "First", "--format", "avi"], "unknown format 'avi'"),
    ("bad suffix", ["render", "{good}", "First", "-o", "{d}/v.avi"], "unknown format .avi"),
    ("format clash", ["render", "{good}", "First", "-o", "{d}/v.gif", "--format", "mp4"],
     "make them agree"),
    ("no folder", ["render", "{good}", "First", "-o", "{d}/no/such/v.mp4"], "does not exist"),
    ("unknown scene", ["render", "{good}", "Third"],
     "no scene 'Third' in .*its scenes are: First, SecondScene"),
    ("which scene", ["render", "{good}"], "has 2 scenes; name one: First, SecondScene"),
    ("show unknown", ["show", "{good}", "Third"], "its scenes are: First, SecondScene"),
    ("list missing", ["list", "{d}/nope.py"], "no such scene file"),
])
def test_cli_errors(tmp_path, capsys, case, argv, match):
    good = write(tmp_path, GOOD)
    (tmp_path / "x.txt").write_text("hi")
    before = sorted(os.listdir(tmp_path))
    line = one_line_error(capsys, *[a.format(d=tmp_path, good=good) for a in argv])
    import re

    assert re.search(match, line), line
    assert sorted(os.listdir(tmp_path)) == before


def test_syntax_error_names_the_line(tmp_path, capsys):
    path = write(tmp_path, "from landscape.scene import Scene\n\nclass A(Scene:\n    pass\n")
    line = one_line_error(capsys, "render", path)
    assert f"{path}:3: syntax error" in line


def test_file_without_a_scene(tmp_path, capsys):
    path = write(tmp_path, "x = 1\n")
    assert "defines no scene" in one_line_error(capsys, "list", path)


def test_error_while_importing_names_the_line(tmp_path, capsys):
    path = write(tmp_path, "import math\n\nmath.nope\n")
    line = one_line_error(capsys, "list", path)
    assert f"{path}:3:" in line and "AttributeError" in line


BROKEN = f'''\
from landscape.scene import Roll, Scene


def helper(land):
    land.balls(n=2, optimizer="sgdd")


class Broken(Scene):
    def construct(self):
        land = self.landscape({TINY_NET})
        helper(land)
        self.play(Roll(steps=2))


class Crashes(Scene):
    def construct(self):
        land = self.landscape({TINY_NET})
        values = [1, 2]
        print(values[5])


class BadConfig(Scene):
    def construct(self):
        self.landscape(activation="swish")


class Empty(Scene):
    def construct(self):
        pass


class BigBatch(Scene):
    def construct(self):
        land = self.landscape({TINY_NET})
        land.balls(n=2, batch_size=1000)
'''


@pytest.mark.parametrize("scene,line,match", [
    ("Broken", 5, "unknown optimizer 'sgdd'"),   # the scene file's own line, not the framework's
    ("Crashes", 19, "IndexError: list index out of range"),
    ("BadConfig", 24, "unknown activation 'swish'"),
    ("Empty", None, "added no landscape"),
    ("BigBatch", 35, "batch size 1000 is larger than the data (64 samples)"),
])
def test_exceptions_inside_construct_report_the_scene_line(tmp_path, capsys, scene, line, match):
    path = write(tmp_path, BROKEN)
    msg = one_line_error(capsys, "render", path, scene, "--dry-run")
    assert match in msg and f"{scene}.construct()" in msg or line is None
    if line is not None:
        assert f"{path}:{line}:" in msg, msg
    else:
        assert match in msg


def test_show_without_a_display_says_so_before_computing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_OFF_SCREEN", "1")
    line = one_line_error(capsys, "show", write(tmp_path, GOOD), "First")
    assert "needs a display" in line and "landscape render" in line


def test_show_drives_live_simulators_in_the_window(tmp_path):
    from landscape.render import Controller
    from landscape.scene import compute_scene, show

    scene = build_scene(write(tmp_path, GOOD), "First", quality="tiny")
    computed = compute_scene(scene, simulate=False)
    assert computed.runs[0].trajectory is None
    seen = {}

    def fake_open(stage, sources):
        ctl = Controller(stage, sources)
        before = sources[0].snapshot().positions.copy()
        ctl.step_once()
        seen["moved"] = not np.array_equal(before, sources[0].snapshot().positions)
        seen["n"] = len(sources)
        stage.close()

    show(computed, off_screen=True, open_fn=fake_open)
    assert seen == {"moved": True, "n": 1}


def test_same_seed_same_paths_and_the_second_run_uses_the_cache(tmp_path):
    from landscape.scene import compute_scene

    path = write(tmp_path, GOOD)
    a = compute_scene(build_scene(path, "First", quality="tiny", seed=7))
    b = compute_scene(build_scene(path, "First", quality="tiny", seed=7))
    assert b.runs[0].timings["cached"]
    np.testing.assert_array_equal(a.runs[0].trajectory.positions, b.runs[0].trajectory.positions)
    c = compute_scene(build_scene(path, "First", quality="tiny", seed=8))
    assert not c.runs[0].timings["cached"]
    assert not np.array_equal(a.runs[0].trajectory.positions[0], c.runs[0].trajectory.positions[0])


def test_render_png_frames_into_a_folder(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    out = tmp_path / "frames"
    code, _, err = run(capsys, "render", path, "SecondScene", "-q", "tiny", "--format", "png",
                       "-o", out, "--quiet")
    assert code == 0, err
    pngs = sorted(os.listdir(out))
    assert pngs[0] == "frame_00000.png" and len(pngs) == 2  # 2 s × 0.5 × 2 fps
