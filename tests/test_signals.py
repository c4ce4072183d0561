"""A signal's exception can be lost: Python prints an exception raised in a finalizer
(``__del__``, a weakref callback) and carries on, and VTK does the same for its callbacks. A
SIGTERM that lands there must still stop the command: the CLI's handler records the signal, and
safe points (every frame written, every block of a surface, the end of a command) raise it
again. Seen in CI: a render sent SIGTERM mid-video finished and exited 0."""

import os
import signal

import numpy as np
import pytest

from landscape import errors


class _SignalsOnCollection:
    """An object whose finalizer receives a signal, as a VTK or JAX object's might."""

    def __init__(self, signum):
        self.signum = signum

    def __del__(self):
        os.kill(os.getpid(), self.signum)
        sum(range(1000))   # the handler runs at the next bytecode boundary, inside __del__


@pytest.fixture
def handlers():
    errors.SIGNALLED.clear()
    old = {s: signal.signal(s, errors.on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for s, h in old.items():
        signal.signal(s, h)
    errors.SIGNALLED.clear()


@pytest.mark.parametrize("signum,kind", [(signal.SIGTERM, errors.Terminated),
                                         (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_swallowed_by_a_finalizer_is_raised_at_the_next_safe_point(handlers, signum,
                                                                            kind, capsys):
    errors.raise_if_signalled()                     # nothing pending: nothing raised
    obj = _SignalsOnCollection(signum)
    hook = os.sys.unraisablehook
    os.sys.unraisablehook = errors.quiet_unraisable
    try:
        del obj                                     # the exception is lost in __del__ ...
    finally:
        os.sys.unraisablehook = hook
    assert signum in errors.SIGNALLED
    assert "Traceback" not in capsys.readouterr().err   # ... and not printed
    with pytest.raises(kind):
        errors.raise_if_signalled()                 # ... but raised here


def test_a_video_whose_signal_was_swallowed_stops_and_leaves_nothing(handlers, tmp_path):
    from landscape.render import VideoWriter

    out = tmp_path / "v.mp4"
    w = VideoWriter(str(out), size=(64, 48), fps=2)
    frame = np.zeros((48, 64, 3), np.uint8)
    w.write(frame)
    obj = _SignalsOnCollection(signal.SIGTERM)
    hook = os.sys.unraisablehook
    os.sys.unraisablehook = errors.quiet_unraisable
    try:
        del obj
    finally:
        os.sys.unraisablehook = hook
    with pytest.raises(errors.Terminated):
        w.write(frame)
    assert os.listdir(tmp_path) == []               # no video, no .part file
