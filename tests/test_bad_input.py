"""Every subcommand through its bad inputs: exit status 2, exactly one ``landscape: error:``
line on stderr, no traceback, nothing on stdout, and nothing written (not in the working
folder, not where -o points, not in the surface cache)."""

import os

import pytest

from landscape.cli import main

TINY = ["--dataset", "moons", "--samples", "64", "--widths", "4", "--train-steps", "5",
        "--grid", "5"]
SCENE = '''"""A scene."""
from landscape.scene import Roll, Scene


class Ok(Scene):
    """Fine."""

    def construct(self):
        land = self.landscape(dataset="moons", n_samples=64, widths=(4,), train_steps=5)
        land.balls(n=2, batch_size=16)
        self.play(Roll(steps=2), run_time=1)
'''

CASES = {
    "surface": [
        (["--activation", "swish"], "unknown activation 'swish'"),
        (["--grid", "1"], "at least 2"),
        (["--span", "0"], "span must be a positive"),
        (["--widths", "0"], "positive integers"),
        (["--grid", "abc"], "invalid int value"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--model", "cnn", "--dataset", "digits", "--skip"], "the CNN does not support skip"),
        (["--model", "cnn", "--dataset", "digits", "--batchnorm"], "does not support batchnorm"),
        (["--model", "cnn"], "the CNN needs image data"),
        (["--bn-policy", "batch"], "--bn-policy applies only with --batchnorm"),
        (["--directions", "pca", "--norm", "layer"], "--norm applies to random directions only"),
        (["--train-steps", "0", "--train-lr", "0.1"], "--train-lr does nothing with --train-steps 0"),
        (["--directions", "pca", "--train-steps", "2"], "PCA directions need training"),
        (["-o", "{d}/no/such/dir/s.npz"], "does not exist"),
        (["-o", "{d}/s.txt"], "must end in .npz"),
        (["--dataset", "mnist"], "unknown dataset 'mnist'"),
    ],
    "simulate": [
        (["--origin", "init"], "--origin applies to --mode projected only"),
        (["--momentum", "0.5"], "--momentum applies to momentum, nesterov, not to sgd"),
        (["--optimizer", "momentum", "--b1", "0.5"], "--b1 applies to adam"),
        (["--optimizer", "adam", "--decay", "0.9"], "--decay applies to rmsprop"),
        (["--optimizer", "sgd,adam", "--eps", "-1"], "eps must be a positive"),
        (["--mode", "flat"], "unknown mode 'flat'"),
        (["--steps", "0"], "at least 1"),
        (["--start", "points"], "only available from Python"),
        (["--start", "spiral"], "unknown start 'spiral'"),
        (["--radius", "-1"], "start radius must be a positive"),
        (["--clip-norm", "-1"], "clip norm must be a positive"),
        (["--batch-size", "100000"], "larger than the data"),
        (["--lr", "0"], "learning rate"),
        (["--optimizer", "adamw"], "unknown optimizer 'adamw'"),
        (["--lr", "0.1,0.2"], "--lr has 2 values for 1 optimizers"),
    ],
    "gradients": [
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--activation", "swish"], "unknown activation"),
        (["--bn-policy", "eval"], "--bn-policy applies only with --batchnorm"),
    ],
    "render": [
        (["{d}/nope.py"], "no such scene file"),
        (["{scene}", "-q", "ultra"], "unknown quality 'ultra'"),
        (["{scene}", "--format", "avi"], "unknown format 'avi'"),
        (["{scene}", "Other"], "no scene 'Other'"),
        (["{scene}", "-o", "{d}/v.avi"], "unknown format .avi"),
    ],
    "show": [
        (["{scene}"], "needs a display"),
        (["{d}/nope.py"], "no such scene file"),
    ],
    "list": [
        (["{d}/empty"], "has no scene files"),
        (["{d}/helpers"], "has no scene files"),
        (["{d}/nope.py"], "no such scene file"),
    ],
}


@pytest.mark.parametrize("command, args, match",
                         [(c, a, m) for c, cases in CASES.items() for a, m in cases])
def test_every_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys,
                                                              command, args, match):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANDSCAPE_OFF_SCREEN", "1")      # `show` must say it needs a display
    (tmp_path / "empty").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "util.py").write_text("X = 1\n")
    (tmp_path / "s.py").write_text(SCENE)
    from landscape.config import cache_dir

    cache = cache_dir()
    cached = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    extra = TINY if command in ("surface", "simulate", "gradients") else []
    if "digits" in args:                  # the digits have a fixed size: no --samples
        extra = extra[:2] + extra[4:]
    argv = [command] + extra + [a.format(d=tmp_path, scene=tmp_path / "s.py") for a in args]
    if command == "simulate":
        argv += ["-o", str(tmp_path / "t.npz")]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("landscape: error: "), err
    assert match in lines[0], lines[0]
    assert "Traceback" not in err and out == ""
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert (sorted(os.listdir(cache)) if os.path.isdir(cache) else []) == cached


def test_no_subcommand_is_one_line_too(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("landscape: error: ")
    assert main(["--version"]) == 0
