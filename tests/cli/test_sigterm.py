"""Issue 19: SIGTERM (``kill``, a job scheduler, ``timeout``) behaves as Ctrl-C for every long
command: ``landscape: terminated`` as the last line, exit status 143 (128 + 15, as Ctrl-C's
130 is 128 + 2), no traceback, no temporary file left; and a surface job keeps its completed
blocks, so the same command resumes from them and ends bit for bit as a lone run."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_process import TINY_SCENE, landscape

BIG = ["surface", "--widths", "16", "--dataset", "moons", "--grid", "301"]


def start(*args, cache, cwd=None):
    return landscape(*args, cache=cache, cwd=cwd, wait=False)


def run(*args, cache):
    return landscape(*args, cache=cache)


def wait_for(cond, proc, seconds=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def terminate(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, (proc.returncode, err[-3000:])
    assert "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1] == "landscape: terminated", err[-3000:]
    return err


def _blocks(cache):
    jobs = cache / "jobs"
    if not jobs.is_dir():
        return []
    return [n for d in os.listdir(jobs) if (jobs / d).is_dir()
            for n in os.listdir(jobs / d) if n.startswith("block-")]


def _grid(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in ("loss", "accuracy", "alphas", "betas")}


def test_a_terminated_surface_resumes_bit_for_bit(tmp_path):
    lone = run(*BIG, "-q", "-o", tmp_path / "lone.npz", cache=tmp_path / "lone-cache")
    assert lone.returncode == 0, lone.stderr[-2000:]
    cache = tmp_path / "cache"
    p = start(*BIG, "-o", tmp_path / "s.npz", cache=cache)
    assert wait_for(lambda: len(_blocks(cache)) >= 2, p), p.communicate()[1][-2000:]
    terminate(p)
    kept = _blocks(cache)
    assert len(kept) >= 2 and not os.path.exists(tmp_path / "s.npz")
    job = cache / "jobs" / os.listdir(cache / "jobs")[0]
    leftovers = [n for n in os.listdir(job) if n.endswith(".tmp")]
    assert leftovers == [], leftovers
    again = run(*BIG, "-o", tmp_path / "s.npz", cache=cache)
    assert again.returncode == 0, again.stderr[-2000:]
    line = [ln for ln in again.stderr.splitlines() if "resuming" in ln]
    assert line and f"{len(kept)} of" in line[0], again.stderr[-2000:]
    a, b = _grid(tmp_path / "lone.npz"), _grid(tmp_path / "s.npz")
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    d = tmp_path_factory.mktemp("sigterm-scene")
    (d / "long.py").write_text(TINY_SCENE.replace("RUN_TIME", "400"))
    (d / "tiny.py").write_text(TINY_SCENE.replace("RUN_TIME", "8"))
    r = run("render", d / "tiny.py", "-q", "tiny", "--dry-run", cache=d / "cache")
    assert r.returncode == 0, r.stderr[-2000:]   # the surface, cached for the renders
    return d


@pytest.mark.parametrize("fmt", ["mp4", "png"])
def test_a_terminated_render_leaves_nothing(scene, tmp_path, fmt):
    """SIGTERM while frames are being written: the partial video (or frames folder) and the
    encoder are gone."""
    out = tmp_path / ("v.mp4" if fmt == "mp4" else "frames")
    p = start("render", scene / "long.py", "-q", "tiny", "--format", fmt, "-o", out,
              cache=scene / "cache")
    assert wait_for(lambda: any(".part" in n for n in os.listdir(tmp_path)), p), \
        p.communicate()[1][-2000:]
    time.sleep(0.5)
    terminate(p)
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)


def test_a_terminated_simulate_leaves_nothing(tmp_path):
    p = start("simulate", "--widths", "8", "--dataset", "moons", "--grid", "5", "--balls",
              "64", "--steps", "200000", "-o", tmp_path / "t.npz", cache=tmp_path / "cache")
    time.sleep(12)   # training and compiling done, or nearly: the balls are rolling
    assert p.poll() is None, p.communicate()[1][-2000:]
    terminate(p)
    assert [n for n in os.listdir(tmp_path) if n != "cache"] == []


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (apt-get install "
                    "xvfb)")
def test_a_terminated_window_closes_like_ctrl_c(scene, tmp_path):
    bin_ = os.path.join(os.path.dirname(sys.executable), "landscape")
    env = dict(os.environ, LANDSCAPE_CACHE=str(scene / "cache"), JAX_PLATFORMS="cpu",
               LANDSCAPE_DEBUG_WINDOW="1")
    env.pop("PYVISTA_OFF_SCREEN", None)
    env.pop("LANDSCAPE_OFF_SCREEN", None)
    log = tmp_path / "show.log"
    script = (f"{bin_} show {scene / 'tiny.py'} -q tiny --size 640x360 > {log} 2>&1 & pid=$!; "
              f"for i in $(seq 900); do grep -q 'first frame' {log} && break; sleep 0.2; done; "
              f"sleep 1; kill -TERM $pid; wait $pid; echo \"status $?\" >> {log}")
    subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "sh", "-c", script],
                   env=env, timeout=300, check=False)
    text = log.read_text()
    assert "first frame" in text, text[-3000:]
    lines = text.strip().splitlines()
    assert lines[-1] == "status 143" and lines[-2] == "landscape: terminated", text[-3000:]
    assert "Traceback" not in text, text[-3000:]
