"""Every subcommand through its bad inputs: exit status 2, exactly one ``landscape: error:``
line on stderr, no traceback, nothing on stdout, and nothing written (not in the working
folder, not where -o points, not in the surface cache)."""

import os

import pytest

from landscape.cli._main import main

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
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--peak"], "--peak adds ratios to the --json summary"),
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
    from landscape.pipeline._build import cache_dir

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


# ------------------------------------------------------------------ nothing silently dropped


@pytest.mark.parametrize("kw, what", [({"batchnorm": True}, "batchnorm"), ({"skip": True}, "skip"),
                                     ({"output": "mse"}, "output='mse'"),
                                     ({"output": "sigmoid"}, "output='sigmoid'")])
def test_the_cnn_refuses_what_it_would_ignore(kw, what):
    from landscape.errors import LandscapeError
    from landscape.pipeline._config import LandscapeConfig

    with pytest.raises(LandscapeError, match=f"the CNN does not support {what}"):
        LandscapeConfig(model="cnn", widths=(4,), **kw).validate()
    LandscapeConfig(model="cnn", widths=(4,)).validate()      # the plain CNN is fine


def test_eval_batch_norm_without_statistics_is_an_error(bn_task):
    import dataclasses

    from landscape.errors import LandscapeError

    task = dataclasses.replace(bn_task, bn_stats=[], bn_policy="eval")
    with pytest.raises(LandscapeError, match="needs the statistics frozen at θ"):
        task.evaluate()
    dataclasses.replace(task, bn_policy="batch").evaluate()   # batch statistics need none


def test_a_seed_that_cannot_be_recorded_raises_instead_of_writing_null():
    import jax
    import numpy as np

    from landscape.errors import LandscapeError
    from landscape.files import key_list

    assert key_list(jax.random.key(3)) == [int(v) for v in jax.random.key_data(jax.random.key(3))]
    assert key_list(np.array([0, 7], np.uint32)) == [0, 7]
    for bad in (None, 3.5, "seed", object()):
        with pytest.raises(LandscapeError, match="cannot record the seed"):
            key_list(bad)


def test_the_hessian_unit_fallback_is_stamped_and_printed(monkeypatch, capsys):
    """λ1 ≤ 0: no 1-nat distance exists; the plane says so, build_surface prints it and the
    surface file keeps it."""
    import jax.numpy as jnp
    import numpy as np

    from landscape import planes, training
    from landscape.pipeline._build import build_surface
    from landscape.pipeline._config import LandscapeConfig

    class Concave(training.Task):
        def loss_fn(self):
            return lambda th, x, y: (-0.5 * jnp.sum(th * th), 0.0)

    cfg = LandscapeConfig(dataset="moons", n_samples=32, widths=(3,), train_steps=0, grid=5,
                          directions="hessian")
    task = cfg.build_task()
    concave = Concave(**{f: getattr(task, f) for f in task.__dataclass_fields__})
    plane = planes.hessian_plane(concave)
    assert plane.meta["span_unit"] == 1.0 and plane.meta["eigenvalues"][0] < 0
    (note,) = plane.meta["notes"]
    assert "≤ 0" in note and "span_unit = 1" in note
    monkeypatch.setattr(LandscapeConfig, "build_plane", lambda self, t: plane)
    lines = []
    s, _ = build_surface(cfg, cache=False, log=lines.append)
    assert lines == [f"landscape: note: {note}"] and s.meta["notes"] == [note]
    assert np.isfinite(s.loss).all()
