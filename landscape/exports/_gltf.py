"""glTF 2.0 files (``.glb`` binary, ``.gltf`` JSON with the buffer inline) of exported views,
written with numpy alone: no render window, so it works wherever Python does.

Every view is one node holding the surface (vertex colours, and the loss and accuracy as the
custom vertex attributes ``_LOSS`` and ``_ACCURACY``, which Blender imports as mesh attributes)
and one mesh per ball group at the balls' final positions; views of a multi-view scene stand
side by side along x. glTF is +Y up: a root node turns our +Z-up world over, and viewers and
Blender's importer show the relief upright. Colours are stored linear (glTF's convention), so a
viewer shows the colour map's sRGB colours unchanged.
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

from landscape.exports._geometry import Mesh, ball_meshes, surface_mesh

Z_UP_TO_Y_UP = [-0.7071067811865476, 0.0, 0.0, 0.7071067811865476]   # -90° about x
FLOAT, UINT, UBYTE = 5126, 5125, 5121
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


def srgb_to_linear(c) -> np.ndarray:
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


class _Builder:
    """Accumulates buffer views, accessors, materials, meshes and nodes."""

    def __init__(self):
        self.blob = bytearray()
        self.doc = {"asset": {"version": "2.0", "generator": "landscape"},
                    "buffers": [], "bufferViews": [], "accessors": [], "materials": [],
                    "meshes": [], "nodes": [], "scenes": [{"name": "landscape", "nodes": [0]}],
                    "scene": 0}
        self.doc["nodes"].append({"name": "landscape", "rotation": Z_UP_TO_Y_UP,
                                  "children": []})

    def accessor(self, array: np.ndarray, ctype: int, kind: str, target: int,
                 normalized: bool = False, bounds: bool = False) -> int:
        data = np.ascontiguousarray(array)
        while len(self.blob) % 4:
            self.blob.append(0)
        self.doc["bufferViews"].append({"buffer": 0, "byteOffset": len(self.blob),
                                        "byteLength": data.nbytes, "target": target})
        self.blob += data.tobytes()
        acc = {"bufferView": len(self.doc["bufferViews"]) - 1, "componentType": ctype,
               "count": int(data.shape[0]), "type": kind}
        if normalized:
            acc["normalized"] = True
        if bounds:
            acc["min"] = np.asarray(data, np.float64).min(0).reshape(-1).tolist()
            acc["max"] = np.asarray(data, np.float64).max(0).reshape(-1).tolist()
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def material(self, name: str, rgb=(1.0, 1.0, 1.0), roughness: float = 0.8) -> int:
        self.doc["materials"].append({
            "name": name, "doubleSided": True,
            "pbrMetallicRoughness": {"baseColorFactor": [*srgb_to_linear(rgb).tolist(), 1.0],
                                     "metallicFactor": 0.0, "roughnessFactor": roughness}})
        return len(self.doc["materials"]) - 1

    def mesh(self, m: Mesh, parent: int, roughness: float = 0.8) -> int:
        attrs = {"POSITION": self.accessor(m.points.astype(np.float32), FLOAT, "VEC3",
                                           ARRAY_BUFFER, bounds=True),
                 "NORMAL": self.accessor(m.normals.astype(np.float32), FLOAT, "VEC3",
                                         ARRAY_BUFFER)}
        if m.colors is not None:
            lin = srgb_to_linear(m.colors / 255.0)
            rgba = np.c_[(lin * 255 + 0.5).astype(np.uint8), np.full(len(lin), 255, np.uint8)]
            attrs["COLOR_0"] = self.accessor(rgba, UBYTE, "VEC4", ARRAY_BUFFER, normalized=True)
        for key, arr in m.arrays.items():
            if key in ("loss", "accuracy"):
                # glTF accessors may not hold NaN/inf: non-finite losses become the float32
                # maximum (the .vtp keeps them as they are)
                a = np.nan_to_num(np.asarray(arr, np.float32), nan=np.finfo(np.float32).max,
                                  posinf=np.finfo(np.float32).max)
                attrs["_" + key.upper()] = self.accessor(a, FLOAT, "SCALAR", ARRAY_BUFFER)
        mat = self.material(m.name, (1.0, 1.0, 1.0) if m.colors is not None else m.color,
                            roughness)
        idx = self.accessor(m.triangles.astype(np.uint32).reshape(-1), UINT, "SCALAR",
                            ELEMENT_ARRAY_BUFFER)
        self.doc["meshes"].append({"name": m.name, "primitives": [
            {"attributes": attrs, "indices": idx, "material": mat, "mode": 4}]})
        self.doc["nodes"].append({"name": m.name, "mesh": len(self.doc["meshes"]) - 1})
        node = len(self.doc["nodes"]) - 1
        self.doc["nodes"][parent].setdefault("children", []).append(node)
        return node

    def group(self, name: str, translation=(0.0, 0.0, 0.0), extras=None) -> int:
        node = {"name": name, "children": []}
        if any(translation):
            node["translation"] = [float(v) for v in translation]
        if extras:
            node["extras"] = extras
        self.doc["nodes"].append(node)
        k = len(self.doc["nodes"]) - 1
        self.doc["nodes"][0]["children"].append(k)
        return k


def build(content) -> tuple[dict, bytes]:
    """The glTF document and its binary buffer for ``content``'s views."""
    from landscape.exports._page import group_colors

    b = _Builder()
    x = 0.0
    for k, v in enumerate(content.views):
        sc = v.scale
        extras = {"title": v.title, "subtitle": v.subtitle,
                  "height_scale": {"log10": bool(sc.log), "loss_lo": sc.lo, "loss_hi": sc.hi,
                                   "z_per_unit": sc.z_per_h,
                                   "z": "(log10(loss) if log10 else loss, clipped to "
                                        "[loss_lo, loss_hi], minus its value at loss_lo) "
                                        "* z_per_unit"}}
        a0, a1 = float(v.surface.span[0]), float(v.surface.span[1])
        node = b.group(v.title or f"view {k + 1}", (x - a0 if k else 0.0, 0.0, 0.0), extras)
        b.mesh(surface_mesh(v), node)
        colors = group_colors(v.trajectory.groups, "dark") if v.trajectory is not None else []
        for m in ball_meshes(v, colors):
            b.mesh(m, node, roughness=0.35)
        x += (a1 - a0 if k else a1) + 0.25 * v.span
    b.doc["buffers"].append({"byteLength": len(b.blob)})
    return b.doc, bytes(b.blob)


def write_gltf(content, path: str, binary: bool = True) -> str:
    """Write ``content`` to ``path`` atomically: ``.glb`` when ``binary``, else ``.gltf`` with
    the buffer as a base64 data URI (one file either way)."""
    from landscape.files import atomic_write

    doc, blob = build(content)
    if binary:
        js = json.dumps(doc, separators=(",", ":")).encode()
        js += b" " * (-len(js) % 4)
        bin_ = blob + b"\0" * (-len(blob) % 4)
        total = 12 + 8 + len(js) + 8 + len(bin_)
        data = (struct.pack("<4sII", b"glTF", 2, total)
                + struct.pack("<I4s", len(js), b"JSON") + js
                + struct.pack("<I4s", len(bin_), b"BIN\0") + bin_)
    else:
        doc["buffers"][0]["uri"] = ("data:application/octet-stream;base64,"
                                    + base64.b64encode(blob).decode("ascii"))
        data = json.dumps(doc, separators=(",", ":")).encode()
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return path
