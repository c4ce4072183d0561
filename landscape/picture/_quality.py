"""Quality presets: the one table that says, for each preset, how fine the surface grid is, the
video size and frame rate, and how many balls a group may have. Scenes, the player and the
renderer all read it (`landscape.render.QUALITY` is derived from it)."""

from __future__ import annotations

import dataclasses

from landscape.errors import choice


@dataclasses.dataclass(frozen=True)
class Quality:
    """One quality preset.

    Attributes:
      name: ``tiny`` (tests), ``low``, ``medium``, ``high``.
      grid: N for the N×N surface grid.
      size: video ``(width, height)``; fps: video frames per second.
      max_balls: cap on each ball group (``None``: as the scene says).
      time_scale: multiplies every animation's duration (tests) without changing how many
        optimizer steps the balls take.
    """

    name: str
    grid: int
    size: tuple[int, int]
    fps: int
    max_balls: int | None = None
    time_scale: float = 1.0

    def video(self) -> tuple[tuple[int, int], int]:
        """``((width, height), fps)`` for this preset."""
        return self.size, self.fps


# ``tiny`` is for tests: a 15×15 grid, at most 16 balls per group and a handful of small frames.
QUALITIES: dict[str, Quality] = {
    "tiny": Quality("tiny", grid=15, size=(192, 112), fps=2, max_balls=16, time_scale=0.5),
    "low": Quality("low", grid=41, size=(854, 480), fps=15),
    "medium": Quality("medium", grid=61, size=(1280, 720), fps=30),
    "high": Quality("high", grid=121, size=(1920, 1080), fps=60),
}
QUALITY_ALIASES = {"l": "low", "m": "medium", "h": "high", "t": "tiny"}


def get_quality(name: "str | Quality") -> Quality:
    """A preset by name (``low``/``medium``/``high``, or ``l``/``m``/``h``; ``tiny`` for tests)."""
    if isinstance(name, Quality):
        return name
    name = QUALITY_ALIASES.get(str(name).lower(), str(name).lower())
    if name not in QUALITIES:
        choice("quality", name, ("low", "medium", "high"))
    return QUALITIES[name]
