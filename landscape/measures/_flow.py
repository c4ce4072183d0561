"""Gradient flow at a glance: each layer's gradient norm as a ratio to the output layer's.

The output layer's weight gradient is the error signal itself (for cross-entropy, ``p − y``
times the last hidden activations): every other layer's gradient is that signal after it has
travelled back through the layers above. Its ratio to the output layer's therefore says how
much of the signal survives the trip: about 1 when it flows, far below 1 when it vanishes, far
above when it explodes. (Normalizing by the largest layer instead would hide exploding
gradients: every ratio would be at most 1.)

Bands on ``r = ‖∇W_l‖ / ‖∇W_out‖`` (`classify`):

    r < 1/10          vanishing       1/3 ≤ r ≤ 3    balanced       r > 10   exploding
    1/10 ≤ r < 1/3    fading          3 < r ≤ 10     growing

A renderer colours by ``log10 r`` (`log_ratios`) and may name the band.
"""

from __future__ import annotations

import numpy as np

VANISHING = 0.1     # below: vanishing
FADING = 1 / 3      # below (and ≥ VANISHING): fading
GROWING = 3.0       # above (and ≤ EXPLODING): growing
EXPLODING = 10.0    # above: exploding
BANDS = ("vanishing", "fading", "balanced", "growing", "exploding")


def ratios(norms, reference: int = -1) -> np.ndarray:
    """``norms [..., L]`` (per-layer gradient norms, input → output) divided by the
    ``reference`` layer's (default the output layer), float64; NaN where the reference is 0 or
    not finite."""
    g = np.asarray(norms, np.float64)
    ref = np.take(g, [reference], axis=-1)
    ok = np.isfinite(ref) & (ref > 0)
    return np.where(ok, g / np.where(ok, ref, 1.0), np.nan)


def log_ratios(norms, reference: int = -1) -> np.ndarray:
    """``log10`` of `ratios` (0: as strong as the output layer; -1: ten times weaker)."""
    r = ratios(norms, reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(r)


def classify(norms, reference: int = -1) -> np.ndarray:
    """The band (`BANDS`) of each layer's ratio, as an array of strings ``[..., L]``
    (``"undefined"`` where the ratio is NaN)."""
    r = ratios(norms, reference)
    out = np.full(r.shape, "undefined", dtype=object)
    out[r < VANISHING] = "vanishing"
    out[(r >= VANISHING) & (r < FADING)] = "fading"
    out[(r >= FADING) & (r <= GROWING)] = "balanced"
    out[(r > GROWING) & (r <= EXPLODING)] = "growing"
    out[r > EXPLODING] = "exploding"
    return out


def verdict(norms, reference: int = -1) -> str:
    """One word for a network: the band of its most extreme layer (``balanced`` when every
    layer is within a factor of 3 of the reference)."""
    r = ratios(norms, reference)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return "undefined"
    worst = r[np.argmax(np.abs(np.log10(np.maximum(r, 1e-300))))]
    return str(classify(np.array([worst, 1.0]))[0])
