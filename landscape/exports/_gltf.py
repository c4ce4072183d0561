"""glTF 2.0 files (``.glb`` binary, ``.gltf`` JSON with the buffer inline) of exported views,
written with numpy alone: no render window, so it works wherever Python does.

Every view is one node holding the surface (vertex colours, and the loss and accuracy as the
custom vertex attributes ``_LOSS`` and ``_ACCURACY``, which Blender imports as mesh attributes),
θ* and one node per ball (a sphere mesh shared by its group; grey for a ball escaped by the end)
at its final position; views of a multi-view scene stand side by side along x. glTF is +Y up: a
root node turns our +Z-up world over, and viewers and Blender's importer show the relief
upright. Colours are stored linear (glTF's convention), so a viewer shows the colour map's sRGB
colours unchanged.

When balls move, one animation plays the video's timeline (`landscape.exports._gltf_animation`):
a LINEAR translation channel per ball (keyframes at the video's times; an escaped ball stops
where it escaped), a riding timelapse's surface as morph targets (one per checkpoint but the
last, which is the base mesh) with a weights channel, and the scene's camera (one camera node
per view, seeing it as the video's panel does) with its orbit as translation and rotation
channels. The static pose is the last frame.
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

from landscape.exports import _gltf_animation as anim
from landscape.exports._geometry import (
    Mesh,
    ball_positions,
    rgb_of,
    spheres,
    surface_mesh,
    theta_star_mesh,
)

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


def build(content, max_keys: int | None = None) -> tuple[dict, bytes]:
    """The glTF document and its binary buffer for ``content``'s views; ``max_keys`` thins the
    animation to that many keyframes (first and last kept)."""
    from landscape.exports._page import group_colors

    b = Builder()
    keys = anim.keyframes(content.n_steps, max_keys) if content.animated else None
    x, channels = 0.0, []
    bounds = view_bounds(content.views)
    for k, v in enumerate(content.views):
        sc = v.scale
        extras = {"title": v.title, "subtitle": v.subtitle,
                  "height_scale": {"log10": bool(sc.log), "loss_lo": sc.lo, "loss_hi": sc.hi,
                                   "z_per_unit": sc.z_per_h,
                                   "z": "(log10(loss) if log10 else loss, clipped to "
                                        "[loss_lo, loss_hi], minus its value at loss_lo) "
                                        "* z_per_unit"}}
        a0, a1 = float(v.surface.span[0]), float(v.surface.span[1])
        dx = x - a0 if k else 0.0
        node = b.group(v.title or f"view {k + 1}", (dx, 0.0, 0.0), extras)
        surface = b.mesh(surface_mesh(v), node)
        if v.timelapse is not None:
            channels += morph_surface(b, v, surface, keys)
        colors = group_colors(v.trajectory.groups, "dark") if v.trajectory is not None else []
        if v.timelapse is None:          # a riding plane's centre is θ_t, the ball, not θ*
            for m in theta_star_mesh(v):
                b.mesh(m, node)
        channels += ball_nodes(b, v, node, colors, keys)
        channels += camera_node(b, content, node, bounds, keys)
        x += (a1 - a0 if k else a1) + 0.25 * v.span
    if keys is not None and channels:
        times = b.accessor(np.asarray(content.times, np.float32)[keys], FLOAT, "SCALAR", None,
                           bounds=True)
        samplers = [{"input": times, "output": out, "interpolation": "LINEAR"}
                    for _, _, out in channels]
        b.doc["animations"] = [{"name": content.title or "landscape", "samplers": samplers,
                                "channels": [{"sampler": i, "target": {"node": n, "path": p}}
                                             for i, (n, p, _) in enumerate(channels)]}]
    b.doc["buffers"].append({"byteLength": len(b.blob)})
    return b.doc, bytes(b.blob)


def morph_surface(b: Builder, v, node: int, keys) -> list:
    """Give a riding timelapse's surface mesh (the last checkpoint) one morph target per other
    checkpoint (POSITION and NORMAL deltas) and, when animated, a weights channel."""
    tl = v.timelapse
    base = surface_mesh(v, tl.surfaces[-1])
    prim = b.doc["meshes"][b.doc["nodes"][node]["mesh"]]["primitives"][0]
    targets = []
    for s in tl.surfaces[:-1]:
        m = surface_mesh(v, s)
        targets.append({
            "POSITION": b.accessor((m.points - base.points).astype(np.float32), FLOAT, "VEC3",
                                   ARRAY_BUFFER, bounds=True),
            "NORMAL": b.accessor((m.normals - base.normals).astype(np.float32), FLOAT, "VEC3",
                                 ARRAY_BUFFER),
            "COLOR_0": b.accessor(np.c_[linear_rgb(m.colors) - linear_rgb(base.colors),
                                        np.zeros(len(m.colors))].astype(np.float32), FLOAT,
                                  "VEC4", ARRAY_BUFFER)})
    prim["targets"] = targets
    mesh = b.doc["meshes"][b.doc["nodes"][node]["mesh"]]
    mesh["weights"] = [0.0] * len(targets)
    mesh["extras"] = {"targetNames": [f"step {int(st)}" for st in tl.steps[:-1]]}
    if keys is None:
        return []
    w = anim.morph_weights(v, keys)
    return [(node, "weights", b.accessor(w.reshape(-1), FLOAT, "SCALAR", None))]


def ball_nodes(b: Builder, v, parent: int, colors, keys) -> list:
    """One node per ball at its last position, sharing one sphere mesh per group (grey for a
    ball that has escaped by the end); when animated, a translation channel each."""
    tr = v.trajectory
    if tr is None:
        return []
    last = tr.n_frames - 1
    xyz = ball_positions(v, tr.positions[last], tr.heights[last])
    esc = np.asarray(tr.escaped[last], bool)
    tracks, first = anim.ball_tracks(v, keys) if keys is not None else (None, None)
    meshes = {}
    channels = []
    for n in range(tr.n_balls):
        g = int(tr.group[n])
        key = "escaped" if esc[n] else g
        if key not in meshes:
            name = "escaped balls" if esc[n] else str(tr.groups[g].get("name", f"group {g}"))
            rgb = (0.55, 0.55, 0.58) if esc[n] else rgb_of(colors[g])
            meshes[key] = b.add_mesh(spheres(name, [[0.0, 0.0, 0.0]], v.radius, rgb),
                                     roughness=0.35)
        pos = xyz[n] if tracks is None else tracks[-1, n]
        extras = {"group": str(tr.groups[g].get("name", f"group {g}"))}
        if first is not None and first[n] >= 0:
            extras["escaped_at_keyframe"] = int(first[n])
        node = b.node(f"{extras['group']} · ball {n + 1}", parent, mesh=meshes[key],
                      translation=pos, extras=extras)
        if tracks is not None:
            channels.append((node, "translation",
                             b.accessor(tracks[:, n], FLOAT, "VEC3", None)))
    return channels


def view_bounds(views) -> list[float]:
    """(x0, x1, y0, y1, z0, z1) holding every view's surface in its own coordinates: what the
    renderer's camera frames (each view in its own viewport, all seen alike)."""
    spans = np.array([[float(t) for t in v.surface.span] for v in views])
    return [spans[:, 0].min(), spans[:, 1].max(), spans[:, 2].min(), spans[:, 3].max(), 0.0,
            max(float(v.scale.z_top) for v in views)]


