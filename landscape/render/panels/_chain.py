"""The chain-rule panel: a chain of single neurons, its factors w_jσ′(z_j) and their product.

A table in the view's corner, back from the output (`landscape.measures._chain`: medians over the
evaluation set at θ*): each neuron's weight, its slope σ′(z_j) (at most 1/4), their product,
and the running product the error has met so far. Below: ∂C/∂b₁ of the mean loss as the chain
rule's product and from autodiff (``jax.grad``), which agree.
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape.picture import Theme, get_theme, rgba_u8
from landscape.render import _colors as colors
from landscape.render.panels._shapes import actor2d, quads, rect4, set_cell_colors


class ChainPanel:
    def __init__(self, renderer, view, rect=(0.55, 0.10, 0.985, 0.50), fs: float = 1.0,
                 theme: str | Theme = "dark"):
        self.renderer = renderer
        self.theme = get_theme(theme)
        self.view = view
        self.fs = fs
        self.texts = []
        x0, y0, x1, y1 = rect
        w, h = x1 - x0, y1 - y0
        L = len(view.weights)
        lines = ["back from the output (median over samples):",
                 "neuron   w_j      σ′(z_j)   w_j·σ′   product so far"]
        self.rows = []
        for j in range(L - 1, 0, -1):            # neurons L … 2 (1-based), output first
            prod = float(view.running[j - 1])
            lines.append(f"  {j + 1:<5} {view.weights[j]:+7.3f}  {view.slopes[j]:7.4f}  "
                         f"{view.factors[j - 1]:+7.4f}  {prod:+.2e}")
            self.rows.append(prod)
        lines.append(f"  1     σ′(z₁) = {view.slopes[0]:.4f}  (w₁ is not in the product)")
        lines.append("")
        lines.append(f"∂C/∂b₁ as the product: {view.grad_b1:+.4e}")
        lines.append(f"∂C/∂b₁ from jax.grad:  {view.grad_b1_autodiff:+.4e}")
        self.lines = lines
        self.backdrop = vtk.vtkPolyData()
        self.backdrop.SetPoints(vtk.vtkPoints())
        self.backdrop.GetPoints().SetData(numpy_to_vtk(rect4(*rect), deep=True))
        self.backdrop.SetPolys(quads(1))
        self.rgba = rgba_u8(np.asarray([self.theme.panel_bg]), 0.82)
        set_cell_colors(self.backdrop, self.rgba)
        self.actor = actor2d(self.backdrop)
        renderer.AddViewProp(self.actor)
        t = vtk.vtkTextActor()
        t.SetInput("\n".join(lines))
        colors.style_text(t.GetTextProperty(), 14 * fs, self.theme.text, mono=True, vjustify="top")
        t.GetTextProperty().SetLineSpacing(1.0)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(x0 + 0.02 * w, y1 - 0.03 * h)
        renderer.AddViewProp(t)
        self.texts.append(t)

    def set_visible(self, on: bool) -> None:
        self.actor.SetVisibility(bool(on))
        for t in self.texts:
            t.SetVisibility(bool(on))
