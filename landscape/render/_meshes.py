"""Meshes of one view: the surface (height = loss), its contours, θ*, and the balls with trails.

World coordinates: ``x = a``, ``y = b``, ``z = HeightScale.z(loss)``. Everything that moves is
one PolyData built once and updated in place (``points[:] = ...``); only a change in the number
of balls rebuilds the ball meshes.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from landscape.picture import SURFACE_CMAP, HeightScale, make_scale, shared_loss_range  # noqa: F401 (re-exported)
from landscape.picture import pin_top as pin_top  # the page draws the same pin
from landscape.surface import plateau_height

# Display resolution cap: on llvmpipe a 201² mesh costs ~41 ms a frame at 720p, 121² ~20 ms, and
# Gouraud shading keeps 121² smooth. The full grid still gives ball heights and the census.
MAX_MESH_RES = 121


def surface_arrays(surface):
    """``(alphas, betas, loss, accuracy or None)`` from a `Surface` or an ``(a, b, loss)`` tuple."""
    if hasattr(surface, "loss"):
        return (np.asarray(surface.alphas, np.float64), np.asarray(surface.betas, np.float64),
                np.asarray(surface.loss, np.float64), np.asarray(surface.accuracy, np.float64))
    a, b, loss = surface[:3]
    acc = surface[3] if len(surface) > 3 else None
    return np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(loss, np.float64), acc


def _subsample(n: int, cap: int) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, cap)).astype(int))


class SurfaceLayer:
    """The surface mesh, contour lines on it and on the floor, the θ* marker, non-finite marks."""

    def __init__(self, alphas, betas, loss, scale: HeightScale, n_contours: int = 14,
                 max_res: int = MAX_MESH_RES):
        ia, ib = _subsample(len(alphas), max_res), _subsample(len(betas), max_res)
        self.scale = scale
        A, B = np.meshgrid(alphas[ia], betas[ib], indexing="ij")
        L = loss[np.ix_(ia, ib)]
        Z = scale.z(L)
        grid = pv.StructuredGrid(A, B, Z)
        # point order of StructuredGrid is Fortran over (i, j): ravel in 'F'
        shown = np.where(np.isfinite(L), np.clip(L, scale.lo, scale.hi), scale.hi)
        grid.point_data["loss"] = shown.ravel(order="F")
        grid.point_data["h"] = scale.h(L).ravel(order="F")
        # triangles draw ~15% faster than the grid's quads here
        self.mesh = grid.extract_surface(algorithm="dataset_surface").triangulate()
        self.floor_z = -0.12 * scale.z_top
        levels = np.linspace(scale.h_lo, scale.h_hi, n_contours + 2)[1:-1]
        flat = pv.StructuredGrid(A, B, np.zeros_like(Z))
        flat.point_data["h"] = grid.point_data["h"]
        lines = flat.contour(isosurfaces=list(levels), scalars="h")
        self.contours = lines.copy()
        self.floor_contours = lines.copy()
        if lines.n_points:
            hz = (np.asarray(lines.point_data["h"]) - scale.h_lo) * scale.z_per_h
            self.contours.points[:, 2] = hz + 0.004 * scale.z_top
            self.floor_contours.points[:, 2] = self.floor_z
            self.floor_contours.point_data["h"] = lines.point_data["h"]
        bad = ~np.isfinite(loss)
        self.n_nonfinite = int(bad.sum())
        if lines.n_points:
            from matplotlib import colormaps

            t = (np.asarray(lines.point_data["h"]) - scale.h_lo) / max(scale.h_hi - scale.h_lo,
                                                                       1e-12)
            rgb = colormaps[SURFACE_CMAP](np.clip(t, 0, 1))[:, :3]
            self.contours.point_data["rgb"] = ((0.45 * rgb + 0.55) * 255).astype(np.uint8)
            self.floor_contours.point_data["rgb"] = ((0.85 * rgb + 0.03) * 255).astype(np.uint8)
        if self.n_nonfinite:
            ii, jj = np.nonzero(bad)
            self.nonfinite = pv.PolyData(np.c_[alphas[ii], betas[jj],
                                               np.full(ii.size, scale.z_top * 1.01)])
        else:
            self.nonfinite = None
        self.extent = (float(alphas[0]), float(alphas[-1]), float(betas[0]), float(betas[-1]))
        self.theta_star = None
        self.theta_pin = None      # top of a pin above θ* when the surface around it hides it
        self.theta_loss = None
        if self.extent[0] <= 0 <= self.extent[1] and self.extent[2] <= 0 <= self.extent[3]:
            l0 = plateau_height(alphas, betas, loss, np.zeros((1, 2)))[0][0]
            self.theta_star = np.array([0.0, 0.0, float(scale.z(l0))])
            self.theta_loss = float(l0)
            self.theta_pin = pin_top(Z, A, B, self.theta_star[2], scale.z_top)


class BallLayer:
    """N balls as point sprites, escaped ones grey, settled ones ringed, and fading trails.

    Everything here is opaque on purpose: on llvmpipe the first translucent actor in a view
    adds a whole translucent pass (~12 ms at 720p). So trails fade by darkening toward
    the theme's ``trail_tail`` rather than by alpha, and the settled mark is a larger white sprite
    just under the ball (scale 0 for balls that have not settled) that shows as a white rim.
    """

    def __init__(self, n: int, base_rgb: np.ndarray, trail_length: int = 20, *, theme):
        self.n = n
        self.theme = theme
        self.base_rgb = np.asarray(base_rgb, np.float64).reshape(n, 3)
        self.k = max(2, int(trail_length))
        self.balls = pv.PolyData(np.zeros((n, 3)))
        self.balls.point_data["rgb"] = np.zeros((n, 3), np.uint8)
        self.rings = pv.PolyData(np.zeros((n, 3)))
        self.rings.point_data["scale"] = np.zeros(n, np.float32)
        self.trail_buf = np.zeros((n, self.k, 3))
        offsets = np.arange(n)[:, None] * self.k + np.arange(self.k)[None, :]
        cells = np.hstack([np.full((n, 1), self.k), offsets]).ravel()
        self.trails = pv.PolyData(self.trail_buf.reshape(-1, 3).copy(), lines=cells)
        age = np.linspace(0.0, 1.0, self.k) ** 1.2   # 0 = oldest, 1 = newest
        self._trail_mix = (0.15 + 0.85 * age)[None, :, None]
        self.trails.point_data["rgb"] = np.zeros((n * self.k, 3), np.uint8)
        self._fresh = True
        self.lift = 0.0      # trails drawn this far above the balls' centres (world z)

    def update(self, xyz: np.ndarray, escaped: np.ndarray, settled: np.ndarray,
               ring_drop: float = 0.0) -> None:
        rgb = np.where(escaped[:, None], self.theme.escaped, self.base_rgb)
        self.balls.points[:] = xyz
        self.balls.point_data["rgb"][:] = (rgb * 255 + 0.5).astype(np.uint8)
        self.rings.points[:] = xyz - [0.0, 0.0, ring_drop]
        self.rings.point_data["scale"][:] = np.where(settled & ~escaped, 1.0, 0.0)
        if self._fresh:
            self.trail_buf[:] = xyz[:, None, :]
            self._fresh = False
        else:
            self.trail_buf[:, :-1] = self.trail_buf[:, 1:]
            self.trail_buf[:, -1] = xyz
        self.trails.points[:] = self.trail_buf.reshape(-1, 3) + [0.0, 0.0, self.lift]
        tail = np.asarray(self.theme.trail_tail)
        tr = rgb[:, None, :] * self._trail_mix + tail * (1 - self._trail_mix)
        self.trails.point_data["rgb"][:] = (tr.reshape(-1, 3) * 255 + 0.5).astype(np.uint8)
        for m in (self.balls, self.rings, self.trails):
            m.GetPoints().Modified()
            m.GetPointData().Modified()
            m.Modified()

    def reset_trails(self) -> None:
        self._fresh = True
