"""Output formats by file extension, one table per kind of output; every reader of an output
path (the renderer, the exporters, the figures, the CLI) looks its format up here.

- `VIDEO_FORMATS`: a rendered scene (``.png`` meaning a folder of PNG frames).
- `EXPORT_FORMATS`: `landscape.export`; `VTK_FORMATS` are the ones written through VTK.
- `FIGURE_FORMATS`: `landscape.plot` (matplotlib).
"""

from __future__ import annotations

import os

VIDEO_FORMATS = {".mp4": "mp4", ".gif": "gif", ".png": "png"}
EXPORT_FORMATS = {".html": "html", ".glb": "glb", ".gltf": "gltf", ".vtp": "vtp", ".vtk": "vtk",
                  ".obj": "obj", ".ply": "ply", ".stl": "stl"}
VTK_FORMATS = ("vtp", "vtk", "obj", "ply", "stl")
FIGURE_FORMATS = {".pdf": "pdf", ".svg": "svg", ".png": "png"}


def extension(path) -> str:
    """``path``'s extension, lower case, with its dot (``""`` when it has none)."""
    return os.path.splitext(os.fspath(path))[1].lower()


def format_from_extension(path, table: dict) -> str | None:
    """The format ``table`` gives ``path``'s extension, or None."""
    return table.get(extension(path))
