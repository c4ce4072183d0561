"""Loss → height and colour: one vertical scale shared by every picture of a surface.

The renderer (`landscape.render`), the web page and 3D files (`landscape.exports`) and the print
figures (`landscape.figures`) all draw ``h = log10(loss)`` or ``h = loss`` with the same rule for
choosing between them (`make_scale`), so a surface looks the same in a video, a page and a
paper. Pure numpy: no PyVista here.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from landscape.errors import LandscapeError


@dataclasses.dataclass
class HeightScale:
    """Loss (nats) → world z. ``h = log10(loss)`` on a log scale, else ``h = loss``, clipped to
    ``[h_lo, h_hi]``; ``z = (h - h_lo) * z_per_h``."""

    lo: float          # loss at the bottom of the scale
    hi: float          # loss at the top (finite maximum of the surface)
    log: bool
    z_per_h: float

    def h(self, loss) -> np.ndarray:
        x = np.asarray(loss, np.float64)
        x = np.where(np.isfinite(x), x, self.hi)
        x = np.clip(x, self.lo, self.hi)
        return np.log10(x) if self.log else x

    @property
    def h_lo(self) -> float:
        return float(np.log10(self.lo)) if self.log else self.lo

    @property
    def h_hi(self) -> float:
        return float(np.log10(self.hi)) if self.log else self.hi

    def z(self, loss) -> np.ndarray:
        return (self.h(loss) - self.h_lo) * self.z_per_h

    @property
    def z_top(self) -> float:
        return (self.h_hi - self.h_lo) * self.z_per_h


def make_scale(loss: np.ndarray, span: float, log_scale: bool | None,
               relief: float = 0.55, loss_range=None) -> HeightScale:
    """A readable vertical scale: the relief is ``relief`` × the horizontal span whatever the
    loss range. ``log_scale=None`` picks log when the finite losses span over three decades.
    ``loss_range=(lo, hi)`` imposes the range (views compared side by side share one, so equal
    heights and colours mean equal losses)."""
    finite = loss[np.isfinite(loss)]
    if finite.size == 0:
        raise LandscapeError("the surface has no finite loss value to draw")
    lo, hi = float(finite.min()), float(finite.max())
    if loss_range is not None:
        lo, hi = float(loss_range[0]), float(loss_range[1])
    if log_scale is None:
        log_scale = lo > 0 and hi / lo > 1e3
    if log_scale:
        pos = finite[finite > 0]
        if loss_range is None or lo <= 0:
            lo = float(pos.min()) if pos.size else 1e-12
        lo = max(lo, hi * 1e-12)
    if hi <= lo:
        hi = lo * 1.01 + 1e-6
    s = HeightScale(lo, hi, bool(log_scale), 1.0)
    s.z_per_h = relief * span / max(s.h_hi - s.h_lo, 1e-12)
    return s


def shared_loss_range(losses) -> tuple[float, float] | None:
    """One (lo, hi) for several surfaces shown side by side, or None if none is finite.

    It spans every view's finite losses, except that one view far above the rest (an N(0, 1)
    network at 1e30) is clipped at 100× the next-highest view's maximum: it is drawn as a
    plateau at the top of the scale instead of flattening every other view to the floor.
    """
    los, his = [], []
    for loss in losses:
        f = np.asarray(loss)[np.isfinite(loss)]
        if f.size:
            los.append(float(f.min()))
            his.append(float(f.max()))
    if not los:
        return None
    his = sorted(his)
    hi = his[-1] if len(his) < 2 else min(his[-1], 100.0 * max(his[-2], 1e-12))
    return min(los), hi


def view_ranges(losses, log_scales, groups=None) -> list[tuple[bool | None,
                                                               tuple[float, float] | None]]:
    """``(log_scale, loss_range)`` for each of several views shown together.

    One view keeps its own choice (``log_scale`` as given, ``None``: `make_scale` decides).
    Views side by side share one height and colour range, so that equal heights mean equal
    losses (a view with its own scale would make a flat plateau look like a healthy bowl);
    where no view insists, they share one log choice: log when the shared range spans over
    two decades. ``groups`` (one key per view, default all the same) shares a range only
    among views with equal keys: two networks compared row by row, each row on its own scale.
    """
    losses, log_scales = list(losses), list(log_scales)
    if groups is not None and len(set(groups)) > 1:
        out: list = [None] * len(losses)
        for key in dict.fromkeys(groups):
            idx = [i for i, g in enumerate(groups) if g == key]
            for i, r in zip(idx, view_ranges([losses[i] for i in idx],
                                             [log_scales[i] for i in idx])):
                out[i] = r
        return out
    if len(losses) < 2:
        return [(log, None) for log in log_scales]
    shared = shared_loss_range(losses)
    shared_log = None
    if shared is not None and all(log is None for log in log_scales):
        shared_log = shared[0] > 0 and shared[1] / shared[0] > 1e2
    return [(log if log is not None else shared_log, shared) for log in log_scales]


def loss_ticks(scale: HeightScale, n: int = 5) -> np.ndarray:
    """Round loss values to label a ``scale`` with, inside ``[lo, hi]``: decades on a log
    scale (with 2 and 5 between them when it spans under two decades, every other decade
    when over eight), about ``n`` round numbers (1, 2, 2.5 or 5 × 10^k apart) on a linear
    one."""
    lo, hi = float(scale.lo), float(scale.hi)
    if scale.log:
        e0, e1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
        mult = (1.0, 2.0, 5.0) if e1 - e0 <= 2 else (1.0,)
        step = 2 if e1 - e0 > 8 else 1
        t = np.array([m * 10.0 ** e for e in range(e0, e1 + 1, step) for m in mult])
        t = t[(t >= lo * (1 - 1e-9)) & (t <= hi * (1 + 1e-9))]
        return t if t.size >= 2 else np.array([lo, hi])
    span = hi - lo
    raw = span / max(n, 1)
    mag = 10.0 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9)),
               default=10 * mag)
    t = np.arange(np.ceil(lo / step - 1e-9) * step, hi + step * 1e-6, step)
    return np.where(np.abs(t) < step * 1e-9, 0.0, t)


def format_loss(x: float) -> str:
    """A loss value as a short label: ``0.001``, ``2.5``, ``1e-05`` → ``1e-5``, ``3e+04`` →
    ``3e4``."""
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return np.format_float_positional(x, precision=3, fractional=False, trim="-")
    m, e = f"{x:.1e}".split("e")
    return f"{m.rstrip('0').rstrip('.')}e{int(e)}"
