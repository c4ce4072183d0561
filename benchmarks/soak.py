"""Long sessions stay flat: resident memory over time for the three ways people keep one process
busy for long (issue 19).

    python benchmarks/soak.py render   [--n 200]      # N renders of a scene in one process
    python benchmarks/soak.py notebook [--n 50]       # N scenes computed one after another
    python benchmarks/soak.py window   [--minutes 30] # `landscape show` playing on Xvfb

Each prints the float32 matmul peak measured in the same run (the machine's own ceiling), then
one line per sample: elapsed seconds, the iteration, resident memory (``VmRSS`` of the process
doing the work, MiB). The verdict compares the last quarter of the samples with the first
quarter (after the first iteration, which compiles and builds caches): ``ratio`` = the largest
RSS of the last quarter / the median RSS of the first quarter; flat means ratio ≤ 1.2.

``render`` and ``notebook`` run in this process (``ls.compute(...).render(...)``, the notebook's
calls); ``window`` runs the real program on a private Xvfb and reads its ``/proc/PID/status``.
Quality ``tiny`` and a small scene keep an iteration short; ``--scene`` picks another.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
HERE = os.path.dirname(os.path.abspath(__file__))
SCENES = sorted(os.path.join(HERE, "..", "scenes", f)
                for f in os.listdir(os.path.join(HERE, "..", "scenes")) if f.endswith(".py")
                and not f.startswith("_"))
BIN = os.path.join(os.path.dirname(sys.executable), "landscape")


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory now (``VmRSS``), MiB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def verdict(samples: list[tuple[float, int, float]]) -> dict:
    """Ratio of the last quarter's largest RSS to the first quarter's median (iteration 0,
    compiling, left out)."""
    rows = [s for s in samples if s[1] > 0] or samples
    q = max(1, len(rows) // 4)
    first = statistics.median(r[2] for r in rows[:q])
    last = max(r[2] for r in rows[-q:])
    return {"first_mib": first, "last_mib": last, "ratio": last / first,
            "flat": last / first <= 1.2, "samples": len(samples)}


def report(name: str, samples, extra: str = "") -> None:
    v = verdict(samples)
    print(f"{name}: {v['samples']} samples; first quarter median {v['first_mib']:.0f} MiB, last "
          f"quarter max {v['last_mib']:.0f} MiB: ratio {v['ratio']:.3f} "
          f"({'flat' if v['flat'] else 'GROWS'}, limit 1.2){extra}", flush=True)


def soak_render(n: int, scene: str) -> list:
    import landscape as ls

    out_dir = tempfile.mkdtemp(prefix="soak-render-")
    samples, t0 = [], time.monotonic()
    for i in range(n):
        r = ls.compute(ls.load_scene(scene, quality="tiny"), progress=False)
        r.render(os.path.join(out_dir, "out.mp4"))
        samples.append((time.monotonic() - t0, i, rss_mib()))
        print(f"  {samples[-1][0]:7.1f} s  render {i + 1:4d}  {samples[-1][2]:7.1f} MiB",
              flush=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    return samples


def soak_notebook(n: int) -> list:
    import landscape as ls

    samples, t0 = [], time.monotonic()
    for i in range(n):
        scene = SCENES[i % len(SCENES)]
        ls.compute(ls.load_scene(scene, quality="tiny"), progress=False)
        samples.append((time.monotonic() - t0, i, rss_mib()))
        print(f"  {samples[-1][0]:7.1f} s  scene {i + 1:3d} {os.path.basename(scene):24s} "
              f"{samples[-1][2]:7.1f} MiB", flush=True)
    return samples


def soak_window(minutes: float, scene: str) -> list:
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    n = next(k for k in range(150, 400) if not os.path.exists(f"/tmp/.X11-unix/X{k}"))
    xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x720x24", "-nolisten", "tcp",
                             "-noreset"], stderr=subprocess.DEVNULL)
    time.sleep(1)
    env = {**os.environ, "DISPLAY": f":{n}"}
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    p = subprocess.Popen([BIN, "show", scene, "-q", "tiny"], env=env, stdout=log,
                         stderr=subprocess.STDOUT)
    try:
        while "first frame" not in open(log.name).read():
            if p.poll() is not None:
                raise SystemExit(f"landscape show exited {p.returncode}:\n"
                                 f"{open(log.name).read()}")
            time.sleep(0.2)
        win = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "landscape"],
                             env=env, capture_output=True, text=True).stdout.split()[0]

        def key(*k):
            subprocess.run(["xdotool", "key", "--window", win, *k], env=env,
                           capture_output=True)
        key("space")                       # play; the scene's end loops back with r
        samples, t0, i = [], time.monotonic(), 0
        while time.monotonic() - t0 < minutes * 60:
            time.sleep(10)
            i += 1
            if i % 6 == 0:                 # every minute, as a teacher replays a scene: the
                key("r", "v", "t", "t")    # balls back to step 0, the next view, trails off/on
            samples.append((time.monotonic() - t0, i, rss_mib(p.pid)))
            print(f"  {samples[-1][0]:7.1f} s  sample {i:4d}  {samples[-1][2]:7.1f} MiB",
                  flush=True)
        key("q")
        p.wait(30)
        return samples
    finally:
        if p.poll() is None:
            p.kill()
        xvfb.terminate()
        os.unlink(log.name)


def main(argv=None) -> int:
    from common import matmul_peak

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("render", "notebook", "window"))
    ap.add_argument("--n", type=int, default=None, help="renders (200) or scenes (50)")
    ap.add_argument("--minutes", type=float, default=30.0, help="window: how long to play")
    ap.add_argument("--scene", default=os.path.join(HERE, "..", "scenes", "local_minima.py"))
    a = ap.parse_args(argv)
    os.environ.setdefault("LANDSCAPE_CACHE", tempfile.mkdtemp(prefix="soak-cache-"))
    peak = matmul_peak()
    print(f"matmul peak this run: {peak['peak_gflops']:.0f} GFLOP/s (float32, best of "
          f"numpy/JAX)", flush=True)
    t0 = time.monotonic()
    if a.mode == "render":
        samples = soak_render(a.n or 200, a.scene)
    elif a.mode == "notebook":
        samples = soak_notebook(a.n or 50)
    else:
        samples = soak_window(a.minutes, a.scene)
    report(a.mode, samples, f"; {time.monotonic() - t0:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
