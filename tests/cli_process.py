"""The CLI as a separate process, as users and job schedulers run it: a tiny scene to render,
and a runner with its own cache folder (for tests of signals, full disks, several processes)."""

import os
import subprocess
import sys

#: a two-layer network on moons, 12 balls; ``RUN_TIME`` is replaced by the seconds of video
TINY_SCENE = '''
from landscape.scene import Roll, Scene


class Tiny(Scene):
    """A two-layer network on moons: a few balls, quick to compute."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(8,), train_steps=60, title="tiny")
        land.balls(name="SGD", n=12, optimizer="sgd", lr=0.5, batch_size=32)
        self.play(Roll(steps=200), run_time=RUN_TIME)
'''


def landscape(*args, cache, cwd=None, wait=True):
    """``python -m landscape.cli *args`` with ``LANDSCAPE_CACHE=cache`` on the CPU: the finished
    `subprocess.CompletedProcess` (text), or with ``wait=False`` the running `Popen`."""
    env = dict(os.environ, LANDSCAPE_CACHE=str(cache), JAX_PLATFORMS="cpu")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)   # the compiled programs in ``cache`` too
    cmd = [sys.executable, "-m", "landscape.cli", *[str(a) for a in args]]
    if not wait:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
