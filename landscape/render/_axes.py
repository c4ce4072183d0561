"""Labelled axes for one view: a frame on the floor with a and b ticks, a vertical loss axis
whose ticks are real loss values (decades on a log scale), and 3D-anchored 2D labels.

Labels are ``vtkTextActor``s positioned in world coordinates: VTK projects them each render
and draws them on top, so they never hide behind the surface (billboards did).
"""

from __future__ import annotations

import numpy as np
import vtk
from vtk.util.numpy_support import numpy_to_vtk

from landscape.render import _colors as colors


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round numbers in [lo, hi]."""
    span = hi - lo
    if span <= 0:
        return np.array([lo])
    raw = span / max(n - 1, 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = np.ceil(lo / step - 1e-9) * step
    ticks = np.arange(start, hi + step * 1e-6, step)
    return np.where(np.abs(ticks) < step * 1e-9, 0.0, ticks)


def _fmt(x: float) -> str:
    return f"{x:.3g}".replace("e-0", "e-").replace("e+0", "e")


def world_label(renderer, text: str, xyz, size: int = 11, color=None, *, theme,
                justify: str = "center", vjust: str = "center", bold: bool = False,
                background: float = 0.0, fs: float = 1.0, offset=(0, 0)) -> vtk.vtkTextActor:
    """A 2D text actor pinned to world point ``xyz`` (drawn on top of the 3D scene), shifted
    by ``offset`` pixels (scaled by ``fs``); ``theme`` gives the default colour and the
    backdrop."""
    color = theme.text_dim if color is None else color
    t = vtk.vtkTextActor()
    t.SetInput(text)
    p = t.GetTextProperty()
    colors.style_text(p, size * fs, color, bold, shadow=background == 0.0, justify=justify,
                      vjustify=vjust)
    if background:
        p.SetBackgroundColor(*theme.label_bg)
        p.SetBackgroundOpacity(background)
        p.SetFrame(False)
    if offset == (0, 0):
        t.GetPositionCoordinate().SetCoordinateSystemToWorld()
        t.GetPositionCoordinate().SetValue(*(float(v) for v in xyz))
    else:
        ref = vtk.vtkCoordinate()
        ref.SetCoordinateSystemToWorld()
        ref.SetValue(*(float(v) for v in xyz))
        c = t.GetPositionCoordinate()
        c.SetCoordinateSystemToDisplay()
        c.SetReferenceCoordinate(ref)
        c.SetValue(float(offset[0] * fs), float(offset[1] * fs))
        t._reference = ref   # keep the Python wrapper (and its coordinate) alive
    t.PickableOff()
    renderer.AddViewProp(t)
    return t


class Axes:
    """Floor frame, tick labels and the loss axis. ``remove()`` takes them all away."""

    def __init__(self, renderer, extent, scale, floor_z: float, fs: float = 1.0, *, theme):
        self.renderer = renderer
        self.z_props = []

        def label(*a, **k):
            return world_label(*a, fs=fs, theme=theme, **k)

        self.props = []
        x0, x1, y0, y1 = extent
        span = max(x1 - x0, y1 - y0)
        pad = 0.035 * span
        zt = scale.z_top
        segs = [((x0, y0, floor_z), (x1, y0, floor_z)), ((x1, y0, floor_z), (x1, y1, floor_z)),
                ((x1, y1, floor_z), (x0, y1, floor_z)), ((x0, y1, floor_z), (x0, y0, floor_z)),
                ((x0, y0, floor_z), (x0, y0, zt))]
        ta, tb = nice_ticks(x0, x1), nice_ticks(y0, y1)
        for a in ta:
            segs.append(((a, y0, floor_z), (a, y0 - 0.5 * pad, floor_z)))
            self.props.append(label(renderer, _fmt(a), (a, y0 - 1.6 * pad, floor_z)))
        for b in tb:
            segs.append(((x1, b, floor_z), (x1 + 0.5 * pad, b, floor_z)))
            self.props.append(label(renderer, _fmt(b), (x1 + 1.7 * pad, b, floor_z)))
        self.props.append(label(renderer, "a", ((x0 + x1) / 2, y0 - 4.0 * pad, floor_z),
                                      size=14, color=theme.text, bold=True))
        self.props.append(label(renderer, "b", (x1 + 4.2 * pad, (y0 + y1) / 2, floor_z),
                                      size=14, color=theme.text, bold=True))
        if scale.log:
            dec = np.arange(np.ceil(scale.h_lo - 1e-9), np.floor(scale.h_hi + 1e-9) + 1)
            step = max(1, int(np.ceil(len(dec) / 6)))
            hs = dec[::step]
            labels = [f"1e{int(d)}" if not 0 <= d <= 1 else _fmt(10 ** d) for d in hs]
        else:
            hs = nice_ticks(scale.h_lo, scale.h_hi, 5)
            labels = [_fmt(h) for h in hs]
        for h, lab in zip(hs, labels):
            z = (h - scale.h_lo) * scale.z_per_h
            segs.append(((x0, y0, z), (x0 - 0.5 * pad, y0 - 0.5 * pad, z)))
            self.z_props.append(label(renderer, lab, (x0 - pad, y0 - pad, z), justify="right"))
        self.z_props.append(label(renderer, "loss (nats)", (x0, y0, zt * 1.08), size=13,
                                  color=theme.text, bold=True))
        self.props += self.z_props
        pts = np.asarray(segs, np.float64).reshape(-1, 3)
        poly = vtk.vtkPolyData()
        poly.SetPoints(vtk.vtkPoints())
        poly.GetPoints().SetData(numpy_to_vtk(pts, deep=True))
        cells = vtk.vtkCellArray()
        for k in range(len(segs)):
            cells.InsertNextCell(2, [2 * k, 2 * k + 1])
        poly.SetLines(cells)
        mapper = vtk.vtkPolyDataMapper()
        mapper.SetInputData(poly)
        actor = vtk.vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().SetColor(*theme.text_dim)
        actor.GetProperty().SetLineWidth(1.2)
        actor.GetProperty().LightingOff()
        actor.PickableOff()
        renderer.AddViewProp(actor)
        self.props.append(actor)

    def show_loss_axis(self, on: bool) -> None:
        """Hide the loss axis labels (looking straight down they pile up in one corner)."""
        for p in self.z_props:
            p.SetVisibility(bool(on))

    def remove(self) -> None:
        for p in self.props:
            self.renderer.RemoveViewProp(p)
        self.props = []
