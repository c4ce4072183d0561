"""`landscape line`, `connect` and `sharpness` end to end: files written, JSON summaries, bad
input in one line with exit status 2."""

import json

import numpy as np

from landscape.cli._main import main
from landscape.measures._line import Line
from landscape.surface._surface import Surface

TINY = ["--dataset", "moons", "--samples", "128", "--widths", "8,8", "--train-steps", "40",
        "--grid", "5", "-q", "--no-cache"]


def test_line_connect_sharpness(tmp_path, capsys):
    assert main(["line", *TINY, "--from", "init", "--points", "5", "-o", str(tmp_path / "l.npz")]) == 0
    ln = Line.load(str(tmp_path / "l.npz"))
    assert ln.loss.shape == (5,) and ln.t[0] == -0.25
    assert main(["connect", *TINY, "--bend-steps", "20", "--points", "5", "--json",
                 "-o", str(tmp_path / "c.npz"), "--surface-output", str(tmp_path / "cs.npz")]) == 0
    summary = json.loads(capsys.readouterr().out)
    z = np.load(tmp_path / "c.npz")
    assert str(z["format"]) == "landscape.connect/1" and z["curve_loss"].shape == (5,)
    s = Surface.load(str(tmp_path / "cs.npz"))
    a, b = summary["points"]["bend"]
    assert s.alphas[0] < 0 < 1 < s.alphas[-1] and s.betas[0] <= min(0, b) and s.betas[-1] >= max(0, b)
    np.testing.assert_array_equal(s.theta, z["theta_a"])  # the plane is drawn through θA
    assert main(["surface", *TINY, "-o", str(tmp_path / "s.npz")]) == 0
    assert main(["sharpness", str(tmp_path / "s.npz"), "--grid", "2", "--iters", "10", "--json",
                 "-o", str(tmp_path / "sh.npz")]) == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res["per_layer"]) == {"dense_0", "dense_1", "dense_2"}
    sh = Surface.load(str(tmp_path / "sh.npz"))
    assert sh.extra["sharpness"]["values"].shape == (2, 2)
    assert sh.meta["sharpness"]["top_eigenvalue"] == res["top_eigenvalue"]


def test_view_errors_are_one_line(tmp_path, capsys):
    for argv, msg in ((["connect", *TINY, "--widths-b", "9,8", "--bend-steps", "2"], "different shapes"),
                      (["line", *TINY, "--from", "seed"], "--seed-b"),
                      (["line", *TINY, "--from", "sideways"], "unknown line source"),
                      (["sharpness", str(tmp_path / "none.npz")], "no such file")):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("landscape: error:") and msg in err[0], err
