"""Bilinear interpolation on a loss grid: the one rule that puts a ball's height, a minimum's
loss and the θ* marker on the surface, shared by the core and the renderer.

Non-finite cells. A surface may hold inf/NaN losses (an exploding network). The renderer draws
those cells on a *plateau* at the surface's highest finite loss; `plateau_height` reads the grid
the same way, so a ball or a label over such a cell sits on the plateau (finite), and says so.
"""

from __future__ import annotations

import numpy as np


def _corners(alphas, betas, ab):
    ab = np.asarray(ab, np.float64)
    fa = np.interp(ab[..., 0], alphas, np.arange(len(alphas)))
    fb = np.interp(ab[..., 1], betas, np.arange(len(betas)))
    i0 = np.clip(np.floor(fa).astype(int), 0, len(alphas) - 2)
    j0 = np.clip(np.floor(fb).astype(int), 0, len(betas) - 2)
    ta, tb = fa - i0, fb - j0
    return ((i0, j0, (1 - ta) * (1 - tb)), (i0 + 1, j0, ta * (1 - tb)),
            (i0, j0 + 1, (1 - ta) * tb), (i0 + 1, j0 + 1, ta * tb))


def bilinear(alphas, betas, Z, ab) -> np.ndarray:
    """``Z [Ra, Rb]`` on the grid ``alphas × betas``, interpolated at points ``ab [..., 2]``;
    points outside the grid take the nearest edge value. Float64 (NaN/inf where a contributing
    grid value is not finite: see `plateau_height`)."""
    Z = np.asarray(Z, np.float64)
    return sum(w * Z[i, j] for i, j, w in _corners(alphas, betas, ab))


def plateau(Z) -> float:
    """The plateau non-finite cells are drawn at: the highest finite value of ``Z`` (0 when
    there is none)."""
    Z = np.asarray(Z, np.float64)
    finite = Z[np.isfinite(Z)]
    return float(finite.max()) if finite.size else 0.0


def plateau_height(alphas, betas, Z, ab) -> tuple[np.ndarray, np.ndarray]:
    """Heights that are always finite: `bilinear` where every grid value with a non-zero weight
    at ``ab`` is finite, else the `plateau` (``over_nonfinite`` is then ``True``).

    Returns ``(height [...] float64, over_nonfinite [...] bool)``.
    """
    Z = np.asarray(Z, np.float64)
    finite = np.isfinite(Z)
    top = plateau(Z)
    filled = np.where(finite, Z, top)
    h = np.zeros(np.shape(ab)[:-1])
    over = np.zeros(np.shape(ab)[:-1], bool)
    for i, j, w in _corners(alphas, betas, ab):
        h = h + w * filled[i, j]
        over |= (w > 0) & ~finite[i, j]
    return np.where(over, top, h), over
