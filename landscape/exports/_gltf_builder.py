"""The glTF document being written: buffer views, accessors, materials, meshes and nodes over
one binary buffer (`Builder`), and the colour conversion glTF asks for (linear, not sRGB)."""

from __future__ import annotations

import numpy as np

from landscape.exports._geometry import Mesh

Z_UP_TO_Y_UP = [-0.7071067811865476, 0.0, 0.0, 0.7071067811865476]   # -90° about x
FLOAT, UINT, UBYTE = 5126, 5125, 5121
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


def srgb_to_linear(c) -> np.ndarray:
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_rgb(colors: np.ndarray) -> np.ndarray:
    """uint8 sRGB ``[V, 3]`` → float linear ``[V, 3]`` in [0, 1], as the file stores them."""
    return srgb_to_linear(np.asarray(colors) / 255.0)


class Builder:
    """Accumulates buffer views, accessors, materials, meshes and nodes."""

    def __init__(self):
        self.blob = bytearray()
        self.doc = {"asset": {"version": "2.0", "generator": "landscape"},
                    "buffers": [], "bufferViews": [], "accessors": [], "materials": [],
                    "meshes": [], "nodes": [], "scenes": [{"name": "landscape", "nodes": [0]}],
                    "scene": 0}
        self.doc["nodes"].append({"name": "landscape", "rotation": Z_UP_TO_Y_UP,
                                  "children": []})

    def accessor(self, array: np.ndarray, ctype: int, kind: str, target: int | None,
                 normalized: bool = False, bounds: bool = False) -> int:
        """An accessor over a new buffer view of ``array``; ``target`` None for data that is
        no vertex attribute or index (animation keyframes)."""
        data = np.ascontiguousarray(array)
        while len(self.blob) % 4:
            self.blob.append(0)
        view = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": data.nbytes}
        if target is not None:
            view["target"] = target
        self.doc["bufferViews"].append(view)
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
        """A node under ``parent`` holding ``m``; returns the node."""
        return self.node(m.name, parent, mesh=self.add_mesh(m, roughness))

    def add_mesh(self, m: Mesh, roughness: float = 0.8) -> int:
        """A glTF mesh of ``m`` (nodes may share it); returns the mesh."""
        attrs = {"POSITION": self.accessor(m.points.astype(np.float32), FLOAT, "VEC3",
                                           ARRAY_BUFFER, bounds=True),
                 "NORMAL": self.accessor(m.normals.astype(np.float32), FLOAT, "VEC3",
                                         ARRAY_BUFFER)}
        if m.colors is not None:
            rgba = np.c_[(linear_rgb(m.colors) * 255 + 0.5).astype(np.uint8),
                         np.full(len(m.colors), 255, np.uint8)]
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
        return len(self.doc["meshes"]) - 1

    def node(self, name: str, parent: int, *, mesh: int | None = None, translation=None,
             extras=None, camera: int | None = None) -> int:
        """A node under ``parent``; returns it."""
        node = {"name": name}
        for key, value in (("mesh", mesh), ("camera", camera), ("extras", extras)):
            if value is not None:
                node[key] = value
        if translation is not None:
            node["translation"] = [float(t) for t in translation]
        self.doc["nodes"].append(node)
        k = len(self.doc["nodes"]) - 1
        self.doc["nodes"][parent].setdefault("children", []).append(k)
        return k

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
