"""`landscape surface` end to end: JSON summary, cache behaviour, and every bad input ending
in one line, exit status 2 and no file."""

import json
import os

import numpy as np
import pytest

from landscape.cli._main import main
from landscape.surface._surface import Surface

TINY = ["--dataset", "moons", "--samples", "128", "--widths", "8,8", "--train-steps", "20",
        "--grid", "5", "-q"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_surface_json_and_file(tmp_path, capsys):
    out_file = tmp_path / "s.npz"
    code, out, err = run(capsys, "surface", *TINY, "--no-cache", "--json", "-o", str(out_file))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["grid"] == [5, 5]
    assert summary["min_loss"] <= summary["center_loss"] <= summary["max_loss"]
    assert set(summary["timings"]) >= {"train", "directions", "surface", "total"}
    s = Surface.load(str(out_file))
    assert s.loss.shape == (5, 5)
    np.testing.assert_allclose(s.loss[2, 2], summary["center_loss"])
    assert s.meta["config"]["dataset"] == "moons" and s.meta["config_hash"] == summary["config_hash"]
    assert s.meta["versions"]["jax"]


def test_cache_hit_and_corrupt_cache_recomputed(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path / "cache"))
    code, out, _ = run(capsys, "surface", *TINY, "--seed", "11", "--json")
    first = json.loads(out)
    assert code == 0 and first["timings"]["cached"] is False
    code, out, _ = run(capsys, "surface", *TINY, "--seed", "11", "--json")
    second = json.loads(out)
    assert second["timings"]["cached"] is True and second["center_loss"] == first["center_loss"]
    # truncate the cache file: detected, reported in one line, recomputed, repaired
    (f,) = [p for p in (tmp_path / "cache").iterdir()
           if p.name.startswith("surface-") and p.suffix == ".npz"]   # not its .lock
    f.write_bytes(f.read_bytes()[:200])
    code, out, err = main(["surface", *TINY[:-1], "--seed", "11", "--json"]), *capsys.readouterr()
    third = json.loads(out)
    assert code == 0 and third["timings"]["cached"] is False
    assert "corrupt" in err and len([l for l in err.splitlines() if "corrupt" in l]) == 1
    assert third["center_loss"] == first["center_loss"]
    assert Surface.load(str(f)).loss.shape == (5, 5)


