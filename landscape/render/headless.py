"""Can this machine render? Offscreen by default without a display; a clear line if not at all.

VTK does not raise when OpenGL is missing: it segfaults when it opens a render window (and
``SupportsOpenGL()`` says yes even then). So the first `Stage` of a process renders a tiny
image in a subprocess; a crash there becomes one `LandscapeError` naming what to install.
"""

from __future__ import annotations

import os
import subprocess
import sys

from landscape.errors import LandscapeError

INSTALL_HINT = ("VTK cannot render on this machine: install the OpenGL libraries "
                "(Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri) or run under xvfb-run")

_PROBE = """
import pyvista as pv
pl = pv.Plotter(off_screen=True, window_size=(16, 16))
pl.add_mesh(pv.Sphere())
img = pl.screenshot()
assert img.shape[:2] == (16, 16), img.shape
pl.close()
print("ok")
"""

_probed: dict[bool, str | None] = {}


def default_off_screen() -> bool:
    """Offscreen unless a display is available (X11 or Wayland; always on-screen elsewhere)."""
    if os.environ.get("LANDSCAPE_OFF_SCREEN"):
        return os.environ["LANDSCAPE_OFF_SCREEN"] not in ("0", "false", "no")
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def check_rendering(off_screen: bool = True, timeout: float = 60.0) -> None:
    """Render a 16×16 image in a subprocess once per process; raise a one-line
    `LandscapeError` if it crashes or fails. Set ``LANDSCAPE_SKIP_RENDER_PROBE=1`` to skip."""
    if os.environ.get("LANDSCAPE_SKIP_RENDER_PROBE"):
        return
    if off_screen not in _probed:
        _probed[off_screen] = _probe(off_screen, timeout)
    err = _probed[off_screen]
    if err is not None:
        raise LandscapeError(err)


def _probe(off_screen: bool, timeout: float) -> str | None:
    code = _PROBE if off_screen else _PROBE.replace("off_screen=True", "off_screen=False")
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{INSTALL_HINT} (a 16×16 test render hung for {timeout:.0f} s)"
    if r.returncode == 0 and "ok" in r.stdout:
        return None
    if "No module named" in r.stderr:
        return "pyvista/vtk are not installed: pip install pyvista vtk"
    how = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    return f"{INSTALL_HINT} (a 16×16 test render failed: {how})"
