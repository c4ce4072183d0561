"""User-facing errors.

A `LandscapeError` is something the user caused (a bad name, a bad number, a missing file).
The CLI prints its message as one line and exits non-zero; it never shows a traceback.
"""


class LandscapeError(Exception):
    """An error a user can cause and fix; its message says what to do."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the command line's handler where Ctrl-C raises `KeyboardInterrupt`
    (a subclass, so every clean-up that Ctrl-C runs runs for it too); exit status 143."""


def choice(kind: str, value: str, valid) -> str:
    """Return `value` if it is one of `valid`, else raise a LandscapeError listing them."""
    valid = list(valid)
    if value not in valid:
        raise LandscapeError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
    return value
