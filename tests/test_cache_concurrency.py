"""Issue 19: several processes on one cold cache all finish, and their surfaces equal a lone
run's bit for bit; the same when one of them is killed with SIGKILL midway and restarted
(its entry lock is released by the OS, the next process takes it and resumes)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np

ARGS = ["surface", "--widths", "16", "--dataset", "moons", "--grid", "31", "-q"]


def _start(cache, out):
    env = dict(os.environ, LANDSCAPE_CACHE=str(cache), JAX_PLATFORMS="cpu")
    return subprocess.Popen([sys.executable, "-m", "landscape.cli", *ARGS, "-o", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _grid(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in ("loss", "accuracy", "alphas", "betas")}


def _same(a, b):
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_processes_share_a_cold_cache(tmp_path):
    lone = _start(tmp_path / "lone-cache", tmp_path / "lone.npz")
    assert lone.wait(600) == 0, lone.stderr.read()[-2000:]
    ref = _grid(tmp_path / "lone.npz")
    procs = [_start(tmp_path / "cache", tmp_path / f"out{i}.npz") for i in range(3)]
    for p in procs:
        assert p.wait(600) == 0, p.stderr.read()[-2000:]
    for i in range(3):
        _same(_grid(tmp_path / f"out{i}.npz"), ref)
    jobs = tmp_path / "cache" / "jobs"  # the finished job's folder is gone; lock files stay
    assert not jobs.exists() or all(n.endswith(".lock") for n in os.listdir(jobs))


def test_a_killed_process_leaves_nothing_that_blocks(tmp_path):
    lone = _start(tmp_path / "lone-cache", tmp_path / "lone.npz")
    assert lone.wait(600) == 0, lone.stderr.read()[-2000:]
    ref = _grid(tmp_path / "lone.npz")
    victim = _start(tmp_path / "cache", tmp_path / "victim.npz")
    other = _start(tmp_path / "cache", tmp_path / "other.npz")
    time.sleep(4)  # both started; one holds the entry's lock (training or on the grid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(60)
    again = _start(tmp_path / "cache", tmp_path / "again.npz")
    for p in (other, again):
        assert p.wait(600) == 0, p.stderr.read()[-2000:]
    for name in ("other", "again"):
        _same(_grid(tmp_path / f"{name}.npz"), ref)


def test_an_unwritable_cache_warns_once_and_runs_uncached(tmp_path):
    lone = _start(tmp_path / "lone-cache", tmp_path / "lone.npz")
    assert lone.wait(600) == 0, lone.stderr.read()[-2000:]
    (tmp_path / "a-file").write_text("")  # a cache under a file cannot be made, even by root
    cache = tmp_path / "a-file" / "cache"
    env = dict(os.environ, LANDSCAPE_CACHE=str(cache), JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-m", "landscape.cli", *ARGS[:-1], "-o",
                        str(tmp_path / "ro.npz")], env=env, capture_output=True, text=True,
                       timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stderr.count("could not write the cache") == 1, r.stderr
    assert "Traceback" not in r.stderr
    _same(_grid(tmp_path / "ro.npz"), _grid(tmp_path / "lone.npz"))
