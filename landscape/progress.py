"""Progress reporting, in one place: a tqdm bar on a terminal or in a notebook, nothing in a
pipe or a log file, and never for work that ends before a person would wonder.

    >>> bar = progress_bar(100, None, est_seconds=30, desc="surface")   # doctest: +SKIP
    >>> bar.update(1); bar.close()                                      # doctest: +SKIP

Protocol. Work that takes a while reports *events*, not text: a phase (``"surface"``,
``"balls"``, ``"timelapse"``, ...) starts, advances, ends, with its name, which item it is
(``item`` of ``n_items``, e.g. the landscape), a label for people and counts. Anything that
shows progress (the notebook's bar, the window's messages, a test) subscribes with a callable
``listener(event)``; log lines stay for people and nothing parses them.

    >>> seen = []
    >>> events = Events(seen.append)
    >>> events.start("surface", item=0, n_items=1, label="tiny")
    >>> events.end("surface", item=0, n_items=1, label="tiny")
    >>> [(e.kind, e.phase) for e in seen]
    [('start', 'surface'), ('end', 'surface')]
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable

#: work estimated to take less than this is not worth a bar
MIN_SECONDS = 2.0

EVENT_KINDS = ("start", "advance", "end")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """One step of a phase of work.

    Attributes:
      kind: ``"start"``, ``"advance"`` or ``"end"``.
      phase: what is being done (``"surface"``, ``"balls"``, ``"timelapse"``, ...).
      item, n_items: which of how many (a scene's landscapes), or None.
      label: for people (a landscape's title).
      done, total: units of the phase done so far and in all (steps, blocks), or None.
      unit: what ``done`` counts (``"block"``, ``"step"``, ``"point"``).
      estimate: on ``start``, the seconds the whole phase is expected to take (None: unknown);
        a bar shows only for work estimated at `MIN_SECONDS` or more.
    """

    kind: str
    phase: str
    item: int | None = None
    n_items: int | None = None
    label: str = ""
    done: int | None = None
    total: int | None = None
    unit: str = ""
    estimate: float | None = None


class Events:
    """Sends each `Event` to its listeners (callables taking one event); with none it does
    nothing, so code reports progress unconditionally."""

    def __init__(self, *listeners: Callable[[Event], None]):
        self.listeners = [f for f in listeners if f is not None]

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[Event], None]:
        self.listeners.append(listener)
        return listener

    def emit(self, kind: str, phase: str, **fields) -> None:
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind {kind!r} is not one of {EVENT_KINDS}")
        if self.listeners:
            e = Event(kind=kind, phase=phase, **fields)
            for f in list(self.listeners):
                f(e)

    def start(self, phase: str, **fields) -> None:
        self.emit("start", phase, **fields)

    def advance(self, phase: str, **fields) -> None:
        self.emit("advance", phase, **fields)

    def end(self, phase: str, **fields) -> None:
        self.emit("end", phase, **fields)


def as_events(events) -> Events:
    """``events`` as an `Events`: an `Events` itself, a single listener, or None (no one)."""
    if isinstance(events, Events):
        return events
    return Events() if events is None else Events(events)


def with_bars(events, enabled: bool | None) -> Events:
    """``events``' listeners plus `Bars` (``enabled`` as in `progress_bar`): how work reports to
    its caller and draws its terminal or notebook bar through one channel."""
    return Events(*as_events(events).listeners, Bars(enabled))


class Bars:
    """A listener that draws a tqdm bar for each phase that starts with a ``total`` (and, with
    ``enabled=None``, an ``estimate`` of `MIN_SECONDS` or more, where a person watches: the
    rule of `progress_bar`); ``advance`` events move it to their ``done``, ``end`` closes it.
    The terminal's bars and the notebook's follow the same events as any other listener."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, e: Event) -> None:
        key = (e.phase, e.item)
        if e.kind == "start":
            if e.total:
                bar = progress_bar(e.total, self.enabled, e.estimate or 0.0,
                                   desc=e.label or e.phase, unit=e.unit or "it")
                if bar is not None:
                    self.bars[key] = bar
            return
        bar = self.bars.get(key)
        if bar is None:
            return
        if e.done is not None and e.done > bar.n:
            bar.update(e.done - bar.n)
        if e.kind == "end":
            bar.close()
            del self.bars[key]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is not a terminal but a bar still renders)."""
    ip = sys.modules.get("IPython")
    if ip is None or "ipykernel" not in sys.modules:
        return False
    try:
        shell = ip.get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def interactive() -> bool:
    """Whether a person is watching: a terminal on stderr, or a notebook."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


def progress_bar(total: int, enabled: bool | None, est_seconds: float, desc: str,
                 unit: str = "block"):
    """A tqdm bar, or ``None`` when none should show.

    ``enabled``: ``True`` always shows one, ``False`` never, ``None`` shows one only where a
    person is watching (`interactive`) and the work is estimated at ``MIN_SECONDS`` or more.
    In a notebook the bar is ``tqdm.auto``'s widget (falling back to text)."""
    if enabled is False or total <= 1:
        return None
    if enabled is None and (not interactive() or est_seconds < MIN_SECONDS):
        return None
    if in_notebook():
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)


class Ticking:
    """A bar over a few long steps (phases) whose clock keeps moving during each: a thread
    redraws it twice a second. ``bar`` is None where no bar should show (`progress_bar`'s
    rule, with ``est_seconds``); `describe`, `advance` and `close` are then no-ops."""

    def __init__(self, total: int, enabled: bool | None, est_seconds: float, desc: str,
                 unit: str = "phase"):
        import threading

        self.bar = None
        if enabled is False or (enabled is None and (not interactive()
                                                     or est_seconds < MIN_SECONDS)):
            return
        if in_notebook():
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
        self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr,
                        bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}]")
        self._stop = threading.Event()
        threading.Thread(target=self._tick, daemon=True).start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self.bar.refresh()

    def describe(self, desc: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(desc, refresh=True)

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self._stop.set()
            self.bar.close()
            self.bar = None
