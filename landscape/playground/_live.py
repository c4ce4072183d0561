"""The playground behind a live face (`landscape play`'s window): the knobs as panel rows,
a key press or a slider position turned into a value, a change applied off the face's thread
(the new balls compiled before they are shown), the one terminal line that names it.

The window (`landscape.render.open_play_window`) holds a `Live` and calls it; this module
knows nothing of VTK. `apply` blocks (it runs on the window's worker thread); everything else
is cheap and runs on the window's thread.
"""

from __future__ import annotations

import time

from landscape.errors import LandscapeError
from landscape.playground._knobs import (
    BALL_CONTROLS,
    CONTROLS,
    KEYS,
    LABELS,
    at_position,
    cannot_apply,
    current,
    position,
    step_value,
)


def show_value(knob: str, value) -> str:
    """A knob's value as the panel and the terminal write it."""
    if value is None:
        return "full" if knob == "batch_size" else "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Live:
    """A `Playground` (built with ``simulate=False``) as the window steers it."""

    def __init__(self, pg):
        self.pg = pg
        self.keys, self.labels = dict(KEYS), dict(LABELS)   # knob → the window's key, its name
        self._n_data = {}
        self._why = {}            # (state, view, knob, value) → reason: the panel asks often

    @property
    def n_views(self) -> int:
        return self.pg.n_views

    def knobs(self, view: int = 0) -> list[str]:
        """The knobs that apply to view ``view``, in the panel's order."""
        out = []
        for k in CONTROLS:
            try:
                current(self.pg, view, k)
            except (AttributeError, IndexError):
                continue
            out.append(k)
        return out

    def n_data(self, view: int) -> int:
        if view not in self._n_data:
            self._n_data[view] = int(self.pg.config(view).build_data().x_eval.shape[0])
        return self._n_data[view]

    def value(self, view: int, knob: str):
        return current(self.pg, view, knob)

    def row(self, view: int, knob: str, value=None) -> dict:
        """What the panel draws for ``knob``: ``label``, ``key``, ``kind`` (dropdown, toggle,
        int, log), ``text`` (the value), ``pos`` (a slider's 0..1, else None) and
        ``reason`` (why the next value a key would give cannot apply, or None)."""
        value = self.value(view, knob) if value is None else value
        kind = CONTROLS[knob][0]
        slider = kind in ("int", "log")
        nxt = self.step(view, knob, +1, value)
        reason = None if nxt == value else self.why(view, knob, nxt)
        return {"knob": knob, "label": LABELS[knob], "key": KEYS[knob], "kind": kind,
                "text": show_value(knob, value),
                "pos": position(knob, value, self.n_data(view)) if slider else None,
                "reason": reason and f"{show_value(knob, nxt)}: {reason}",
                "ball": knob in BALL_CONTROLS}

    def step(self, view: int, knob: str, direction: int, value=None):
        value = self.value(view, knob) if value is None else value
        return step_value(knob, value, direction, self.n_data(view))

    def at(self, view: int, knob: str, x: float):
        return at_position(knob, x, self.n_data(view))

    def why(self, view: int, knob: str, value) -> str | None:
        """Why ``knob = value`` cannot apply in view ``view``, or None (remembered for the
        current state: validating builds the dataset, and the panel asks for every row)."""
        key = (self.pg.source(), view, knob, repr(value))
        if key not in self._why:
            if len(self._why) > 4096:
                self._why.clear()
            self._why[key] = cannot_apply(self.pg, view, knob, value, self.n_data(view))
        return self._why[key]

    def apply(self, view: int, changes: dict) -> dict:
        """Set ``changes`` (knob → value) on view ``view`` and compile the new balls' first
        step, blocking. Returns ``ok``, ``line`` (the terminal line: ``activation: relu → tanh,
        surface in 1.3 s``), ``seconds``; a change that cannot apply: ``ok`` False, the state
        as it was, ``line`` saying why."""
        t0 = time.perf_counter()
        olds = {k: self.value(view, k) for k in changes}
        try:
            self.pg.set(view, **changes)
        except Exception as e:     # the window stays up whatever a combination does
            why = str(e) if isinstance(e, LandscapeError) else f"{type(e).__name__}: {e}"
            why = why.splitlines()[0] if why else type(e).__name__
            what = ", ".join(f"{LABELS[k]} = {show_value(k, v)}" for k, v in changes.items())
            return {"ok": False, "line": f"{what} cannot apply: {why}", "seconds": 0.0,
                    "knobs": dict(changes), "reason": why}
        for r in self.pg.computed.runs:           # compile now, not on the first frame
            r.simulator.advance(1)
            r.simulator.reset()
        seconds = time.perf_counter() - t0
        what = ", ".join(f"{LABELS[k]}: {show_value(k, olds[k])} → {show_value(k, v)}"
                         for k, v in changes.items())
        part = "balls" if all(k in BALL_CONTROLS for k in changes) else "surface"
        return {"ok": True, "line": f"{what}, {part} in {seconds:.1f} s", "seconds": seconds,
                "knobs": dict(changes)}

    def sources(self) -> list:
        """The views' live simulators (one per view), at step 0."""
        return [r.simulator for r in self.pg.computed.runs]

    def restage(self, stage) -> None:
        """Draw the current state on ``stage`` (the window's thread)."""
        from landscape.scene import restage

        restage(stage, self.pg.computed)
