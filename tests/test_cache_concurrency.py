"""Issue 19: several processes on one cold cache all finish, and their surfaces equal a lone
run's bit for bit; the same when one of them is killed with SIGKILL midway and restarted
(its entry lock is released by the OS, the next process takes it and resumes)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
from dryrun_baseline import strip

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


# ------------------------------------------------------------------ eight processes, five kinds

SCENE = '''
from landscape.scene import Roll, Scene


class Shared(Scene):
    """Two landscapes of one network: the cache entries every kind of process below shares."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(16,), train_steps=60, title="shared")
        land.balls(name="SGD", n=12, optimizer="sgd", lr=0.5, batch_size=32)
        self.play(Roll(steps=40), run_time=1)
'''
NOTEBOOK = '''
import json, sys
import landscape as ls
r = ls.compute(ls.load_scene(sys.argv[1], quality="tiny"), progress=False)
run = r.runs[0]
print(json.dumps({"loss": run.surface.loss.tolist(),
                  "last": run.trajectory.positions[-1].tolist()}))
'''
WALL = {"seconds", "total_seconds", "timings", "output", "cache", "cached", "from_cache",
        "resumed"}


def _run(kind, cache, tmp, name, *, programs_in_cache=True):
    """Start one process of ``kind``; returns (Popen, how to read its result).
    ``programs_in_cache``: its compiled programs in ``cache`` too (else in the suite's folder)."""
    env = dict(os.environ, LANDSCAPE_CACHE=str(cache), JAX_PLATFORMS="cpu")
    if programs_in_cache:
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
    exe = [sys.executable, "-m", "landscape.cli"]
    scene = str(tmp / "shared.py")
    if kind == "render":
        argv = exe + ["render", scene, "-q", "tiny", "--dry-run", "--json"]
    elif kind == "surface":
        argv = exe + ARGS + ["-o", str(tmp / f"{name}.npz")]
    elif kind == "resumed":
        argv = exe + ARGS[:-2] + ["101", "-q", "--job-dir", str(tmp / "job"), "-o",
                                  str(tmp / f"{name}.npz")]
    elif kind == "simulate":
        argv = exe + ["simulate", *ARGS[1:-1], "--balls", "8", "--steps", "30", "-q",
                      "-o", str(tmp / f"{name}.npz")]
    else:
        argv = [sys.executable, "-c", NOTEBOOK, scene]
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    return p


def _result(kind, p, tmp, name):
    out, err = p.communicate(timeout=900)
    assert p.returncode == 0, (kind, err[-2000:])
    if kind in ("render", "notebook"):
        return strip(json.loads(out), WALL)
    path = tmp / f"{name}.npz"
    with np.load(path, allow_pickle=False) as z:
        keys = ("loss", "accuracy") if kind != "simulate" else ("positions", "heights",
                                                                "grad_norms")
        return {k: z[k] for k in keys}


def _equal(a, b):
    if isinstance(a, dict) and all(isinstance(x, np.ndarray) for x in a.values()):
        assert a.keys() == b.keys()
        assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    else:
        assert a == b


KINDS = ["render", "render", "surface", "surface", "resumed", "simulate", "notebook",
         "notebook"]


def _kill_a_job_midway(tmp):
    """A `landscape surface --job-dir` killed with SIGKILL once some blocks are on disk: the
    resumed process of the batch picks it up."""
    cache = tmp / "kill-cache"
    p = _run("resumed", cache, tmp, "killed")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 600:
        done = [n for n in (os.listdir(tmp / "job") if (tmp / "job").exists() else [])
                if "block" in n and not n.startswith(".")]      # published blocks only
        if done or p.poll() is not None:
            break
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait(60)


def test_eight_processes_of_five_kinds_on_one_empty_cache(tmp_path):
    """Renders (dry runs), surfaces, a resumed job, a simulation and notebook-style
    `ls.compute`, eight at once on one empty cache, one of them killed with SIGKILL midway and
    restarted: all exit 0, and each result equals a lone run's bit for bit."""
    (tmp_path / "shared.py").write_text(SCENE)
    lone = {}
    for kind in dict.fromkeys(KINDS):
        p = _run(kind, tmp_path / "lone-cache", tmp_path, f"lone-{kind}",
                 programs_in_cache=False)   # the references: only the eight share a cold cache
        lone[kind] = _result(kind, p, tmp_path, f"lone-{kind}")
    import shutil

    shutil.rmtree(tmp_path / "job", ignore_errors=True)
    _kill_a_job_midway(tmp_path)
    cache = tmp_path / "cache"
    procs = [(k, _run(k, cache, tmp_path, f"p{i}-{k}"), f"p{i}-{k}") for i, k in enumerate(KINDS)]
    time.sleep(3)                       # all started; kill one midway and start it again
    k, victim, name = procs[6]
    victim.send_signal(signal.SIGKILL)
    victim.wait(60)
    procs[6] = (k, _run(k, cache, tmp_path, name), name)
    for kind, p, name in procs:
        _equal(_result(kind, p, tmp_path, name), lone[kind])
