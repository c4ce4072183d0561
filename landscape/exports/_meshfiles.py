"""The surface as a file for ParaView and mesh tools, through VTK's own writers (PyVista,
imported here only; no render window is opened).

- ``.vtp`` (XML PolyData) and ``.vtk`` (legacy): one point per grid point, triangles between
  them, and the point arrays ``loss`` and ``accuracy`` exactly as computed (non-finite losses
  kept), ``log10_loss``, ``height`` (the z drawn) and ``a``, ``b``; the field data records the
  height scale. This is what the Li et al. tools write for ParaView, with the accuracy added.
- ``.ply``: the same geometry with the colour map's colours per vertex (Blender, MeshLab).
- ``.obj`` and ``.stl``: geometry alone.
"""

from __future__ import annotations

import numpy as np

from landscape.exports._geometry import surface_mesh


def polydata(view):
    """A ``pyvista.PolyData`` of the view's surface with its point and field data."""
    import pyvista as pv

    m = surface_mesh(view)
    faces = np.c_[np.full(len(m.triangles), 3, np.int64), m.triangles.astype(np.int64)]
    pd = pv.PolyData(m.points.astype(np.float64), faces=faces.ravel())
    loss = m.arrays["loss"]
    pd.point_data["loss"] = loss
    pd.point_data["accuracy"] = m.arrays["accuracy"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pd.point_data["log10_loss"] = np.log10(np.where(loss > 0, loss, np.nan)).astype(np.float32)
    pd.point_data["height"] = m.arrays["height"]
    pd.point_data["a"] = m.points[:, 0]
    pd.point_data["b"] = m.points[:, 1]
    pd.point_data["Normals"] = m.normals
    pd.point_data["rgb"] = m.colors
    sc = view.scale
    pd.field_data["title"] = np.array([ascii_text(view.title)])
    pd.field_data["height_scale"] = np.array([f"z = ({'log10(loss)' if sc.log else 'loss'} "
                                              f"clipped to [{sc.lo:.6g}, {sc.hi:.6g}] minus "
                                              f"its value at {sc.lo:.6g}) * {sc.z_per_h:.6g}"])
    pd.field_data["grid_shape"] = np.array(view.surface.shape, np.int64)
    return pd


def ascii_text(text: str) -> str:
    """VTK's string arrays are ASCII: θ* → theta*, · → -, subscripts → digits."""
    table = str.maketrans({"θ": "theta", "·": "-", "₁": "1", "₂": "2", "×": "x", "—": "-",
                           "–": "-", "‖": "|", "∇": "grad "})
    return text.translate(table).encode("ascii", "replace").decode("ascii")


def write_mesh(view, path: str, fmt: str) -> str:
    """Write ``view``'s surface to ``path`` (a temporary name: the caller renames it) as
    ``fmt`` (``vtp``, ``vtk``, ``ply``, ``obj`` or ``stl``)."""
    pd = polydata(view)
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
