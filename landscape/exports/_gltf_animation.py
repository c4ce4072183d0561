"""What a glTF file animates, as numpy arrays: the keyframes kept, each ball's track, a riding
timelapse's morph weights and the scene's camera over time. `landscape.exports._gltf` writes
them as accessors, samplers and channels.

Times are the export's own (`landscape.exports._content.Content.times`): for a scene, step k of
the video's timeline at k / fps seconds, so a 3D file plays in step with the video. Positions
are in the surface mesh's coordinates (`landscape.exports._geometry.ball_positions`, the
renderer's rule): a ball node's translation is where the video draws that ball.
"""

from __future__ import annotations

import numpy as np

#: vertical field of view of the renderer's camera (`landscape.render` ``CameraRig``), degrees
VIEW_ANGLE = 30.0
ASPECT = 16 / 9


def keyframes(n_steps: int, max_keys: int | None = None) -> np.ndarray:
    """Indices of the export's time steps kept as keyframes: all of them, or ``max_keys``
    spread evenly, the first and the last always kept."""
    from landscape.exports._content import even_frames

    if max_keys is None or max_keys >= n_steps:
        return np.arange(int(n_steps))
    return even_frames(n_steps, max_keys)


def ball_tracks(view, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each ball's position at each keyframe, float32 ``[len(keys), N, 3]``, and the keyframe
    at which it is first seen escaped, int ``[N]`` (-1: never). From that keyframe on a track
    holds the position it escaped at: an escaped ball stops there."""
    tr = view.trajectory
    f = np.asarray(view.frames)[np.asarray(keys)]
    from landscape.exports._geometry import ball_positions

    xyz = ball_positions(view, np.asarray(tr.positions)[f], np.asarray(tr.heights)[f])
    esc = np.asarray(tr.escaped, bool)[f]                                     # [K, N]
    first = np.where(esc.any(0), esc.argmax(0), -1)
    for n in np.flatnonzero(first >= 0):
        xyz[first[n]:, n] = xyz[first[n], n]
    return xyz.astype(np.float32), first


def morph_weights(view, keys: np.ndarray) -> np.ndarray:
    """A riding timelapse's surface at each keyframe as weights of its morph targets, float32
    ``[len(keys), C - 1]``: target j is checkpoint j's surface less the last checkpoint's (the
    base mesh), so the blend of checkpoints k and k+1 at weight w (what the renderer draws,
    `landscape.pipeline.checkpoint_position`) is weight 1 - w on target k and w on target k+1
    (the last checkpoint has no target: it is the base)."""
    from landscape.pipeline import checkpoint_position

    tl, tr = view.timelapse, view.trajectory
    C = tl.n_checkpoints
    k, w = checkpoint_position(tl, tr.n_frames)
    f = np.asarray(view.frames)[np.asarray(keys)]
    out = np.zeros((len(f), C), np.float64)
    rows = np.arange(len(f))
    out[rows, k[f]] += 1.0 - w[f]
    out[rows, k[f] + 1] += w[f]
    return out[:, : C - 1].astype(np.float32)


def camera_path(content) -> np.ndarray:
    """The scene's camera at each of the export's time steps: float64 ``[K, 2]``, (elevation,
    azimuth) in degrees, from its preset, the presets its segments jump to and its orbits,
    as the video's camera moves (azimuth unwrapped, so it interpolates the short way)."""
    from landscape.picture import CAMERAS

    if content.camera_path is not None:
        return np.asarray(content.camera_path, np.float64)
    el, az = CAMERAS.get(content.camera, CAMERAS["iso"])
    return np.tile([el, az], (content.n_steps, 1)).astype(np.float64)


def camera_pose(focal, distance: float, elevation: float, azimuth: float):
    """The glTF camera node's translation and rotation (a unit quaternion x, y, z, w) in our
    +Z-up coordinates, for a camera ``distance`` from ``focal`` looking at it from
    (``elevation``, ``azimuth``) degrees, as `landscape.render` places it (looking straight
    down, 'up' is the horizontal direction away from the camera). A glTF camera looks along
    its local -Z with +Y up."""
    el, az = np.radians(elevation), np.radians(azimuth)
    d = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    up = np.array([-np.cos(az), -np.sin(az), 0.0]) if elevation > 89 else np.array([0, 0, 1.0])
    back = d                                     # local +Z: from the focal point to the camera
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    up2 = np.cross(back, right)
    return np.asarray(focal, np.float64) + distance * d, quaternion(np.c_[right, up2, back])


def quaternion(m: np.ndarray) -> np.ndarray:
    """The unit quaternion (x, y, z, w) of rotation matrix ``m`` [3, 3] (columns: the rotated
    axes), w ≥ 0."""
    m = np.asarray(m, np.float64)
    t = np.trace(m)
    if t > 0:
        s = 2.0 * np.sqrt(t + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0] * 4
        q[i] = s / 4
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
        q[3] = (m[k, j] - m[j, k]) / s
    q = np.asarray(q)
    q /= np.linalg.norm(q)
    return -q if q[3] < 0 else q


def camera_frame(bounds) -> tuple[np.ndarray, float]:
    """Focal point and distance that fit ``bounds`` (x0, x1, y0, y1, z0, z1), as the renderer's
    rig frames the stage (`landscape.render` ``CameraRig.frame_bounds``, a 16:9 view)."""
    b = np.asarray(bounds, np.float64)
    focal = np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])
    diag = float(np.linalg.norm(b[1::2] - b[0::2]))
    dist = 0.5 * diag / np.tan(np.radians(VIEW_ANGLE / 2)) * 1.1 / min(1.0, ASPECT / 1.3)
    return focal, dist


def camera_track(content, keys, bounds) -> tuple[np.ndarray, np.ndarray]:
    """The camera node's translation float32 ``[len(keys), 3]`` and rotation float32
    ``[len(keys), 4]`` at each keyframe (consecutive quaternions on one hemisphere, so a
    spherical interpolation turns the short way)."""
    focal, dist = camera_frame(bounds)
    path = camera_path(content)[np.asarray(keys)]
    ts, qs = zip(*(camera_pose(focal, dist, el, az) for el, az in path))
    q = np.array(qs)
    for i in range(1, len(q)):
        if np.dot(q[i], q[i - 1]) < 0:
            q[i] = -q[i]
    return np.array(ts, np.float32), q.astype(np.float32)
