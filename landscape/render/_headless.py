"""Can this machine render, and where: a window on a display, or offscreen.

Decided by what actually fails, never by a check that itself fails where rendering works:

* With ``DISPLAY`` set (Linux and the BSDs), the X server is asked directly through libX11
  (ctypes, a few milliseconds). A ``DISPLAY`` where no server answers is one clear
  `LandscapeError` for a window, and offscreen rendering for a video.
* VTK does not raise when OpenGL is missing: it segfaults when it opens a render window (and
  ``SupportsOpenGL()`` says yes even then). So once per process and mode a 16×16 render runs
  in a subprocess — through the display's GLX in a hidden window when a window is wanted,
  through EGL (then whatever VTK picks) offscreen — and a crash there becomes one line naming
  what to install. `start_probe` starts it early, so it runs while the surfaces compute.

``LANDSCAPE_SKIP_RENDER_PROBE=1`` skips the subprocess; ``LANDSCAPE_OFF_SCREEN=1/0`` forces
the mode.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import subprocess
import sys
import time
import warnings

from landscape.errors import LandscapeError

INSTALL_HINT = ("VTK cannot render on this machine: install the OpenGL libraries "
                "(Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri)")

_PROBE_OFFSCREEN = """
import pyvista as pv
pl = pv.Plotter(off_screen=True, window_size=(16, 16))
pl.add_mesh(pv.Sphere())
img = pl.screenshot()
assert img.shape[:2] == (16, 16), img.shape
pl.close()
print("ok")
"""

# A hidden window on the display: opens the same GLX context a real window would, draws one
# frame, and says which render window class VTK chose (an X one, or it fell back elsewhere).
_PROBE_WINDOW = """
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (registers the OpenGL render windows)
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow
rw = vtkRenderWindow()
rw.SetOffScreenRendering(1)
rw.SetSize(16, 16)
rw.AddRenderer(vtkRenderer())
rw.Render()
print("ok", rw.GetClassName())
rw.Finalize()
"""

EGL = "vtkEGLRenderWindow"
_probed: dict[bool, str | None] = {}
_pending: dict[bool, subprocess.Popen] = {}
_display_ok: dict[str, bool] = {}
_held_displays: dict[str, int] = {}   # see display_answers: kept open, never closed


@contextlib.contextmanager
def quiet_fork():
    """Silence JAX's "os.fork() was called" warning for a fork that is followed by exec
    (a probe or an encoder subprocess), which is safe."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")
        yield


# ------------------------------------------------------------------ the X display


