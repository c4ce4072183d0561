"""Can this machine render? Offscreen by default without a display; a clear line if not at all.

VTK does not raise when OpenGL is missing: it segfaults when it opens a render window (and
``SupportsOpenGL()`` says yes even then). So the first `Stage` of a process renders a tiny
image in a subprocess; a crash there becomes one `LandscapeError` naming what to install.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings

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

EGL = "vtkEGLRenderWindow"
_probed: dict[bool, str | None] = {}


@contextlib.contextmanager
def quiet_fork():
    """Silence JAX's "os.fork() was called" warning for a fork that is followed by exec
    (a probe or an encoder subprocess), which is safe."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")
        yield


def default_off_screen() -> bool:
    """Offscreen unless a display is available (X11 or Wayland; always on-screen elsewhere)."""
    if os.environ.get("LANDSCAPE_OFF_SCREEN"):
        return os.environ["LANDSCAPE_OFF_SCREEN"] not in ("0", "false", "no")
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def check_rendering(off_screen: bool = True, timeout: float = 60.0) -> None:
    """Render a 16×16 image in a subprocess once per process; raise a one-line
    `LandscapeError` if it crashes or fails. Set ``LANDSCAPE_SKIP_RENDER_PROBE=1`` to skip.

    Offscreen without a display, EGL is tried first and kept when it works, so VTK does not
    open (and warn about) an X connection on every run."""
    if os.environ.get("LANDSCAPE_SKIP_RENDER_PROBE"):
        return
    if off_screen not in _probed:
        err = None
        want_egl = (off_screen and sys.platform.startswith("linux")
                    and "VTK_DEFAULT_OPENGL_WINDOW" not in os.environ
                    and not os.environ.get("DISPLAY"))
        if want_egl:
            err = _probe(off_screen, timeout, {"VTK_DEFAULT_OPENGL_WINDOW": EGL})
            if err is None:
                os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = EGL
        if not want_egl or err is not None:
            err = _probe(off_screen, timeout)
        _probed[off_screen] = err
    err = _probed[off_screen]
    if err is not None:
        raise LandscapeError(err)


def _probe(off_screen: bool, timeout: float, env: dict | None = None) -> str | None:
    code = _PROBE if off_screen else _PROBE.replace("off_screen=True", "off_screen=False")
    try:
        with quiet_fork():
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return f"{INSTALL_HINT} (a 16×16 test render hung for {timeout:.0f} s)"
    if r.returncode == 0 and "ok" in r.stdout:
        return None
    if "No module named" in r.stderr:
        return "pyvista/vtk are not installed: pip install pyvista vtk"
    how = f"signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
    return f"{INSTALL_HINT} (a 16×16 test render failed: {how})"
