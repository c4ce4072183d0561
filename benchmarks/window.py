"""The interactive window as a user meets it: time from `landscape show` to the first frame
(cold cache and cached) and steps per second while playing, per scene, on a private Xvfb.

    python benchmarks/window.py scenes/local_minima.py scenes/initialization.py

Prints the float32 matmul peak measured in the same run first (the machine's own ceiling:
figures from other machines compare only as ratios). Needs Xvfb and xdotool.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
BIN = os.path.join(os.path.dirname(sys.executable), "landscape")


def first_frame(scene: str, env: dict, speeds=(1, 10), play_s: float = 8.0) -> dict:
    t0 = time.monotonic()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    p = subprocess.Popen([BIN, "show", scene], env=env, stdout=log, stderr=subprocess.STDOUT)
    out = ""
    while "first frame" not in out:
        if p.poll() is not None:
            raise SystemExit(f"landscape show exited {p.returncode}:\n{out}")
        time.sleep(0.1)
        out = open(log.name).read()
    ttf = time.monotonic() - t0
    win = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "landscape"],
                         env=env, capture_output=True, text=True).stdout.split()[0]
    key = lambda *k: subprocess.run(["xdotool", "key", "--window", win, *k], env=env,  # noqa
                                    capture_output=True)
    rates = {}
    for speed in speeds:
        # from ×1, "plus" steps through 1 2 5 10 20 50 100
        key(*(["plus"] * {1: 0, 2: 1, 5: 2, 10: 3, 20: 4, 50: 5, 100: 6}[speed]))
        key("r")
        time.sleep(1.0)
        before = open(log.name).read()
        key("space")
        time.sleep(play_s)
        key("space")
        time.sleep(0.5)
        key(*(["minus"] * 6))
        rates[speed] = before
    key("q")
    p.wait(30)
    out = open(log.name).read()
    os.unlink(log.name)
    m = re.search(r"played (\d+) steps in ([\d.]+) s \(([\d.]+) steps/s shown; the simulation "
                  r"took ([\d.]+) s of it, ([\d.]+) steps/s\)", out)
    return {"first_frame_s": ttf, "played": m.groups() if m else None, "log": out}


def main(argv=None) -> int:
    from common import matmul_peak

    scenes = (argv or sys.argv[1:]) or ["scenes/local_minima.py", "scenes/initialization.py"]
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    peak = matmul_peak()
    print(f"matmul peak this run: {peak['peak_gflops']:.0f} GFLOP/s (float32, best of numpy/JAX)")
    n = next(k for k in range(150, 400) if not os.path.exists(f"/tmp/.X11-unix/X{k}"))
    xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                            stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        for scene in scenes:
            cache = tempfile.mkdtemp(prefix="lc-bench-")
            env = {**os.environ, "DISPLAY": f":{n}", "LANDSCAPE_CACHE": cache,
                   "LANDSCAPE_DEBUG_WINDOW": "1"}
            cold = first_frame(scene, env, speeds=())
            warm = first_frame(scene, env, speeds=(1,), play_s=10)
            fast = first_frame(scene, env, speeds=(10,), play_s=10)
            print(f"{scene}: first frame {cold['first_frame_s']:.1f} s cold, "
                  f"{warm['first_frame_s']:.1f} s cached")
            for name, r in (("×1", warm), ("×10", fast)):
                if r["played"]:
                    steps, wall, shown, sim, simrate = r["played"]
                    print(f"  playing at {name}: {steps} steps in {wall} s = {shown} steps/s "
                          f"shown (the simulation alone: {simrate} steps/s)")
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        xvfb.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
