"""User-facing errors.

A `LandscapeError` is something the user caused (a bad name, a bad number, a missing file).
The CLI prints its message as one line and exits non-zero; it never shows a traceback.
"""


class LandscapeError(Exception):
    """An error a user can cause and fix; its message says what to do."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the command line's handler where Ctrl-C raises `KeyboardInterrupt`
    (a subclass, so every clean-up that Ctrl-C runs runs for it too); exit status 143."""


# The signals the command line's handler has seen in this process. A handler's exception can be
# lost: when the signal lands while VTK runs a Python callback (a render, a screenshot), VTK
# prints the exception and carries on. Code at a safe point asks `raise_if_signalled`.
SIGNALLED: set = set()


def on_signal(signum, frame):
    """Signal handler for SIGTERM and SIGINT: remember the signal, then raise `Terminated`
    (SIGTERM) or `KeyboardInterrupt` (SIGINT)."""
    import signal

    SIGNALLED.add(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def quiet_unraisable(unraisable) -> None:
    """`sys.unraisablehook` for the command line: a signal's exception that landed in a
    finalizer (``__del__``, a weakref callback) is not printed as a traceback; the signal is
    recorded and `raise_if_signalled` raises it again. Anything else is printed as usual."""
    import sys

    if isinstance(unraisable.exc_value, KeyboardInterrupt) and SIGNALLED:
        return
    sys.__unraisablehook__(unraisable)


def raise_if_signalled() -> None:
    """Raise what `on_signal` raised if a signal arrived and its exception was swallowed."""
    import signal

    if signal.SIGTERM in SIGNALLED:
        raise Terminated()
    if signal.SIGINT in SIGNALLED:
        raise KeyboardInterrupt()


def choice(kind: str, value: str, valid) -> str:
    """Return `value` if it is one of `valid`, else raise a LandscapeError listing them."""
    valid = list(valid)
    if value not in valid:
        raise LandscapeError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
    return value
