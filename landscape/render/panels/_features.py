"""The first-layer features panel: what each first-layer unit has learned so far, as an image.

On 8×8 digits each unit of the first layer has 64 incoming weights, one per pixel
(`landscape.measures._features.first_layer_features`). The panel draws, for the first ``n`` units, the
change of those weights since initialization, ``W(t) − W(0)``, as 8×8 images: red where a weight
grew, blue where it shrank, the panel's background where it did not move. One colour scale for
the whole run, relative to the layer's own weights: full colour at a change of ``scale`` (the
player uses twice the standard deviation of the initial weights), so a layer whose weights moved
2 % of their size stays nearly blank and one that moved a third draws what it learned.
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape.picture import Theme, get_theme, rgba_u8
from landscape.render import _colors as colors
from landscape.render.panels._shapes import actor2d, quads, rect4, set_cell_colors


class FeaturesPanel:
    def __init__(self, renderer, w0: np.ndarray, scale: float, rect=(0.66, 0.10, 0.985, 0.50),
                 fs: float = 1.0, view_size=(1280, 720), cols: int = 4,
                 title: str = "first layer: W(t) − W(0) per unit",
                 theme: str | Theme = "dark"):
        """``w0``: float ``[units, h, w]``, the first layer's weights at initialization."""
        self.renderer = renderer
        self.theme = get_theme(theme)
        self.w0 = np.asarray(w0, np.float64)
        self.scale = float(scale)
        self.texts = []
        n = min(len(self.w0), cols * cols)
        self.n = n
        H, W = self.w0.shape[1:3]
        x0, y0, x1, y1 = rect
        vw, vh = view_size
        # square tiles in pixels, laid out under the title
        avail_w, avail_h = (x1 - x0) * vw * 0.94, (y1 - y0) * vh * 0.72
        rows = int(np.ceil(n / cols))
        tile = min(avail_w / cols, avail_h / rows)
        px = tile / vw, tile / vh
        gap = 0.08
        pts = [rect4(*rect)]
        self.cell_of = []
        ox, oy = x0 + 0.03 * (x1 - x0), y1 - 0.14 * (y1 - y0)
        for u in range(n):
            r, c = divmod(u, cols)
            tx, ty = ox + c * px[0], oy - (r + 1) * px[1]
            s = (1 - gap) / W, (1 - gap) / H
            for i in range(H):
                for j in range(W):
                    xa = tx + j * s[0] * px[0]
                    ya = ty + (H - 1 - i) * s[1] * px[1]
                    pts.append(rect4(xa, ya, xa + s[0] * px[0], ya + s[1] * px[1]))
        self.poly = vtk.vtkPolyData()
        self.poly.SetPoints(vtk.vtkPoints())
        self.poly.GetPoints().SetData(numpy_to_vtk(np.concatenate(pts), deep=True))
        self.poly.SetPolys(quads(len(pts)))
        self.rgba = np.zeros((len(pts), 4), np.uint8)
        self.rgba[0] = rgba_u8(self.theme.panel_bg, 0.85)
        set_cell_colors(self.poly, self.rgba)
        self.actor = actor2d(self.poly)
        renderer.AddViewProp(self.actor)
        t = vtk.vtkTextActor()
        t.SetInput(title)
        colors.style_text(t.GetTextProperty(), 12 * fs, self.theme.text, True, vjustify="top")
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(x0 + 0.03 * (x1 - x0), y1 - 0.03 * (y1 - y0))
        renderer.AddViewProp(t)
        self.texts.append(t)
        self.note = vtk.vtkTextActor()
        colors.style_text(self.note.GetTextProperty(), 11 * fs, self.theme.text_dim)
        self.note.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.note.GetPositionCoordinate().SetValue(x0 + 0.03 * (x1 - x0), y0 + 0.02 * (y1 - y0))
        renderer.AddViewProp(self.note)
        self.texts.append(self.note)
        self.update(self.w0)

    def colors_of(self, w: np.ndarray) -> np.ndarray:
        """uint8 RGBA ``[n·h·w, 4]`` of the change ``w − w0`` (what `update` draws)."""
        d = (np.asarray(w, np.float64)[:self.n] - self.w0[:self.n]) / self.scale
        t = np.clip(d, -1.0, 1.0).reshape(-1, 1)
        bg = np.asarray(self.theme.panel_bg, np.float64)
        rgb = np.where(t >= 0, bg + t * (np.asarray(self.theme.explode) - bg),
                       bg - t * (np.asarray(self.theme.vanish) - bg))
        return rgba_u8(rgb, 1.0)

    def update(self, w: np.ndarray) -> None:
        """Draw the first layer's weights ``w [units, h, w]`` (at the current checkpoint)."""
        self.rgba[1:] = self.colors_of(w)
        d = np.asarray(w, np.float64) - self.w0
        rel = np.linalg.norm(d) / max(np.linalg.norm(self.w0), 1e-30)
        self.note.SetInput(f"‖ΔW‖ / ‖W(0)‖ = {100 * rel:.1f} %  ·  full colour: ±{self.scale:.2g}")
        self.poly.GetCellData().GetScalars().Modified()
        self.poly.Modified()

    def set_visible(self, on: bool) -> None:
        self.actor.SetVisibility(bool(on))
        for t in self.texts:
            t.SetVisibility(bool(on))
