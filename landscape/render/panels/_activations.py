"""The activation panel: each hidden layer's activation distribution and saturated share.

Glorot and Bengio's (2010) figure, per view: one column per hidden layer (input → output), a
light band from the 5th to the 95th percentile of the layer's activations act(z) over every
sample and unit, a darker band from the 25th to the 75th, a line at the median; the y axis is
the activation's range (0…1 for the sigmoid, −1…1 for tanh, 0…the largest 95th percentile for
ReLU-like ones). Under each column, the share of saturated (sample, unit) pairs, where
act′(z) < 10 % of its maximum (`landscape.measures._saturation`; for ReLU: inactive), coloured from green
(none) to red (all). The statistics are those of the network the view is built on, θ* (the
"checkpoint"); `landscape.measures._saturation.activation_stats` computes them, this only draws them.
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape.picture import Theme, get_theme, rgba_u8
from landscape.render import _colors as colors
from landscape.render.panels._shapes import actor2d, quads, rect4, set_cell_colors

RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "hard_sigmoid": (0.0, 1.0)}


def value_range(stats) -> tuple[float, float]:
    """The y range for ``stats``: the activation's own range where it is bounded, else from 0
    (or the lowest 5th percentile) to the largest 95th percentile."""
    if stats.activation in RANGES:
        return RANGES[stats.activation]
    v = np.asarray(stats.values, np.float64)
    lo = min(0.0, float(np.nanmin(v[:, 0])))
    hi = float(np.nanmax(v[:, -1]))
    return lo, hi if hi > lo else lo + 1.0


class ActivationPanel:
    """Draw `landscape.measures._saturation.ActivationStats` in ``rect`` (normalized viewport units)."""

    def __init__(self, renderer, stats, rect=(0.66, 0.10, 0.985, 0.50), fs: float = 1.0,
                 title: str = "activations per layer at θ*", theme: str | Theme = "dark"):
        self.renderer = renderer
        self.theme = get_theme(theme)
        self.stats = stats
        self.rect = rect
        self.fs = fs
        self.texts = []
        x0, y0, x1, y1 = rect
        w, h = x1 - x0, y1 - y0
        self.ax = (x0 + 0.14 * w, x1 - 0.03 * w)
        self.ay = (y0 + 0.22 * h, y1 - 0.16 * h)
        self.lo, self.hi = value_range(stats)
        H = len(stats.layers)
        q = list(np.asarray(stats.percentiles, np.float64))
        i5, i25, i50, i75, i95 = (q.index(p) for p in (5.0, 25.0, 50.0, 75.0, 95.0))
        v = np.asarray(stats.values, np.float64)
        self.columns = []
        pts, rgba = [rect4(*rect)], [rgba_u8(self.theme.panel_bg, 0.78)]
        light = rgba_u8(self.theme.vanish, 0.35)
        dark = rgba_u8(self.theme.vanish, 0.9)
        med = rgba_u8(self.theme.text, 1.0)
        for i in range(H):
            cx0, cx1 = self.col_x(i)
            lo5, lo25, m, hi75, hi95 = (float(self.y_of(v[i, k])) for k in (i5, i25, i50, i75,
                                                                              i95))
            self.columns.append((lo5, lo25, m, hi75, hi95))
            pad = 0.18 * (cx1 - cx0)
            pts += [rect4(cx0, lo5, cx1, hi95), rect4(cx0 + pad, lo25, cx1 - pad, hi75),
                    rect4(cx0, m - 0.004, cx1, m + 0.004)]
            rgba += [light, dark, med]
        self.poly = vtk.vtkPolyData()
        self.poly.SetPoints(vtk.vtkPoints())
        self.poly.GetPoints().SetData(numpy_to_vtk(np.concatenate(pts), deep=True))
        self.poly.SetPolys(quads(len(pts)))
        self.rgba = np.asarray(rgba, np.uint8)
        set_cell_colors(self.poly, self.rgba)
        self.actor = actor2d(self.poly)
        renderer.AddViewProp(self.actor)
        # texts: title, the y range, per column its name and its saturated share
        self._text(title, (x0 + 0.03 * w, y1 - 0.03 * h), 12, bold=True, vjust="top")
        for val in (self.lo, self.hi, 0.5 * (self.lo + self.hi)):
            self._text(f"{val:.3g}", (self.ax[0] - 0.015 * w, float(self.y_of(val))), 11,
                       justify="right", vjust="center", color=self.theme.text_dim)
        self.saturated_texts = []
        for i in range(H):
            xc = float(np.mean(self.col_x(i)))
            self._text(str(i), (xc, self.ay[0] - 0.02 * h), 11, justify="center", vjust="top",
                       color=self.theme.text_dim)
            s = float(stats.saturated[i])
            self.saturated_texts.append(self._text(
                f"{100 * s:.0f}%", (xc, y0 + 0.04 * h), 11, bold=True, justify="center",
                vjust="bottom", color=tuple(np.asarray(self.theme.healthy) * (1 - s) + np.asarray(self.theme.explode) * s)))
        sat_word = "inactive" if stats.activation in ("relu", "leaky_relu", "elu", "gelu") \
            else "saturated"
        self._text(f"{sat_word} ↓ (act′ < {stats.threshold:g}·max)",
                   (x1 - 0.02 * w, y0 + 0.115 * h), 11, justify="right", vjust="bottom",
                   color=self.theme.text_dim)

    def col_x(self, i: int) -> tuple[float, float]:
        n = max(1, len(self.stats.layers))
        cw = (self.ax[1] - self.ax[0]) / n
        return self.ax[0] + (i + 0.2) * cw, self.ax[0] + (i + 0.8) * cw

    def y_of(self, value) -> np.ndarray:
        t = (np.asarray(value, np.float64) - self.lo) / (self.hi - self.lo)
        return self.ay[0] + np.clip(t, 0.0, 1.0) * (self.ay[1] - self.ay[0])

    def _text(self, s, pos, size, bold=False, justify="left", vjust="bottom", color=None):
        t = vtk.vtkTextActor()
        t.SetInput(s)
        colors.style_text(t.GetTextProperty(), size * self.fs,
                          self.theme.text if color is None else color, bold, justify=justify,
                          vjustify=vjust)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(float(pos[0]), float(pos[1]))
        self.renderer.AddViewProp(t)
        self.texts.append(t)
        return t

    def set_visible(self, on: bool) -> None:
        self.actor.SetVisibility(bool(on))
        for t in self.texts:
            t.SetVisibility(bool(on))
