"""Camera presets, one table for every picture: the stage's rig (`landscape.render`) and the
HTML page's plotly camera (`landscape.exports`) read the same numbers."""

from __future__ import annotations

#: preset → (elevation, azimuth) in degrees; azimuth 0 looks along +a, -90 looks along +b
CAMERAS: dict[str, tuple[float, float]] = {"iso": (38.0, -55.0), "top": (89.9, -90.0),
                                           "side": (6.0, -90.0)}
