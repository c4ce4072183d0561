"""``landscape play`` as a user meets it: the real program in a real window on Xvfb, driven
with xdotool (a knob's key, a drag on a slider, a click on a row, q, Ctrl-C) and looked at in
real screenshots. Two window sessions in all (CI's time budget); the helpers are
test_window_x11's."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from test_window_x11 import (  # noqa: F401
    MISSING,
    Program,
    changed,
    free_display,
    window_env,
    xserver,
)

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}")

SIZE = (1280, 720)          # the size the panel is designed for (nothing under 11 px)
PANEL_X = SIZE[0] - 300     # the panel's left edge (render._play.PANEL_PX at 1280 × 720)
VIEWS = (0, 60, PANEL_X - 10, SIZE[1] - 60)      # the views, clear of the caption

SCENE = '''
from landscape.scene import Roll, Scene


class TinyPlay(Scene):
    """A small network on moons: quick to recompute after a knob."""

    def construct(self):
        land = self.landscape(dataset="moons", widths=(8, 8), train_steps=40,
                              title="tiny play test")
        land.balls(n=12, optimizer="sgd", lr=0.5, batch_size=32)
        self.play(Roll(steps=100), run_time=2)
'''


def row_y(i: int) -> int:
    """The text line of knob row ``i`` (render._play: header 40 px, rows of 35 px)."""
    return 40 + 35 * i + 10


class Play(Program):
    """``landscape play FILE`` on the test's X server."""

    def __init__(self, env_dir, *args):
        path, self.env, self.dir = env_dir
        self.log = open(self.dir / f"play-{time.monotonic_ns()}.log", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "landscape.cli", "play", path,
                                      "-q", "tiny", "--size", f"{SIZE[0]}x{SIZE[1]}", *args],
                                     cwd=self.dir, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.window = self._wait_window()

    def wait_line(self, text: str, timeout: float = 180) -> str:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            for line in self.output().splitlines():
                if text in line:
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"no line with {text!r}:\n{self.output()}")

    def click(self, x: int, y: int) -> None:
        self.x("mousemove", "--window", self.window, str(x), str(y), "click", "1")


@pytest.fixture(scope="module")
def play_env(tmp_path_factory, xserver):  # noqa: F811
    d = tmp_path_factory.mktemp("play")
    path = d / "tiny_play.py"
    path.write_text(SCENE)
    return str(path), window_env(xserver, d / "cache"), d


def test_knob_keys_sliders_and_rows_change_the_picture_and_q_quits(play_env):
    p = Play(play_env)
    try:
        first = p.shot()
        assert first.shape[:2] == (SIZE[1], SIZE[0])
        # the panel is drawn beside the views: its own background, text in it
        panel = first[:, PANEL_X + 5:]
        assert panel.reshape(-1, 3).std(0).max() > 20, "no panel"

        # a network knob's key: the line names the change; the picture shows it
        p.key("a")
        line = p.wait_line("activation: relu → leaky_relu")
        assert "surface in" in line, line
        time.sleep(1.5)
        after_key = p.shot()
        assert changed(first, after_key, VIEWS) > 200, "the views did not change"

        # a drag on a slider (the learning rate, row 13): released far right, applied
        y = row_y(13) + 15
        p.x("mousemove", "--window", p.window, str(PANEL_X + 150), str(y), "mousedown", "1")
        for k in range(1, 5):
            p.x("mousemove", "--window", p.window, str(PANEL_X + 150 + 25 * k), str(y))
            time.sleep(0.05)
        p.x("mouseup", "1")
        line = p.wait_line("learning rate: 0.5 →")
        assert "balls in" in line, line
        new_lr = float(line.split("→ ")[1].split(",")[0])
        assert new_lr > 0.5, line

        # a click on a toggle's row: batch norm on
        p.click(PANEL_X + 150, row_y(6))
        p.wait_line("batch norm: off → on")
        time.sleep(1.5)
        after_click = p.shot()
        assert changed(after_key, after_click, VIEWS) > 200
        assert changed(after_key, after_click, (PANEL_X, 0, SIZE[0], SIZE[1])) > 50

        # h shows the knobs' keys over the views
        p.key("h")
        time.sleep(0.8)
        helped = p.shot()
        assert changed(after_click, helped, VIEWS) > 2000
        p.key("h")

        p.key("q")
        rc, seconds = p.wait_exit(15)
        out = p.output()
        assert rc == 0 and seconds < 5, out
        assert "Traceback" not in out and "X Error" not in out, out
    finally:
        p.close()


def test_ctrl_c_while_a_change_computes_is_130_without_a_traceback(play_env):
    p = Play(play_env)
    try:
        p.key("w")                        # a new width: a retrain on the worker
        time.sleep(0.5)
        p.proc.send_signal(signal.SIGINT)
        rc, seconds = p.wait_exit(15)
        out = p.output()
        assert rc == 130 and seconds < 5, out
        assert "Traceback" not in out, out
        assert out.rstrip().endswith("landscape: interrupted"), out
    finally:
        p.close()


def test_a_missing_scene_file_is_one_line_status_2(play_env):
    _, env, d = play_env
    r = subprocess.run([sys.executable, "-m", "landscape.cli", "play", "nonexistent.py"],
                       env=env, capture_output=True, text=True, timeout=120, cwd=d)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == ["landscape: error: nonexistent.py: no such scene file"], r.stderr
    assert r.stdout == ""
