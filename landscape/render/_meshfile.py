"""Write a triangle mesh with point and field data through VTK's own writers (no render window
is opened): what `landscape.exports` asks for the ``.vtp``, ``.vtk``, ``.ply``, ``.obj`` and
``.stl`` formats, so that only this package imports PyVista."""

from __future__ import annotations

import numpy as np
import pyvista as pv

#: format → pyvista's writer class, as ``PolyData.save`` picks them
WRITERS = {"vtp": pv.XMLPolyDataWriter, "vtk": pv.PolyDataWriter, "ply": pv.PLYWriter,
           "stl": pv.STLWriter, "obj": pv.OBJWriter}


def _polydata(points, triangles, point_data: dict, field_data: dict):
    faces = np.c_[np.full(len(triangles), 3, np.int64), np.asarray(triangles, np.int64)]
    pd = pv.PolyData(np.asarray(points, np.float64), faces=faces.ravel())
    for name, values in point_data.items():
        pd.point_data[name] = values
    for name, values in field_data.items():
        pd.field_data[name] = values
    return pd


def write_mesh_file(path: str, fmt: str, points, triangles, point_data: dict,
                    field_data: dict) -> str:
    """Write the mesh (``points`` float ``[P, 3]``, ``triangles`` int ``[T, 3]``) with its
    ``point_data`` (name → ``[P, ...]``, in this order) and ``field_data`` (name → array) to
    ``path`` as ``fmt``; ``.ply`` takes its vertex colours from ``point_data["rgb"]``.
    VTK's writers truncate silently or crash on a full disk: `mesh_file_bytes` and
    `landscape.files.atomic_write` are the safe way to a file the user asked for."""
    pd = _polydata(points, triangles, point_data, field_data)
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


def mesh_file_bytes(fmt: str, points, triangles, point_data: dict, field_data: dict, *,
                    beside: str) -> bytes:
    """The bytes `write_mesh_file` would write (the same writer and settings), written by VTK
    into memory (`landscape.files.memory_file`, named beside the destination ``beside``)
    rather than onto a disk that may fill up under it."""
    import contextlib

    from landscape.errors import LandscapeError
    from landscape.files import memory_file

    cls = WRITERS[fmt]
    pd = _polydata(points, triangles, point_data, field_data)
    if fmt in ("stl", "ply"):   # as PolyData.save does (recompute_normals=True)
        with contextlib.suppress(TypeError):
            pd.compute_normals(inplace=True)
    with memory_file(beside, "." + fmt) as (name, read):
        w = cls(name, pd)
        # PolyData.save's settings, set the way it sets them (a writer without one ignores it)
        for key, value in (("texture", "rgb" if fmt == "ply" else None),
                           ("data_format", "binary"), ("compression", "zlib")):
            with contextlib.suppress(AttributeError):
                setattr(w, key, value)
        w.write()
        data = read()
    if not data:
        raise LandscapeError(f"{beside}: VTK's {fmt} writer wrote nothing")
    return data
