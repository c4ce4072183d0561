"""Camera rig shared by all views: presets, an orbit, and easing the focus toward a group.

The rig keeps (focal point, distance, azimuth, elevation) and writes them to one vtkCamera
that every view's renderer shares, so side-by-side landscapes always stay in sync.
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError
from landscape.picture import CAMERAS as PRESETS

# PRESETS: preset → (elevation, azimuth), the one table every picture reads


class CameraRig:
    def __init__(self, camera):
        self.camera = camera
        self.focal = np.zeros(3)
        self.home = np.zeros(3)
        self.distance = 3.0
        self.elevation, self.azimuth = PRESETS["iso"]
        self.view_angle = 30.0
        self.window_center = (0.0, 0.0)
        self.aspect = 16 / 9     # of one view, width / height

    def frame_bounds(self, bounds) -> None:
        """Aim at the middle of ``bounds`` (x0, x1, y0, y1, z0, z1) from a distance that fits."""
        b = np.asarray(bounds, np.float64)
        self.home = np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])
        self.focal = self.home.copy()
        diag = float(np.linalg.norm(b[1::2] - b[0::2]))
        # the view angle is vertical: a tall viewport needs to step back by its aspect
        self.distance = (0.5 * diag / np.tan(np.radians(self.view_angle / 2)) * 1.1
                         / min(1.0, self.aspect / 1.3))
        self.apply()

    def preset(self, name: str) -> None:
        if name not in PRESETS:
            raise LandscapeError(f"unknown camera preset {name!r}; choose one of: "
                                 f"{', '.join(PRESETS)}")
        self.elevation, self.azimuth = PRESETS[name]
        self.focal = self.home.copy()
        self.apply()

    def orbit(self, degrees: float) -> None:
        self.azimuth = (self.azimuth + float(degrees)) % 360.0
        self.apply()

    def elevate(self, degrees: float) -> None:
        self.elevation = float(np.clip(self.elevation + degrees, -5.0, 89.9))
        self.apply()

    def zoom(self, factor: float) -> None:
        self.distance /= float(factor)
        self.apply()

    def follow(self, target, weight: float = 0.15) -> None:
        """Move the focal point a fraction ``weight`` of the way toward ``target`` [3]."""
        t = np.asarray(target, np.float64)
        if np.all(np.isfinite(t)):
            self.focal = (1 - weight) * self.focal + weight * t
            self.apply()

    def apply(self) -> None:
        el, az = np.radians(self.elevation), np.radians(self.azimuth)
        d = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        cam = self.camera
        cam.SetFocalPoint(*self.focal)
        cam.SetPosition(*(self.focal + self.distance * d))
        # looking straight down, 'up' is the horizontal direction away from the camera
        up = (-np.cos(az), -np.sin(az), 0.0) if self.elevation > 89 else (0.0, 0.0, 1.0)
        cam.SetViewUp(*up)
        cam.SetViewAngle(self.view_angle)
        cam.SetWindowCenter(*self.window_center)
