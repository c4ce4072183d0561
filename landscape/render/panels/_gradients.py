"""The gradient panel: per-layer gradient norms of one group, input → output, on a log scale.

Plain ``vtkActor2D`` geometry in normalized viewport coordinates (≈3 ms a frame; Chart2D
cost 6–12 ms here): a translucent backdrop, one bar per layer from the axis floor to the mean
norm over the group's balls, min–max whiskers with caps, and below them a learning-speed chart
(`landscape.render.panels._speed`: each layer's bar height against time, one line per layer), so
the history is visible in one frame. The y range only ever widens (by whole decades), so the
axis never jitters.

What the colour means (the rule is `landscape.picture._limits`, shared with every picture):
inside an absolute band ``[lo, hi]`` of gradient norms (`GradientLimits`, from float32 and the
group's learning rate; drawn as a blue line at ``lo`` and a red line at ``hi`` when they fall on
the axis) each bar is coloured by its ratio to the output layer's bar
(`landscape.measures._flow`), the error signal before it travels back through the network: green
while the layer gets between a third and three times the output layer's gradient (the shaded band
marks that range around the output layer's bar), blue as it falls to a tenth and below
(vanishing), red as it rises to ten times and above (exploding). So a forty-fold fall over ten
layers is blue whatever the absolute numbers are, and a balanced network is green throughout.
Outside ``[lo, hi]`` the bar is red (above: exploding) or blue (below: vanishing) whatever its
ratio, so N(0, 1) weights with every norm near 1e24 never read green. A layer whose gradient norm
overflowed (``inf``/NaN for any ball shown) is drawn as a full-height red bar marked ∞: an
exploding gradient is never an empty bar at the floor.
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape import measures as flow
from landscape.picture import (
    GradientLimits,
    Theme,
    get_theme,
    gradient_bars,
    gradient_status,
    limits_key,
    rgba_u8,
)
from landscape.render import _colors as colors
from landscape.render.panels._shapes import actor2d, quads, rect4
from landscape.render.panels._speed import SpeedChart


class GradientPanel:
    """One panel in one renderer. ``rect`` = (x0, y0, x1, y1) in normalized viewport units."""

    def __init__(self, renderer, layers, rect=(0.66, 0.04, 0.985, 0.44), band=(1e-3, 10.0),
                 y_range=(1e-6, 1e3), strip: bool = True, strip_length: int = 90,
                 title: str = "‖∇W‖ per layer", fs: float = 1.0, view_width: float = 1280.0,
                 view_height: float = 720.0, theme: str | Theme = "dark",
                 limits: GradientLimits | None = None):
        self.renderer = renderer
        self.limits = limits or GradientLimits()
        self.theme = get_theme(theme)
        self.fs = fs
        self.visible = True
        self.layers = [str(x) for x in layers]
        self.L = L = max(1, len(self.layers))
        self.rect = rect
        self.band = (float(np.log10(band[0])), float(np.log10(band[1])))
        self.y_lo, self.y_hi = float(np.floor(np.log10(y_range[0]))), \
            float(np.ceil(np.log10(y_range[1])))
        self.strip_on = strip
        self.W = int(strip_length)
        self._lay_out(rect, strip, fs, view_height)
        self.actors = []
        self.texts = []
        self.values = None   # (mean, lo, hi) log10 [L] after the last update
        self._build_geometry(renderer)
        x0, _, x1, _ = rect
        self.chart = (SpeedChart(renderer, L, self.strip_box, self.W, fs=fs,
                                 label_x=self.ax[0] - 0.01 * (x1 - x0), theme=self.theme)
                      if strip else None)
        self._build_labels(title, fs, view_width, view_height)
        self.overflow = np.zeros(L, bool)
        self.update(np.zeros((0, L)))   # cells must never point past the points

    def _lay_out(self, rect, strip: bool, fs: float, view_height: float) -> None:
        """Where the bars, the learning-speed strip and the colour key go inside ``rect``."""
        x0, y0, x1, y1 = rect
        h = y1 - y0
        self.ax = (x0 + 0.16 * (x1 - x0), x1 - 0.03 * (x1 - x0))      # plot x range
        strip_h = 0.22 * h if strip else 0.0
        self.text_line = line = 15.0 * fs / float(view_height)   # a text line, normalized
        self.legend_y = y0 + 0.3 * line                                # the colour key's line
        sy0 = y0 + (2.5 if strip else 1.3) * line
        self.strip_box = (self.ax[0], sy0, self.ax[1], sy0 + strip_h)
        base = self.strip_box[3] + max(0.11 * h, 2.3 * line)
        self.ay = (base, y1 - 0.13 * h)                                 # plot y range

    def _build_geometry(self, renderer) -> None:
        """The backdrop, the healthy band and the bars (polygons), whiskers and grid (lines)."""
        L = self.L
        self.poly = vtk.vtkPolyData()
        self.poly.SetPoints(vtk.vtkPoints())
        self.poly.SetPolys(quads(2 + L))
        self.poly_rgba = np.zeros((2 + L, 4), np.uint8)
        self.poly_rgba[0] = rgba_u8(self.theme.panel_bg, 0.78)
        self.poly_rgba[1] = rgba_u8(self.theme.band[:3], self.theme.band[3])
        self._set_colors(self.poly, self.poly_rgba)
        # lines: whisker + 2 caps per layer, then decade grid lines
        self.lines = vtk.vtkPolyData()
        self.lines.SetPoints(vtk.vtkPoints())
        self.lines_rgba = None
        self.poly_actor = actor2d(self.poly)
        self.line_actor = actor2d(self.lines)
        self.line_actor.GetProperty().SetLineWidth(1.5)
        self.actors += [self.poly_actor, self.line_actor]
        for a in self.actors:        # geometry first: text added later draws on top of it
            renderer.AddViewProp(a)
        self._grid_labels = []
        self._build_static()

    def _build_labels(self, title: str, fs: float, view_width: float,
                      view_height: float) -> None:
        """The title, the bars' layer names, the strip's caption, the colour key and the ∞
        marks of overflowed layers."""
        x0, y0, x1, y1 = self.rect
        h = y1 - y0
        line = self.text_line
        dim = self.theme.text_dim
        self.title = self._text(title, (x0 + 0.03 * (x1 - x0), y1 - 0.04 * h), 12, bold=True,
                                vjust="top")
        # names wider than a bar collide: label bars by their common suffix (dense_3 -> 3);
        # DejaVu Sans averages ~0.58 em a character
        bar_px = (self.ax[1] - self.ax[0]) * view_width / self.L
        widest = max(len(n) for n in self.layers) if self.layers else 0
        short = len(self.layers) > 6 or 0.58 * 11 * fs * widest > 0.95 * bar_px
        for i, name in enumerate(self.layers):
            xc = self._bar_x(i).mean()
            text = name.rsplit("_", 1)[-1] if short else name
            self._text(text if len(text) <= 8 else text[:7] + "…",
                       (xc, self.ay[0] - 0.015 * h), 11, justify="center", vjust="top",
                       color=dim)
        if short:
            self._text("layer, input → output", (0.5 * (self.ax[0] + self.ax[1]),
                                                 self.ay[0] - 0.06 * h), 11,
                       justify="center", vjust="top", color=dim)
        if self.strip_on:
            self._text("each layer over time →", (self.ax[1], self.strip_box[1] - 0.1 * line),
                       11, justify="right", vjust="top", color=dim)
        # the colour key: what a bar's colour says (its ratio to the output layer's bar)
        self.key = [self._text("÷ output:", (x0 + 0.03 * (x1 - x0), self.legend_y),
                               11, color=dim)]
        kx = x0 + 0.03 * (x1 - x0) + 0.58 * 11 * fs * 11 / float(view_width)
        for word, col in (("<⅒", self.theme.vanish), ("⅓–3", self.theme.healthy),
                          (">10", self.theme.explode)):
            self.key.append(self._text(word, (kx, self.legend_y), 11, bold=True,
                                       color=tuple(col)))
            kx += 0.58 * 11 * fs * 6 / float(view_width)
        # and the absolute band that overrides it (`landscape.picture._limits`)
        self.limit_key = self._text("", (kx, self.legend_y), 11, color=dim)
        self.key.append(self.limit_key)
        self._update_key()
        # one ∞ mark per layer, shown above a bar whose norm overflowed
        self.overflow_marks = [self._text("∞", (self._bar_x(i).mean(), self.ay[1]), 16,
                                          bold=True, justify="center", vjust="bottom",
                                          color=tuple(self.theme.explode))
                               for i in range(self.L)]

    # ---------------------------------------------------------------- geometry

    def _bar_x(self, i: int) -> np.ndarray:
        w = (self.ax[1] - self.ax[0]) / self.L
        return np.array([self.ax[0] + (i + 0.2) * w, self.ax[0] + (i + 0.8) * w])

    def y_of(self, log10_value) -> np.ndarray:
        """Normalized viewport y of log10 values on the panel's axis (clipped to the axis)."""
        t = (np.asarray(log10_value, np.float64) - self.y_lo) / (self.y_hi - self.y_lo)
        return self.ay[0] + np.clip(t, 0.0, 1.0) * (self.ay[1] - self.ay[0])

    def _build_static(self) -> None:
        decades = np.arange(self.y_lo, self.y_hi + 1)
        step = max(1, int(np.ceil(len(decades) / 6)))
        self.decades = decades[::step]
        for t in self._grid_labels:
            self.renderer.RemoveViewProp(t)
        self._grid_labels = []
        x0, _, x1, _ = self.rect
        for d in self.decades:
            self._grid_labels.append(self._text(f"1e{int(d)}", (self.ax[0] - 0.012 * (x1 - x0),
                                                                 float(self.y_of(d))), 11,
                                                justify="right", vjust="center",
                                                color=self.theme.text_dim, keep=False))
        n_lines = 3 * self.L + len(self.decades) + 2      # + the lo and hi limit lines
        cells = vtk.vtkCellArray()
        for k in range(n_lines):
            cells.InsertNextCell(2, [2 * k, 2 * k + 1])
        self.lines.SetLines(cells)
        self.lines_rgba = np.zeros((n_lines, 4), np.uint8)
        self.lines_rgba[:3 * self.L] = rgba_u8(self.theme.text, 0.9)
        self.lines_rgba[3 * self.L:-2] = rgba_u8(self.theme.text_dim, self.theme.grid_alpha)
        self.lines_rgba[-2] = rgba_u8(self.theme.vanish, 0.85)
        self.lines_rgba[-1] = rgba_u8(self.theme.explode, 0.85)
        self._set_colors(self.lines, self.lines_rgba)
        self._line_pts = np.zeros((2 * n_lines, 3))
        for j, d in enumerate(self.decades):
            y = float(self.y_of(d))
            k = 3 * self.L + j
            self._line_pts[2 * k] = (self.ax[0], y, 0)
            self._line_pts[2 * k + 1] = (self.ax[1], y, 0)
        self._place_limits()
        self._poly_pts = np.zeros((4 * (2 + self.L), 3))
        self._poly_pts[0:4] = rect4(*self.rect)
        self._place_band(getattr(self, "values", None))

    def _place_limits(self) -> None:
        """The absolute band's edges as lines across the plot (blue at ``lo``, red at ``hi``);
        an edge off the axis is not drawn (a zero-length line), never pinned to the axis end."""
        n = len(self._line_pts) // 2
        for k, v, on in ((n - 2, self.limits.lo, self.limits.lo > 0),
                         (n - 1, self.limits.hi, True)):
            lg = np.log10(v) if on else np.nan
            if np.isfinite(lg) and self.y_lo <= lg <= self.y_hi:
                y = float(self.y_of(lg))
                self._line_pts[2 * k] = (self.ax[0], y, 0)
                self._line_pts[2 * k + 1] = (self.ax[1], y, 0)
            else:
                self._line_pts[2 * k] = self._line_pts[2 * k + 1] = (self.ax[0], self.ay[0], 0)

    def _update_key(self) -> None:
        """The colour key's last words: the absolute band, ``‖∇W‖ >3e3 red <4e-4 blue``."""
        if not hasattr(self, "limit_key"):
            return
        self.limit_key.SetInput(limits_key(self.limits))

    def set_limits(self, limits: GradientLimits | None) -> None:
        """Change the absolute band (the selected group's learning rate changed)."""
        limits = limits or GradientLimits()
        if limits != self.limits:
            self.limits = limits
            self._place_limits()
            self._update_key()

    def _place_band(self, values) -> None:
        """Shade the balanced band (⅓ to 3 times the output layer's bar) across the plot; no
        band while the output layer's norm is unknown."""
        ref = values[0][-1] if values is not None else np.nan
        if np.isfinite(ref):
            lo, hi = ref + np.log10(flow.FADING), ref + np.log10(flow.GROWING)
            self._poly_pts[4:8] = rect4(self.ax[0], self.y_of(lo), self.ax[1], self.y_of(hi))
        else:
            self._poly_pts[4:8] = rect4(self.ax[0], self.ay[0], self.ax[1], self.ay[0])

    def _text(self, s, pos, size, bold=False, justify="left", vjust="bottom",
              color=None, keep=True):
        color = self.theme.text if color is None else color
        t = vtk.vtkTextActor()
        t.SetInput(s)
        colors.style_text(t.GetTextProperty(), size * self.fs, color, bold, justify=justify,
                          vjustify=vjust)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(float(pos[0]), float(pos[1]))
        self.renderer.AddViewProp(t)
        if keep:
            self.texts.append(t)
        return t

    @staticmethod
    def _set_colors(poly, rgba) -> None:
        arr = numpy_to_vtk(rgba, deep=False)
        arr.SetName("rgba")
        poly.GetCellData().SetScalars(arr)
        poly._rgba_keepalive = rgba  # the VTK array shares this buffer

    # ---------------------------------------------------------------- per frame

    def update(self, grad_norms: np.ndarray, title: str | None = None,
               limits: GradientLimits | None = None) -> None:
        """``grad_norms``: float ``[n, L]`` for the balls shown (any n ≥ 0). A layer where any
        ball's norm is not finite (it overflowed) is drawn full height, red, marked ∞; zeros
        are drawn at the axis floor. ``limits``: the absolute band for these balls (None keeps
        the panel's)."""
        if limits is not None:
            self.set_limits(limits)
        g = np.asarray(grad_norms, np.float64).reshape(-1, self.L)
        mean, lo, hi, over = gradient_bars(g)
        self.overflow = over
        finite = np.concatenate([x[np.isfinite(x)] for x in (lo, hi)])
        if finite.size and (finite.min() < self.y_lo or finite.max() > self.y_hi):
            self.y_lo = min(self.y_lo, float(np.floor(finite.min())))
            self.y_hi = max(self.y_hi, float(np.ceil(finite.max())))
            self._build_static()
        self.values = (mean, lo, hi)
        floor = self.ay[0]
        for i in range(self.L):
            x = self._bar_x(i)
            top = float(self.y_of(mean[i])) if np.isfinite(mean[i]) else floor
            if over[i]:
                top = self.ay[1]
            self._poly_pts[4 * (2 + i):4 * (3 + i)] = rect4(x[0], floor, x[1], top)
            xc, xw = x.mean(), 0.22 * (x[1] - x[0])
            ylo = float(self.y_of(lo[i])) if np.isfinite(lo[i]) else floor
            yhi = float(self.y_of(hi[i])) if np.isfinite(hi[i]) else floor
            if over[i]:
                ylo, yhi = (ylo if np.isfinite(lo[i]) else self.ay[1]), self.ay[1]
            self._line_pts[6 * i:6 * i + 6] = [(xc, ylo, 0), (xc, yhi, 0), (xc - xw, ylo, 0),
                                               (xc + xw, ylo, 0), (xc - xw, yhi, 0),
                                               (xc + xw, yhi, 0)]
        self._place_band(self.values)
        col = self.theme.gradient_colors(mean, self.limits, overflow=over, log10=True)
        self.poly_rgba[2:] = rgba_u8(col, 0.95)
        for i, t in enumerate(self.overflow_marks):
            t.SetVisibility(bool(over[i]) and self.visible)
        self.poly.GetPoints().SetData(numpy_to_vtk(self._poly_pts, deep=True))
        self.lines.GetPoints().SetData(numpy_to_vtk(self._line_pts, deep=True))
        self.poly.GetCellData().GetScalars().Modified()
        self.poly.Modified()
        self.lines.Modified()
        if self.chart is not None and g.shape[0]:
            self.chart.push(np.where(over, np.inf, mean))
        if title is not None:
            self.title.SetInput(title)

    @staticmethod
    def log_ratios(log_mean) -> np.ndarray:
        """``log10`` of each bar's ratio to the output layer's bar (NaN where either is
        unknown): what the bar's colour encodes."""
        m = np.asarray(log_mean, np.float64)
        return m - m[-1]

    def statuses(self) -> list[str]:
        """The absolute verdict of each bar after the last update (`gradient_status`):
        ``"overflow"``, ``"exploding"`` (above the band), ``"vanishing"`` (below it) or ``""``
        (inside: the ratio decides)."""
        mean = 10.0 ** self.values[0]
        st = np.where(np.isfinite(mean), gradient_status(mean, self.limits), "")
        return ["overflow" if o else str(s) for s, o in zip(st, self.overflow)]

    def bands(self) -> list[str]:
        """What each bar's colour says after the last update: its `statuses` where the norm is
        outside the absolute band (or overflowed), else its `landscape.measures._flow` ratio
        band."""
        mean = self.values[0]
        out = list(flow.classify(10.0 ** mean))
        return [s or b for b, s in zip(out, self.statuses())]

    def bar_tops(self) -> np.ndarray:
        """Normalized viewport y of each bar's top, input → output (for tests and layout)."""
        return self._poly_pts[4 * 2 + 2::4, 1][:self.L].copy()

    def remove(self) -> None:
        """Take the panel off its view (before a new one replaces it)."""
        parts = self.actors + self.texts + self._grid_labels + list(self.overflow_marks)
        if self.chart is not None:
            parts += self.chart.actors + self.chart.texts
        for a in parts:
            self.renderer.RemoveViewProp(a)

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        for a in self.actors + self.texts + self._grid_labels:
            a.SetVisibility(bool(on))
        if self.chart is not None:
            self.chart.set_visible(on)
        for a, o in zip(self.overflow_marks, self.overflow):
            a.SetVisibility(bool(on) and bool(o))