def uses_x11() -> bool:
    """Whether VTK opens its windows through X11 here (Linux and the BSDs)."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def display_name() -> str | None:
    """The X display a window would open on (``$DISPLAY``); None where there is none or where
    windows are not X11 windows (macOS, Windows)."""
    return (os.environ.get("DISPLAY") or None) if uses_x11() else None


def libx11():
    """libX11 through ctypes (the same library VTK loads), or None when it is not installed."""
    if not hasattr(libx11, "lib"):
        lib = None
        for name in ("libX11.so.6", ctypes.util.find_library("X11")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is not None:
            lib.XOpenDisplay.restype = ctypes.c_void_p
            lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
            lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        libx11.lib = lib
    return libx11.lib


def display_answers(name: str | None = None, tries: int = 4) -> bool:
    """True when an X server answers on display ``name`` (default ``$DISPLAY``).

    The first connection that answers is kept open for the life of the process. An X server
    started without ``-noreset`` (Xvfb, xvfb-run) resets whenever its last client leaves, and
    refuses connections while it resets (measured: 6% of concurrent connects to a resetting
    Xvfb fail, none with ``-noreset``). Closing this check's connection would make the probe's
    and VTK's own connects, moments later, race that reset: VTK then says "bad X server
    connection" and segfaults. Held open, the server never sees its last client leave while
    this process lives. A refused connect is retried a few times (another client leaving may
    have just reset the server) before the display counts as dead."""
    name = name or display_name()
    if not name:
        return False
    if name not in _display_ok:
        lib = libx11()
        d = None
        for attempt in range(tries if lib is not None else 0):
            d = lib.XOpenDisplay(name.encode())
            if d or attempt == tries - 1:
                break
            time.sleep(0.15)
        if d:
            _held_displays[name] = d
        _display_ok[name] = bool(d)
    return _display_ok[name]


def require_display() -> None:
    """Raise a one-line `LandscapeError` unless a window can open on a display here."""
    if os.environ.get("LANDSCAPE_OFF_SCREEN", "0") not in ("0", "false", "no"):
        raise LandscapeError("the interactive window needs a display and LANDSCAPE_OFF_SCREEN "
                             "forbids one; render a video instead (landscape render FILE)")
    if not uses_x11():
        return  # macOS and Windows: VTK opens a native window; the probe tells if it cannot
    name = display_name()
    if not name:
        hint = (" (this is a Wayland session without Xwayland: VTK's windows need X11)"
                if os.environ.get("WAYLAND_DISPLAY") else "")
        raise LandscapeError("the interactive window needs a display and DISPLAY is not set"
                             f"{hint}; render a video instead (landscape render FILE), or "
                             "run under xvfb-run")
    if libx11() is None:
        raise LandscapeError("libX11 is not installed, so no window can open (Debian/Ubuntu: "
                             "apt-get install libx11-6)")
    if not display_answers(name):
        raise LandscapeError(f"cannot open the display {name!r}: DISPLAY is set but no X "
                             "server answers there (is the desktop or Xvfb running? "
                             "ssh -X, or unset DISPLAY and render a video instead)")


def allow_window(env=None) -> None:
    """Drop an EGL choice from ``env`` (default: this process's environment): EGL renders
    offscreen only, and this process (or the one that started it) may have chosen it for
    videos."""
    env = os.environ if env is None else env
    if env.get("VTK_DEFAULT_OPENGL_WINDOW") == EGL:
        del env["VTK_DEFAULT_OPENGL_WINDOW"]


def default_off_screen() -> bool:
    """Offscreen unless a working display is available (always on-screen on macOS/Windows)."""
    if os.environ.get("LANDSCAPE_OFF_SCREEN"):
        return os.environ["LANDSCAPE_OFF_SCREEN"] not in ("0", "false", "no")
    if uses_x11():
        return not display_answers()
    return False


# ------------------------------------------------------------------ the probe


def start_probe(off_screen: bool, timeout: float = 60.0) -> None:
    """Start the render probe for ``off_screen`` in the background (once per process);
    `check_rendering` collects it."""
    if os.environ.get("LANDSCAPE_SKIP_RENDER_PROBE") or off_screen in _probed \
            or off_screen in _pending:
        return
    env = dict(os.environ)
    if off_screen:
        if _want_egl():
            env["VTK_DEFAULT_OPENGL_WINDOW"] = EGL
        code = _PROBE_OFFSCREEN
    else:
        allow_window(env)
        code = _PROBE_WINDOW
    with quiet_fork():
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    p.landscape_timeout = timeout
    p.landscape_egl = env.get("VTK_DEFAULT_OPENGL_WINDOW") == EGL and off_screen
    _pending[off_screen] = p


def _want_egl() -> bool:
    """Offscreen on Linux without a working display: try EGL first, so VTK does not open (and
    warn about) an X connection on every run."""
    return (uses_x11() and "VTK_DEFAULT_OPENGL_WINDOW" not in os.environ
            and not display_answers())


def check_rendering(off_screen: bool = True, timeout: float = 60.0) -> None:
    """Raise a one-line `LandscapeError` if VTK cannot render in this mode (the probe runs
    once per process and mode; see the module docstring)."""
    if os.environ.get("LANDSCAPE_SKIP_RENDER_PROBE"):
        if not off_screen:
            require_display()
        return
    if not off_screen:
        require_display()
    if off_screen not in _probed:
        start_probe(off_screen, timeout)
        p = _pending.pop(off_screen)
        err = _collect(p, off_screen)
        if err is not None and p.landscape_egl:        # EGL failed: let VTK pick
            with quiet_fork():
                q = subprocess.Popen([sys.executable, "-c", _PROBE_OFFSCREEN],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            q.landscape_timeout, q.landscape_egl = timeout, False
            err = _collect(q, off_screen)
        elif err is None and p.landscape_egl:
            os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = EGL
        _probed[off_screen] = err
    err = _probed[off_screen]
    if err is not None:
        raise LandscapeError(err)


def _collect(p: subprocess.Popen, off_screen: bool) -> str | None:
    try:
        out, errs = p.communicate(timeout=p.landscape_timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return f"{INSTALL_HINT} (a 16×16 test render hung for {p.landscape_timeout:.0f} s)"
    if p.returncode == 0 and out.startswith("ok"):
        cls = out.split()[1] if len(out.split()) > 1 else ""
        if not off_screen and uses_x11() and cls and "X" not in cls:
            return (f"VTK could not open an OpenGL window on the display {display_name()!r} "
                    f"(it fell back to {cls}); install the OpenGL libraries (Debian/Ubuntu: "
                    "apt-get install libgl1 libgl1-mesa-dri)")
        return None
    if "No module named" in errs:
        return "pyvista/vtk are not installed: pip install pyvista vtk"
    how = f"signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
    where = "offscreen" if off_screen else f"on the display {display_name()!r}"
    return f"{INSTALL_HINT} (a 16×16 test render {where} failed: {how})"


# ------------------------------------------------------------------ a window's life on X


_handlers: list = []       # the ctypes callbacks must outlive every X call


class DisplayWatch:
    """Our own connection to the window's X display, to notice a window destroyed from
    outside (``xdotool windowclose``, a crashed window manager) that VTK never reports.

    Creating one installs process-wide X error handlers: protocol errors are ignored (VTK's
    own, e.g. destroying a window that is already gone, would otherwise end the process with
    "X Error of failed request" and status 1), and a connection lost to a display that went
    away ends in one line, ``landscape: error: ...``, and exit status 2. Elsewhere than X11
    it does nothing."""

    def __init__(self, name: str | None = None):
        self.name = name or display_name()
        self.lib = libx11() if self.name else None
        self.dpy = None
        self.errors = 0
        if self.lib is None:
            return
        lib = self.lib
        err_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        io_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)

        def on_error(_dpy, _event):
            self.errors += 1
            return 0

        def on_io_error(_dpy):
            try:
                sys.stdout.flush()
            finally:
                os.write(2, f"landscape: error: lost the connection to the display "
                            f"{self.name!r} (the X server went away)\n".encode())
                os._exit(2)
            return 0  # never reached: Xlib exits if an IO error handler returns

        cbs = (err_t(on_error), io_t(on_io_error))
        _handlers.append(cbs)
        lib.XSetErrorHandler.argtypes = [err_t]
        lib.XSetIOErrorHandler.argtypes = [io_t]
        lib.XSetErrorHandler(cbs[0])
        lib.XSetIOErrorHandler(cbs[1])
        lib.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        lib.XGetWindowAttributes.restype = ctypes.c_int
        self.dpy = lib.XOpenDisplay(self.name.encode()) or None
        self._attrs = ctypes.create_string_buffer(512)   # XWindowAttributes is ~136 bytes

    def window_exists(self, window_id: int) -> bool:
        """False once the X window ``window_id`` is gone (True where it cannot be told)."""
        if self.dpy is None or not window_id:
            return True
        return bool(self.lib.XGetWindowAttributes(self.dpy, window_id, self._attrs))

    def close(self) -> None:
        if self.dpy is not None:
            self.lib.XCloseDisplay(self.dpy)
            self.dpy = None


def window_id(render_window) -> int:
    """The native window id of a VTK render window (0 when it has none)."""
    raw = render_window.GetGenericWindowId()
    if isinstance(raw, int):
        return raw
    try:                      # VTK's pointer strings look like '_0000000000400002_p_void'
        return int(str(raw).split("_")[1], 16)
    except (IndexError, ValueError):
        return 0
