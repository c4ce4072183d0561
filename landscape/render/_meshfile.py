"""Write a triangle mesh with point and field data through VTK's own writers (no render window
is opened): what `landscape.exports` asks for the ``.vtp``, ``.vtk``, ``.ply``, ``.obj`` and
``.stl`` formats, so that only this package imports PyVista."""

from __future__ import annotations

import numpy as np
import pyvista as pv


def write_mesh_file(path: str, fmt: str, points, triangles, point_data: dict,
                    field_data: dict) -> str:
    """Write the mesh (``points`` float ``[P, 3]``, ``triangles`` int ``[T, 3]``) with its
    ``point_data`` (name → ``[P, ...]``, in this order) and ``field_data`` (name → array) to
    ``path`` as ``fmt``; ``.ply`` takes its vertex colours from ``point_data["rgb"]``."""
    faces = np.c_[np.full(len(triangles), 3, np.int64), np.asarray(triangles, np.int64)]
    pd = pv.PolyData(np.asarray(points, np.float64), faces=faces.ravel())
    for name, values in point_data.items():
        pd.point_data[name] = values
    for name, values in field_data.items():
        pd.field_data[name] = values
    if fmt in ("vtp", "vtk"):
        pd.save(path, binary=True)
    elif fmt == "ply":
        pd.save(path, binary=True, texture="rgb")
    elif fmt == "stl":
        pd.save(path, binary=True)
    elif fmt == "obj":
        pd.save(path)
    else:  # pragma: no cover - callers check the format first
        raise ValueError(fmt)
    return path