def camera_node(b: Builder, content, parent: int, bounds, keys) -> list:
    """The scene's camera for one view, as the video shows that view in its own panel: a
    camera node under the view's node (the renderer's field of view, framing ``bounds``);
    when the camera moves, its orbit as translation and rotation channels."""
    name = f"camera ({content.camera}) · {b.doc['nodes'][parent]['name']}"
    b.doc.setdefault("cameras", []).append({
        "name": name, "type": "perspective",
        "perspective": {"yfov": float(np.radians(anim.VIEW_ANGLE)), "aspectRatio": anim.ASPECT,
                        "znear": 0.01}})
    steps = keys if keys is not None else np.array([0])
    t, q = anim.camera_track(content, steps, bounds)
    node = b.node(name, parent, translation=t[-1], camera=len(b.doc["cameras"]) - 1)
    b.doc["nodes"][node]["rotation"] = q[-1].astype(float).tolist()
    if keys is None or np.ptp(t, axis=0).max() == 0:
        return []
    return [(node, "translation", b.accessor(t, FLOAT, "VEC3", None)),
            (node, "rotation", b.accessor(q, FLOAT, "VEC4", None))]


def write_gltf(content, path: str, binary: bool = True, max_keys: int | None = None) -> str:
    """Write ``content`` to ``path`` atomically: ``.glb`` when ``binary``, else ``.gltf`` with
    the buffer as a base64 data URI (one file either way); ``max_keys``: see `build`."""
    from landscape.files import atomic_write

    doc, blob = build(content, max_keys)
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
