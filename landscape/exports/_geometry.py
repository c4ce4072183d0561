"""Triangle meshes of an exported view, in world units (``x = a``, ``y = b``, ``z`` = the
renderer's height of the loss, relief 0.55 × the span): the surface with its per-vertex loss,
accuracy and colour, spheres for the balls and θ*, and where the balls are drawn. Pure numpy;
the writers (`landscape.exports._gltf`, `landscape.exports._meshfiles`) turn these into files.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Mesh:
    """A triangle mesh.

    Attributes:
      name: what it is (``surface``, the group's name, ``θ*``).
      points: float32 ``[V, 3]``; normals: float32 ``[V, 3]`` (unit); triangles: uint32
      ``[F, 3]``; colors: uint8 ``[V, 3]`` sRGB per vertex, or None; color: sRGB in [0, 1]
      for the whole mesh when ``colors`` is None; arrays: per-vertex float32 data by name
      (``loss``, ``accuracy``, ``height``).
    """

    name: str
    points: np.ndarray
    normals: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray | None = None
    color: tuple = (1.0, 1.0, 1.0)
    arrays: dict = dataclasses.field(default_factory=dict)


def grid_triangles(na: int, nb: int) -> np.ndarray:
    """uint32 ``[2 (na-1)(nb-1), 3]``: two counter-clockwise (seen from +z) triangles per cell
    of an ``na × nb`` grid whose vertex ``(i, j)`` is ``i * nb + j`` (``i`` along a)."""
    i, j = np.meshgrid(np.arange(na - 1), np.arange(nb - 1), indexing="ij")
    v00, v10 = i * nb + j, (i + 1) * nb + j
    v01, v11 = v00 + 1, v10 + 1
    t = np.concatenate([np.stack([v00, v10, v11], -1).reshape(-1, 3),
                        np.stack([v00, v11, v01], -1).reshape(-1, 3)])
    return t.astype(np.uint32)


def vertex_normals(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (unit; +z for a vertex no triangle touches)."""
    p = np.asarray(points, np.float64)
    t = np.asarray(triangles, np.int64)
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, t[:, k], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(norm > 0, n / np.where(norm > 0, norm, 1), [0.0, 0.0, 1.0])
    return n.astype(np.float32)


def surface_mesh(view, surface=None) -> Mesh:
    """The whole grid of ``view`` (a `landscape.exports._content.View`) as a mesh: one vertex per
    grid point, ``loss`` and ``accuracy`` as computed (non-finite values kept; such vertices
    sit at the top of the scale, as the renderer draws them), colours from the renderer's
    colour map over the same scale. ``surface``: another surface on the same grid and scale
    (a timelapse's checkpoint) instead of the view's own."""
    from matplotlib import colormaps

    s, sc = surface if surface is not None else view.surface, view.scale
    A, B = np.meshgrid(np.asarray(s.alphas, np.float64), np.asarray(s.betas, np.float64),
                       indexing="ij")
    loss = np.asarray(s.loss, np.float64)
    z = sc.z(loss)
    pts = np.stack([A.ravel(), B.ravel(), z.ravel()], 1).astype(np.float32)
    tri = grid_triangles(*loss.shape)
    t = (sc.h(loss) - sc.h_lo) / max(sc.h_hi - sc.h_lo, 1e-12)
    rgb = colormaps["viridis"](np.clip(t.ravel(), 0, 1))[:, :3]
    return Mesh("surface", pts, vertex_normals(pts, tri), tri,
                colors=(rgb * 255 + 0.5).astype(np.uint8),
                arrays={"loss": loss.ravel().astype(np.float32),
                        "accuracy": np.asarray(s.accuracy, np.float32).ravel(),
                        "height": z.ravel().astype(np.float32)})


def sphere(radius: float, segments: int = 12, rings: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A UV sphere at the origin: ``(points [V, 3], triangles [F, 3])``, outward-facing."""
    th = np.linspace(0, np.pi, rings + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing="ij")
    ring = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    pts = np.concatenate([[[0, 0, 1]], ring, [[0, 0, -1]]]) * radius
    top, bottom = 0, len(pts) - 1
    tris = []
    for k in range(segments):
        k1 = (k + 1) % segments
        tris.append((top, 1 + k, 1 + k1))
        tris.append((bottom, 1 + (rings - 2) * segments + k1, 1 + (rings - 2) * segments + k))
    for r in range(rings - 2):
        for k in range(segments):
            k1 = (k + 1) % segments
            a, b = 1 + r * segments + k, 1 + r * segments + k1
            c, d = a + segments, b + segments
            tris.append((a, c, d))
            tris.append((a, d, b))
    return pts.astype(np.float32), np.asarray(tris, np.uint32)


def spheres(name: str, centres: np.ndarray, radius: float, color) -> Mesh:
    """One mesh of a sphere at each of ``centres`` ``[N, 3]``."""
    p0, t0 = sphere(radius)
    c = np.asarray(centres, np.float32).reshape(-1, 3)
    pts = (c[:, None, :] + p0[None]).reshape(-1, 3)
    tri = (t0[None] + (np.arange(len(c), dtype=np.uint32) * len(p0))[:, None, None]).reshape(-1, 3)
    nrm = np.tile(p0 / np.linalg.norm(p0, axis=1, keepdims=True), (len(c), 1))
    return Mesh(name, pts.astype(np.float32), nrm.astype(np.float32), tri, color=tuple(color))


def ball_positions(view, positions, heights) -> np.ndarray:
    """Where balls at plane ``positions`` ``[..., N, 2]`` with surface ``heights`` ``[..., N]``
    are drawn, float64 ``[..., N, 3]`` in the surface mesh's coordinates, as the renderer
    draws them (`landscape.render` ``View.world``): a and b clipped to the grid widened by a
    quarter of its span (an escaped ball waits at the edge), the centre one radius above the
    surface."""
    a0, a1, b0, b1 = (float(v) for v in view.surface.span)
    m = 0.25 * view.span
    p = np.asarray(positions, np.float64)
    return np.stack([np.clip(p[..., 0], a0 - m, a1 + m), np.clip(p[..., 1], b0 - m, b1 + m),
                     view.scale.z(np.asarray(heights, np.float64)) + view.radius], -1)


def theta_star_mesh(view) -> list[Mesh]:
    """θ* as a white sphere above the surface, when it is on the grid (else nothing)."""
    l0 = view.theta_star_loss()
    if l0 is None:
        return []
    r = view.radius
    return [spheres("θ* (trained weights)", [[0.0, 0.0, float(view.scale.z(l0)) + 1.6 * r]],
                    1.3 * r, (1.0, 1.0, 1.0))]


def rgb_of(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
