"""What each view node of a glTF file holds besides its surface: a riding timelapse's morph
targets, one node per ball, and the view's camera, each with the animation channels that move
it (arrays from `landscape.exports._gltf_animation`). Every function adds to a
`landscape.exports._gltf_builder.Builder` and returns its channels as ``(node, path, output
accessor[, interpolation, input accessor])`` (default LINEAR over every keyframe's time);
`landscape.exports._gltf.build` gathers them into one animation."""

from __future__ import annotations

import numpy as np

from landscape.exports import _gltf_animation as anim
from landscape.exports._geometry import ball_positions, rgb_of, spheres, surface_mesh
from landscape.exports._gltf_builder import ARRAY_BUFFER, FLOAT, Builder, linear_rgb


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


def ball_nodes(b: Builder, v, parent: int, colors, keys, times) -> list:
    """One node per ball at its last position, sharing one sphere mesh per group (grey once the
    ball has escaped); when animated, a translation channel each. A ball that escapes after the
    first keyframe holds two child nodes, its colour and grey, swapped at the escape by STEP
    scale channels (core glTF animates no material), as the video greys it then. ``times``:
    the keyframes' times (seconds)."""
    tr = v.trajectory
    if tr is None:
        return []
    last = tr.n_frames - 1
    xyz = ball_positions(v, tr.positions[last], tr.heights[last])
    esc = np.asarray(tr.escaped[last], bool)
    tracks, first = anim.ball_tracks(v, keys) if keys is not None else (None, None)
    meshes, shared = {}, {}

    def mesh(key) -> int:
        if key not in meshes:
            grey = key == "escaped"
            name = "escaped balls" if grey else str(tr.groups[key].get("name", f"group {key}"))
            rgb = (0.55, 0.55, 0.58) if grey else rgb_of(colors[key])
            meshes[key] = b.add_mesh(spheres(name, [[0.0, 0.0, 0.0]], v.radius, rgb),
                                     roughness=0.35)
        return meshes[key]

    channels = []
    for n in range(tr.n_balls):
        g = int(tr.group[n])
        pos = xyz[n] if tracks is None else tracks[-1, n]
        extras = {"group": str(tr.groups[g].get("name", f"group {g}"))}
        name = f"{extras['group']} · ball {n + 1}"
        swap = first is not None and first[n] > 0
        if first is not None and first[n] >= 0:
            extras["escaped_at_keyframe"] = int(first[n])
        node = b.node(name, parent, mesh=None if swap else mesh("escaped" if esc[n] else g),
                      translation=pos, extras=extras)
        if tracks is not None:
            channels.append((node, "translation",
                             b.accessor(tracks[:, n], FLOAT, "VEC3", None)))
        if swap:
            # two keyframes, the start and the escape, shared by every ball escaping then
            if ("at", first[n]) not in shared:
                shared["at", first[n]] = b.accessor(np.asarray(times, np.float32)[[0, first[n]]],
                                                    FLOAT, "SCALAR", None, bounds=True)
            for part, on in (("colour", [1.0, 0.0]), ("escaped", [0.0, 1.0])):
                child = b.node(f"{name} · {part}", node,
                               mesh=mesh("escaped" if part == "escaped" else g))
                b.doc["nodes"][child]["scale"] = [on[-1]] * 3
                if part not in shared:
                    shared[part] = b.accessor(np.repeat(np.float32(on), 3).reshape(2, 3), FLOAT,
                                              "VEC3", None)
                channels.append((child, "scale", shared[part], "STEP", shared["at", first[n]]))
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
