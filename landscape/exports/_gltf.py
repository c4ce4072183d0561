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
from landscape.exports._geometry import surface_mesh, theta_star_mesh
from landscape.exports._gltf_builder import FLOAT, Builder
from landscape.exports._gltf_builder import srgb_to_linear as srgb_to_linear
from landscape.exports._gltf_nodes import (
    ball_nodes,
    camera_node,
    morph_surface,
    view_bounds,
)


def build(content, max_keys: int | None = None) -> tuple[dict, bytes]:
    """The glTF document and its binary buffer for ``content``'s views; ``max_keys`` thins the
    animation to that many keyframes (first and last kept)."""
    from landscape.exports._page import group_colors

    b = Builder()
    keys = anim.keyframes(content.n_steps, max_keys) if content.animated else None
    key_times = np.asarray(content.times)[keys] if keys is not None else None
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
        channels += ball_nodes(b, v, node, colors, keys, key_times)
        channels += camera_node(b, content, node, bounds, keys)
        x += (a1 - a0 if k else a1) + 0.25 * v.span
    if keys is not None and channels:
        times = b.accessor(key_times.astype(np.float32), FLOAT, "SCALAR", None,
                           bounds=True)
        samplers = [{"input": c[4] if len(c) > 4 else times, "output": c[2],
                     "interpolation": c[3] if len(c) > 3 else "LINEAR"} for c in channels]
        b.doc["animations"] = [{"name": content.title or "landscape", "samplers": samplers,
                                "channels": [{"sampler": i, "target": {"node": c[0],
                                                                       "path": c[1]}}
                                             for i, c in enumerate(channels)]}]
    b.doc["buffers"].append({"byteLength": len(b.blob)})
    return b.doc, bytes(b.blob)


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