@pytest.mark.parametrize("args,msg", [
    (["--activation", "swish"], "unknown activation 'swish'; choose one of: sigmoid"),
    (["--init", "zeros"], "unknown init"),
    (["--dataset", "cifar"], "unknown dataset 'cifar'; choose one of: digits"),
    (["--directions", "sobol"], "unknown direction method"),
    (["--norm", "unit"], "unknown normalization"),
    (["--grid", "1"], "at least 2"),
    (["--grid", "100000"], "too large"),
    (["--span", "0"], "span"),
    (["--span", "nan"], "span"),
    (["--span", "-2"], "span"),
    (["--model", "rnn"], "unknown model"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, msg):
    out_file = tmp_path / "s.npz"
    code, out, err = run(capsys, "surface", *TINY, *args, "-o", str(out_file))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("landscape: error: ") and msg in lines[0], err
    assert not out_file.exists()


def test_bad_widths_are_rejected_by_the_parser(capsys):
    for w in ("", "8,-1", "a,b"):
        assert main(["surface", "--widths", w]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("landscape: error: ") and "widths" in err[0]


def test_output_checked_before_compute(tmp_path, capsys, monkeypatch):
    import landscape.pipeline

    def must_not_run(*a, **k):
        raise AssertionError("computed before checking the output path")

    monkeypatch.setattr(landscape.pipeline, "build_surface", must_not_run)
    code, _, err = run(capsys, "surface", *TINY, "-o", str(tmp_path / "nope" / "s.npz"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "surface", *TINY, "-o", str(tmp_path / "s.txt"))
    assert code == 2 and ".npz" in err
    monkeypatch.setattr(os, "access", lambda *a: False)
    code, _, err = run(capsys, "surface", *TINY, "-o", str(tmp_path / "s.npz"))
    assert code == 2 and "not writable" in err
    assert os.listdir(tmp_path) == []


def test_json_reports_executed_flops_beside_the_plain_forward_equivalent(tmp_path, capsys):
    """Executed FLOPs (after the first-layer precompute) against XLA's own count of the
    compiled point function; the plain-forward equivalent beside them."""
    import jax.numpy as jnp

    from landscape.flops import surface_flops, xla_flops
    from landscape.pipeline._build import build_surface
    from landscape.pipeline._config import LandscapeConfig
    from landscape.pipeline._restore import plane_from_surface, task_from_surface
    from landscape.surface._compute import point_fn

    code, out, _ = run(capsys, "surface", *TINY, "--no-cache", "--json", "--peak")
    assert code == 0
    f = json.loads(out)["flops"]
    pp = f["per_point"]
    assert pp["precompute"] > 0 and f["peak_gflops"] > 0
    for k in ("executed", "plain_forward"):
        assert f[f"{k}_ratio_to_peak"] == pytest.approx(f[f"{k}_gflops"] / f["peak_gflops"])
    # the count against XLA's, on the reference network (elementwise work is left out)
    s, _ = build_surface(LandscapeConfig(grid=3, train_steps=2), progress=False)
    task, plane = task_from_surface(s), plane_from_surface(s)
    mine = surface_flops(task.model, 1797)
    assert mine["plain_forward"] == 2 * 12928 * 1797
    assert mine["executed"] == 2 * (12928 - 64 * 64 + 2 * 64) * 1797 + 4 * task.model.n_params
    xla = xla_flops(point_fn(task, plane), jnp.zeros(2))
    assert mine["executed"] <= xla <= 1.1 * mine["executed"]
def test_eval_samples_and_eval_batch_options(tmp_path, capsys):
    code, out, err = run(capsys, "surface", *TINY[:-1], "--no-cache", "--json", "--eval-samples", "50",
                         "--eval-batch", "16", "-o", str(tmp_path / "s.npz"))
    assert code == 0, err
    assert "fixed random subset of 50 of 128 samples (seed 0)" in err
    summary = json.loads(out)
    assert summary["eval_set"]["subset"] == {"size": 50, "of": 128, "seed": 0}
    s = Surface.load(str(tmp_path / "s.npz"))
    assert s.x_eval.shape[0] == 50 and s.meta["eval_batch"] == 16
    for args, msg in ((["--eval-batch", "0"], "at least 1 sample"),
                      (["--eval-samples", "1000"], "between 1 and 128")):
        code, _, err = run(capsys, "surface", *TINY, "--no-cache", *args)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


def test_the_same_command_resumes_an_interrupted_job(tmp_path, capsys, monkeypatch):
    """A job folder left by an interrupted `landscape surface` (here: all blocks but one) is
    picked up by the same command, which computes only the missing block and cleans up."""
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path / "cache"))
    argv = ["surface", *TINY[:-3], "--grid", "101", "--seed", "5", "--json"]
    code, out, _ = run(capsys, *argv, "--no-cache")
    ref = json.loads(out)
    from landscape.cli._common import config_from_args
    from landscape.cli._main import build_parser
    from landscape.pipeline._build import cache_dir
    from landscape.surface._compute import compute_surface

    cfg = config_from_args(build_parser().parse_args(argv))
    task = cfg.build_task()
    job = os.path.join(cache_dir(), "jobs", f"surface-{cfg.digest()}")
    s = compute_surface(task, cfg.build_plane(task), span=cfg.span, resolution=cfg.grid,
                        job_dir=job, keep_job=True, progress=False)
    blocks = sorted(f for f in os.listdir(job) if f.startswith("block-"))
    assert len(blocks) >= 2
    os.remove(os.path.join(job, blocks[-1]))  # as if killed before the last block
    code, out, err = main(argv[:-1] + ["--json"]), *capsys.readouterr()
    resumed = json.loads(out)
    assert code == 0 and resumed["resume"] == {"blocks": len(blocks), "reused": len(blocks) - 1,
                                               "computed": 1}
    assert f"{len(blocks) - 1} of {len(blocks)} blocks done, computing 1" in err
    assert resumed["center_loss"] == ref["center_loss"] == s.center_loss
    assert not os.path.exists(job)


def test_layout_without_out_axis_loads_as_last_axis():
    from landscape.nets._layout import Layout

    rows = [{"layer": "dense_0", "name": "w", "role": "weight", "shape": [3, 4], "offset": 0, "size": 12},
            {"layer": "dense_0", "name": "b", "role": "bias", "shape": [4], "offset": 12, "size": 4}]
    lay = Layout.from_json(rows)
    assert lay.params[0].out_axis == 1
    assert Layout.from_json(lay.to_json()) == lay
