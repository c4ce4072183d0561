"""The surface as a file for ParaView and mesh tools, through VTK's own writers (which
`landscape.render` owns: it is imported only when one of these formats is asked for).

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


def mesh_data(view) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """``(points [P, 3], triangles [T, 3], point_data, field_data)`` of the view's surface."""
    m = surface_mesh(view)
    loss = m.arrays["loss"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log10 = np.log10(np.where(loss > 0, loss, np.nan)).astype(np.float32)
    point_data = {"loss": loss, "accuracy": m.arrays["accuracy"], "log10_loss": log10,
                  "height": m.arrays["height"], "a": m.points[:, 0], "b": m.points[:, 1],
                  "Normals": m.normals, "rgb": m.colors}
    sc = view.scale
    field_data = {
        "title": np.array([ascii_text(view.title)]),
        "height_scale": np.array([f"z = ({'log10(loss)' if sc.log else 'loss'} "
                                  f"clipped to [{sc.lo:.6g}, {sc.hi:.6g}] minus "
                                  f"its value at {sc.lo:.6g}) * {sc.z_per_h:.6g}"]),
        "grid_shape": np.array(view.surface.shape, np.int64)}
    return m.points, m.triangles, point_data, field_data


def ascii_text(text: str) -> str:
    """VTK's string arrays are ASCII: θ* → theta*, · → -, subscripts → digits."""
    table = str.maketrans({"θ": "theta", "·": "-", "₁": "1", "₂": "2", "×": "x", "—": "-",
                           "–": "-", "‖": "|", "∇": "grad "})
    return text.translate(table).encode("ascii", "replace").decode("ascii")


def write_mesh(view, path: str, fmt: str) -> str:
    """Write ``view``'s surface to ``path`` (a temporary name: the caller renames it) as
    ``fmt`` (``vtp``, ``vtk``, ``ply``, ``obj`` or ``stl``)."""
    from landscape.render import write_mesh_file  # VTK, for these formats only

    return write_mesh_file(path, fmt, *mesh_data(view))


def mesh_bytes(view, fmt: str, *, beside: str) -> bytes:
    """The bytes of `write_mesh`'s file, written by VTK into memory (see
    `landscape.render.mesh_file_bytes`); ``beside``: the destination."""
    from landscape.render import mesh_file_bytes  # VTK, for these formats only

    return mesh_file_bytes(fmt, *mesh_data(view), beside=beside)
