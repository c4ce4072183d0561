"""2D overlay shapes in normalized viewport coordinates, for the panels (plain ``vtkActor2D``
geometry: a few ms a frame where Chart2D cost 6–12 ms)."""

from __future__ import annotations

import numpy as np
import vtk


def actor2d(poly: vtk.vtkPolyData) -> vtk.vtkActor2D:
    """An overlay actor drawing ``poly`` (points in normalized viewport units) in its cells'
    RGBA colours."""
    coord = vtk.vtkCoordinate()
    coord.SetCoordinateSystemToNormalizedViewport()
    mapper = vtk.vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    mapper.SetTransformCoordinate(coord)
    mapper.SetScalarModeToUseCellData()
    mapper.SetColorModeToDirectScalars()
    actor = vtk.vtkActor2D()
    actor.SetMapper(mapper)
    return actor


def quads(n: int) -> vtk.vtkCellArray:
    """``n`` quads over points ``4k … 4k+3``."""
    cells = vtk.vtkCellArray()
    for k in range(n):
        cells.InsertNextCell(4, [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3])
    return cells


def rect4(x0, y0, x1, y1) -> np.ndarray:
    """The four corners of a rectangle, counter-clockwise, ``[4, 3]``."""
    return np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0]], np.float64)


def set_cell_colors(poly: vtk.vtkPolyData, rgba: np.ndarray) -> None:
    """Colour ``poly``'s cells with uint8 ``rgba [n, 4]`` (shared with the array: keep it)."""
    from vtk.util.numpy_support import numpy_to_vtk

    arr = numpy_to_vtk(rgba, deep=False)
    arr.SetName("rgba")
    poly.GetCellData().SetScalars(arr)
    poly._rgba_keepalive = rgba
