"""Looks: how a frame is lit and finished, chosen per render (``--look``).

``plain`` (the default up to medium quality) is what runs fast on a laptop's CPU renderer:
flat background, Phong-lit smooth surface, sphere-impostor balls, no anti-aliasing. ``cinematic``
(the default at high quality) adds what video makers ask for, each measured by
``benchmarks/look.py`` (ms a frame at 720p; see docs/DEVELOPING.md): 4-sample supersampling
anti-aliasing (smooth edges on the surface, contours, trails and balls; about 4× a plain frame
on a CPU renderer, as FXAA is there), a glossier surface, specular highlights on the lit sphere
balls and thicker trails lifted clear of the surface (each of these three free). Screen-space
ambient occlusion (+35 ms) and shadow maps (+150 ms) were measured and left out: VTK's SSAO and
shadow passes fail to compile their shaders for the sphere-impostor balls (the balls lose their
shading), and on a smooth surface lit from above they add little. The camera's
ease-in/ease-out paths are the same in both looks (`landscape.scene`).
"""

from __future__ import annotations

import dataclasses

from landscape.errors import choice

LOOKS = ("plain", "cinematic")


@dataclasses.dataclass(frozen=True)
class Look:
    """The settings of one look (see the module docstring)."""

    name: str
    anti_aliasing: str | None        # None | "fxaa" | "ssaa"
    ssao: bool
    surface_specular: float
    surface_specular_power: float
    ball_specular: float
    trail_width: float
    trail_lift: float                # trails drawn this many ball radii above the balls' centres


_LOOKS = {
    "plain": Look("plain", None, False, 0.25, 20.0, 0.0, 2.0, 0.0),
    "cinematic": Look("cinematic", "ssaa", False, 0.45, 40.0, 0.7, 3.0, 0.6),
}


def get_look(name: "str | Look") -> Look:
    """A look by name (``plain`` or ``cinematic``)."""
    if isinstance(name, Look):
        return name
    choice("look", name, LOOKS)
    return _LOOKS[name]


def default_look(quality_name: str) -> str:
    """``cinematic`` at high quality, ``plain`` below (low and medium stay fast)."""
    return "cinematic" if quality_name == "high" else "plain"
