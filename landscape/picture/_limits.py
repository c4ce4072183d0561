"""The honest-colour rule for per-layer gradient bars, in the network's own terms (no VTK).

A bar's colour says how its layer's gradient compares with the output layer's
(`landscape.measures` ratio bands: green balanced, blue vanishing, red exploding). A ratio alone
lies when the output layer's gradient is itself absurd: under N(0, 1) weights every layer's norm
is near 1e24 and every ratio is about 1, so every bar would be green. So the ratio bands apply
only inside an absolute band ``[lo, hi]`` of per-layer gradient norms (`GradientLimits`);
outside it a bar is marked whatever its ratio:

- **overflow** — the norm is ``inf``/NaN for any ball shown: red, full height, marked ∞.
- **exploding** — ``‖g‖ > hi``: red. ``hi`` is the smaller of
  * ``span / lr``: one plain gradient step ``lr·‖g‖`` (SGD at the group's learning rate) would
    move the weights farther than the whole plane drawn (``span``: the plane's widest extent in
    weight space, ``max(a1 − a0)·‖d1‖, (b1 − b0)·‖d2‖``): no picture of this plane can hold
    that step;
  * ``√(float32 max) ≈ 1.8e19``: the squared gradient (a norm's sum of squares, Adam's second
    moment) overflows float32 — a finite number the arithmetic can no longer use.
- **vanishing** — ``‖g‖ < lo`` with ``lo = ε₃₂·‖θ‖ / lr`` (``ε₃₂ = 2⁻²³ ≈ 1.19e-7``, ``‖θ‖``
  the norm of all the weights): one step changes the weights by less than float32's relative
  resolution — rounded away, and ten million steps to move them by their own size. A zero norm
  (a layer behind dead units) is vanishing whenever ``lo > 0``.

Both edges are inside the band (``lo ≤ ‖g‖ ≤ hi`` keeps the ratio's colour). Without a learning
rate (or without ``‖θ‖``, the plane's span) the matching bound is dropped: ``hi`` falls back
to √(float32 max) and ``lo`` to 0. The step is SGD's; adaptive optimizers rescale the gradient
and move less per step than ``lr·‖g‖`` when ‖g‖ is large, so for them ``hi`` is an upper
bound on what SGD at that rate could use, a statement about the gradient, not about their step.
"""

from __future__ import annotations

import dataclasses

import numpy as np

F32_EPS = float(np.finfo(np.float32).eps)                   # 1.19e-7
F32_SQRT_MAX = float(np.sqrt(np.finfo(np.float32).max))     # 1.84e19
#: what `gradient_status` can say of a bar; "" inside the band (the ratio decides)
STATUSES = ("overflow", "exploding", "vanishing", "")


@dataclasses.dataclass(frozen=True)
class GradientLimits:
    """The absolute band ``[lo, hi]`` of per-layer gradient norms inside which the ratio bands
    apply (see the module's docstring for why these numbers)."""

    lo: float = 0.0
    hi: float = F32_SQRT_MAX

    def __post_init__(self):
        lo, hi = float(self.lo), float(self.hi)
        if not (0.0 <= lo < hi) or np.isnan(hi):
            raise ValueError(f"gradient limits need 0 ≤ lo < hi; got lo={lo!r}, hi={hi!r}")

    @classmethod
    def for_sgd(cls, lr=None, theta_norm=None, plane_span=None) -> GradientLimits:
        """The band for a plain gradient step at ``lr`` on weights of norm ``theta_norm``
        drawn on a plane ``plane_span`` wide in weight space (any of them None or not
        positive: that bound is dropped). If ``lo`` would reach ``hi`` (a learning rate so
        large that no step is both visible and drawable), only the float32 bounds are kept."""
        lr = _positive(lr)
        hi = F32_SQRT_MAX
        lo = 0.0
        if lr is not None:
            span, theta = _positive(plane_span), _positive(theta_norm)
            if span is not None:
                hi = min(hi, span / lr)
            if theta is not None:
                lo = F32_EPS * theta / lr
        if not lo < hi:
            return cls()
        return cls(lo, hi)

    def describe(self) -> str:
        """``'1e-04 ≤ ‖∇W‖ ≤ 3e+03'``: the band in one line for a legend."""
        lo = f"{self.lo:.0e}" if self.lo > 0 else "0"
        return f"{lo} ≤ ‖∇W‖ ≤ {self.hi:.0e}"


def gradient_status(norms, limits: GradientLimits | None = None) -> np.ndarray:
    """``norms [..., L]`` (per-layer gradient norms) → an array of strings ``[..., L]``:
    ``"overflow"`` (inf/NaN), ``"exploding"`` (above ``hi``), ``"vanishing"`` (below ``lo``),
    ``""`` inside the band, where the ratio bands decide."""
    lim = limits or GradientLimits()
    g = np.asarray(norms, np.float64)
    out = np.full(g.shape, "", dtype=object)
    fin = np.isfinite(g)
    out[~fin] = "overflow"
    with np.errstate(invalid="ignore"):
        out[fin & (g > lim.hi)] = "exploding"
        out[fin & (g < lim.lo)] = "vanishing"
    return out


def gradient_bars(norms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What one frame's gradient bars show, from the per-layer norms ``[n, L]`` of the balls
    shown (any n ≥ 0): ``(mean, lo, hi, overflow)``, float ``[L]`` each but the last (bool):
    ``mean`` is log10 of the mean of the finite norms (``-inf`` when they are all 0; NaN when
    there is none), ``lo``/``hi`` log10 of the smallest and largest positive finite norm (the
    whiskers), ``overflow`` where any ball's norm is not finite. The video's panel and the page
    both draw these, bar for bar."""
    import warnings

    g = np.asarray(norms, np.float64)
    n_layers = g.shape[-1] if g.ndim else 1
    g = g.reshape(-1, n_layers)
    over = (~np.isfinite(g)).any(0)
    g = np.where(np.isfinite(g), g, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a zero norm (a layer behind dead units) sits at the floor and never drags the
        # axis down to 1e-300
        lg = np.where(g > 0, np.log10(np.where(g > 0, g, 1.0)), np.nan)
        if g.shape[0] == 0 or np.all(np.isnan(lg)):
            mean = lo = hi = np.full(n_layers, np.nan)
        else:
            with warnings.catch_warnings():   # a layer where every ball overflowed: NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.log10(np.nanmean(g, 0))
                lo, hi = np.nanmin(lg, 0), np.nanmax(lg, 0)
    return mean, lo, hi, over


def plane_span(surface) -> float | None:
    """The widest extent in weight space of a `landscape.surface.Surface`'s plane:
    ``max((a1 − a0)·‖d1‖, (b1 − b0)·‖d2‖)``; None for anything without directions."""
    d1, d2 = getattr(surface, "d1", None), getattr(surface, "d2", None)
    if d1 is None or d2 is None or not np.size(d1):
        return None
    a0, a1, b0, b1 = surface.span
    n1 = float(np.linalg.norm(np.asarray(d1, np.float64)))
    n2 = float(np.linalg.norm(np.asarray(d2, np.float64)))
    return max((a1 - a0) * n1, (b1 - b0) * n2)


def theta_norm(surface) -> float | None:
    """``‖θ*‖`` of a `landscape.surface.Surface`; None for anything without weights."""
    th = getattr(surface, "theta", None)
    if th is None or not np.size(th):
        return None
    return float(np.linalg.norm(np.asarray(th, np.float64)))


def _positive(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) and v > 0 else None
