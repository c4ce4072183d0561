"""Bilinear interpolation on a loss grid: the one rule that puts a ball's height, a minimum's
loss and the θ* marker on the surface, shared by the core and the renderer."""

from __future__ import annotations

import numpy as np


def bilinear(alphas, betas, Z, ab) -> np.ndarray:
    """``Z [Ra, Rb]`` on the grid ``alphas × betas``, interpolated at points ``ab [..., 2]``;
    points outside the grid take the nearest edge value. Float64."""
    Z = np.asarray(Z, np.float64)
    ab = np.asarray(ab, np.float64)
    fa = np.interp(ab[..., 0], alphas, np.arange(len(alphas)))
    fb = np.interp(ab[..., 1], betas, np.arange(len(betas)))
    i0 = np.clip(np.floor(fa).astype(int), 0, len(alphas) - 2)
    j0 = np.clip(np.floor(fb).astype(int), 0, len(betas) - 2)
    ta, tb = fa - i0, fb - j0
    return ((1 - ta) * (1 - tb) * Z[i0, j0] + ta * (1 - tb) * Z[i0 + 1, j0]
            + (1 - ta) * tb * Z[i0, j0 + 1] + ta * tb * Z[i0 + 1, j0 + 1])
