"""A per-layer learning-speed chart: each layer's gradient norm against time, log scale.

Nielsen's chapter-5 figure, live: one line per layer (input → output, coloured by depth from
deep purple to yellow), the newest value on the right. Under a vanishing gradient the input
layer's line runs decades below the output layer's for the whole run; in a healthy network the
lines lie together. Plain ``vtkActor2D`` polylines in normalized viewport coordinates (a few
hundred points: no measurable frame cost).

What a point is: the value the panel's bar showed at that frame (the mean ‖∇W_l‖ over the
selected group's balls, `landscape.render.panels._gradients.GradientPanel.update`); an overflowed layer is
drawn at the top of the chart.
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape.picture import Theme, depth_colors, get_theme, rgba_u8
from landscape.render import _colors as colors


class SpeedChart:
    """``box`` = (x0, y0, x1, y1) in normalized viewport units; ``length`` frames of history."""

    def __init__(self, renderer, n_layers: int, box, length: int = 90, fs: float = 1.0,
                 label_x: float | None = None, theme: str | Theme = "dark"):
        self.renderer = renderer
        self.theme = get_theme(theme)
        self.L = int(n_layers)
        self.box = box
        self.W = int(length)
        self.history = np.full((self.L, self.W), np.nan)   # log10 values, newest last
        self.n = 0                                           # frames recorded (≤ W)
        self.rgb = depth_colors(self.L)
        self.poly = vtk.vtkPolyData()
        self.poly.SetPoints(vtk.vtkPoints())
        self.frame = vtk.vtkPolyData()
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0]], np.float64)
        self.frame.SetPoints(vtk.vtkPoints())
        self.frame.GetPoints().SetData(numpy_to_vtk(pts, deep=True))
        cells = vtk.vtkCellArray()
        cells.InsertNextCell(5, [0, 1, 2, 3, 0])
        self.frame.SetLines(cells)
        self.actors = [self._actor(self.frame, (*self.theme.text_dim, 0.35), 1.0),
                       self._actor(self.poly, None, 1.6)]
        for a in self.actors:
            renderer.AddViewProp(a)
        self._rgba = rgba_u8(self.rgb, 1.0)
        # the chart's own log range (whole decades, only ever widening, at least one decade)
        self.y_lo, self.y_hi = np.inf, -np.inf
        self.fs = fs
        self.label_x = x0 - 0.01 if label_x is None else label_x
        self.texts = []
        self.decade_labels = [self._text("", (x1 - 0.004, y1 - 0.004), self.theme.text_dim, "right",
                                         "top"),
                              self._text("", (x1 - 0.004, y0 + 0.004), self.theme.text_dim, "right",
                                         "bottom")]
        self.end_labels = [self._text("input", (self.label_x, y0),
                                      self.theme.on_background(self.rgb[0]), "right", "center",
                                      bold=True),
                           self._text("output", (self.label_x, y1),
                                      self.theme.on_background(self.rgb[-1]), "right", "center",
                                      bold=True)]
        self._draw()

    def _text(self, s, pos, color, justify, vjust, bold=False):
        t = vtk.vtkTextActor()
        t.SetInput(s)
        colors.style_text(t.GetTextProperty(), 11 * self.fs, color, bold, justify=justify,
                          vjustify=vjust)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(float(pos[0]), float(pos[1]))
        self.renderer.AddViewProp(t)
        self.texts.append(t)
        return t

    def _actor(self, poly, rgba, width) -> vtk.vtkActor2D:
        coord = vtk.vtkCoordinate()
        coord.SetCoordinateSystemToNormalizedViewport()
        mapper = vtk.vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        mapper.SetTransformCoordinate(coord)
        actor = vtk.vtkActor2D()
        actor.SetMapper(mapper)
        if rgba is None:
            mapper.SetScalarModeToUseCellData()
            mapper.SetColorModeToDirectScalars()
        else:
            mapper.ScalarVisibilityOff()
            actor.GetProperty().SetColor(*rgba[:3])
            actor.GetProperty().SetOpacity(rgba[3])
        actor.GetProperty().SetLineWidth(width)
        return actor

    def push(self, log10_values) -> None:
        """Append one frame: ``log10_values [L]`` (``+inf`` for an overflowed layer, NaN for
        none)."""
        v = np.asarray(log10_values, np.float64).reshape(self.L)
        self.history[:, :-1] = self.history[:, 1:]
        self.history[:, -1] = v
        self.n = min(self.n + 1, self.W)
        fin = v[np.isfinite(v)]
        if fin.size:
            self.y_lo = min(self.y_lo, float(np.floor(fin.min())))
            self.y_hi = max(self.y_hi, float(np.ceil(fin.max())), self.y_lo + 1)
        self._draw()

    def ys(self) -> np.ndarray:
        """Normalized viewport y of the recorded points ``[L, n]`` (overflow: the top)."""
        x0, y0, x1, y1 = self.box
        h = self.history[:, self.W - self.n:]
        if not np.isfinite(self.y_lo):
            return np.full(h.shape, np.nan)
        h = np.where(np.isposinf(h), self.y_hi, h)
        t = np.clip((h - self.y_lo) / max(self.y_hi - self.y_lo, 1e-9), 0.0, 1.0)
        return y0 + t * (y1 - y0)

    def _draw(self) -> None:
        x0, y0, x1, y1 = self.box
        n = self.n
        cells = vtk.vtkCellArray()
        if np.isfinite(self.y_lo):
            self.decade_labels[0].SetInput(f"1e{int(self.y_hi)}")
            self.decade_labels[1].SetInput(f"1e{int(self.y_lo)}")
        if n >= 1:
            ys = self.ys()
            last = ys[:, -1]
            # the end labels sit at the input and output lines' newest values, kept apart
            yi = last[0] if np.isfinite(last[0]) else y0
            yo = last[-1] if np.isfinite(last[-1]) else y1
            gap = 0.035 * self.fs
            if abs(yi - yo) < gap:
                mid = 0.5 * (yi + yo)
                yi, yo = (mid - gap / 2, mid + gap / 2) if yi <= yo else (mid + gap / 2,
                                                                         mid - gap / 2)
            self.end_labels[0].GetPositionCoordinate().SetValue(self.label_x, float(yi))
            self.end_labels[1].GetPositionCoordinate().SetValue(self.label_x, float(yo))
        if n >= 2:
            xs = x0 + (x1 - x0) * np.arange(n) / (self.W - 1)   # fills left to right
            pts = []
            off = 0
            rgba = []
            for l in range(self.L):
                idx = np.flatnonzero(~np.isnan(self.history[l, self.W - n:]))
                if idx.size < 2:
                    continue
                pts.append(np.stack([xs[idx], ys[l, idx], np.zeros(idx.size)], 1))
                cells.InsertNextCell(idx.size, list(range(off, off + idx.size)))
                off += idx.size
                rgba.append(self._rgba[l])
            p = np.concatenate(pts) if pts else np.zeros((0, 3))
            rgba = np.asarray(rgba, np.uint8).reshape(-1, 4)
        else:
            p, rgba = np.zeros((0, 3)), np.zeros((0, 4), np.uint8)
        self.poly.GetPoints().SetData(numpy_to_vtk(p if len(p) else np.zeros((1, 3)), deep=True))
        self.poly.SetLines(cells)
        arr = numpy_to_vtk(rgba, deep=True)
        arr.SetName("rgba")
        self.poly.GetCellData().SetScalars(arr)
        self.poly.Modified()

    def set_visible(self, on: bool) -> None:
        for a in self.actors + self.texts:
            a.SetVisibility(bool(on))
