"""A scene's plan as video frames: `timeline(scene, fps)` says, for each frame, which recorded
step each landscape shows, how far the camera turns, the caption and any camera preset."""

from __future__ import annotations

import dataclasses

from landscape.scene._scene import Scene


@dataclasses.dataclass
class FrameSpec:
    """One video frame: the recorded step index each landscape shows, the camera turn since
    the previous frame (degrees), the caption and an optional camera preset to jump to."""

    index: list
    d_azimuth: float
    caption: str | None
    camera: str | None = None


def _smooth(t: float) -> float:
    return t * t * (3 - 2 * t)  # ease in and out: the camera starts and stops gently


def timeline(scene: Scene, fps: int) -> list[FrameSpec]:
    """The plan as frames at ``fps`` (times scaled by the quality's ``time_scale``)."""
    frames = []
    done = [0] * len(scene.landscapes)
    for seg in scene.segments:
        n = max(1, int(round(seg.run_time * scene.quality.time_scale * fps)))
        az = seg.orbit
        for k in range(1, n + 1):
            p = k / n
            idx = [done[i] + int(round(p * seg.rolls.get(i, 0))) for i in range(len(done))]
            ds = _smooth(p) - _smooth((k - 1) / n)
            frames.append(FrameSpec(idx, az * ds, seg.caption,
                                    seg.camera if k == 1 else None))
        for i in range(len(done)):
            done[i] += seg.rolls.get(i, 0)
    return frames
