"""Heads-up display of one view: title, step, one coloured line per group (the legend), census.

Text actors are built once; each frame only calls ``SetInput`` on them. Census labels are
billboards anchored at each minimum, rebuilt only when the census changes.
"""

from __future__ import annotations

import numpy as np
import vtk

from landscape.picture import NONFINITE, census_label, census_more, legend_parts
from landscape.picture import legend_settings as legend_settings  # noqa: F401 (re-exported)
from landscape.render import _colors as colors
from landscape.render._axes import world_label


def wrap(text: str, max_chars: int) -> str:
    """``text`` on as many lines as it needs to be at most ``max_chars`` wide: broken first at
    its " · " separators, then between words."""
    if len(text) <= max_chars:
        return text
    parts = [p.strip() for p in text.split("·")]
    lines, cur = [], ""
    for part in parts:
        for word in part.split(" "):
            cand = f"{cur} {word}" if cur else word
            if len(cand) > max_chars and cur:
                lines.append(cur)
                cur = word
            else:
                cur = cand
        lines.append(cur)
        cur = ""
    return "\n".join(line for line in lines if line)


class Hud:
    """Title, step line and legend at the top left of a view, laid out in pixels (so lines
    never overlap, whatever the view's size) and wrapped to the view's width."""

    TITLE, BODY = 17, 12

    def __init__(self, renderer, groups, group_colors, title: str = "", fs: float = 1.0,
                 view_height: float = 720.0, view_width: float = 1280.0, *, theme):
        self.renderer = renderer
        self.theme = theme
        self.fs = fs
        self.view_height, self.view_width = float(view_height), float(view_width)
        self.groups = groups
        self.title = self._text("", (0.02, 0.975), self.TITLE, bold=True, vjust="top")
        self.title.GetTextProperty().SetLineSpacing(1.1)
        self.step = self._text("", (0.02, 0.9), self.BODY, color=theme.text_dim, vjust="top")
        self.lines = []
        for k, g in enumerate(groups):
            self.lines.append(self._text("", (0.02, 0.9), self.BODY,
                                         color=theme.on_background(group_colors[k]),
                                         vjust="top"))
        self.warning = self._text("", (0.02, 0.02), 11, color=NONFINITE)
        self.census_actors = []
        self._census_key = None
        self.set_title(title)

    def _max_chars(self, size: float, bold: bool = False) -> int:
        """How many characters of a ``size`` font fit across the view (DejaVu Sans averages
        about 0.58 em a character, bold 0.64)."""
        return max(12, int(0.95 * self.view_width / ((0.64 if bold else 0.58) * size * self.fs)))

    def _layout(self, n_title_lines: int) -> None:
        px = lambda v: v * self.fs / self.view_height     # noqa: E731  (pixels → viewport)
        top = 1.0 - px(12)
        self.title.GetPositionCoordinate().SetValue(0.02, top)
        y = top - px(n_title_lines * self.TITLE * 1.3 + 10)
        self.step.GetPositionCoordinate().SetValue(0.02, y)
        y -= px(self.BODY * 2.2)
        for line in self.lines:
            line.GetPositionCoordinate().SetValue(0.02, y)
            y -= px(self.BODY * 1.75)

    @property
    def bottom(self) -> float:
        """Normalized viewport y below the last legend line (what the HUD covers)."""
        last = self.lines[-1] if self.lines else self.step
        return last.GetPositionCoordinate().GetValue()[1] - self.BODY * 1.4 * self.fs \
            / self.view_height

    def _text(self, s, pos, size, bold=False, color=None, vjust="bottom",
              justify="left"):
        color = self.theme.text if color is None else color
        t = vtk.vtkTextActor()
        t.SetInput(s)
        colors.style_text(t.GetTextProperty(), size * self.fs, color, bold, shadow=True,
                          justify=justify, vjustify=vjust)
        t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        t.GetPositionCoordinate().SetValue(*pos)
        self.renderer.AddViewProp(t)
        return t

    def update(self, step: int, mean_loss, n_balls, n_settled, n_escaped,
               selected: int | None = None, speed: str = "", notes=None) -> None:
        """``notes``: optional extra phrases per group (projected balls' true loss, ...)."""
        self.step.SetInput(f"step {int(step):,}" + (f"   {speed}" if speed else ""))
        for k, g in enumerate(self.groups):
            parts = legend_parts(g, k, mean_loss[k], int(n_balls[k]), int(n_settled[k]),
                                 int(n_escaped[k]))
            if notes is not None:
                parts.extend(notes[k])
            mark = "  ◂ panel" if selected == k and len(self.groups) > 1 else ""
            self.lines[k].SetInput("   ".join(p for p in parts if p) + mark)

    def remove(self) -> None:
        """Take every text of the HUD off its view (before a new one replaces it)."""
        for t in [self.title, self.step, *self.lines, self.warning, *self.census_actors]:
            self.renderer.RemoveViewProp(t)
        self.lines, self.census_actors = [], []

    def set_title(self, title: str) -> None:
        text = wrap(title or "", self._max_chars(self.TITLE, bold=True))
        self.title.SetInput(text)
        self._layout(text.count("\n") + 1 if text else 0)

    def replace_census_labels(self) -> None:
        """Place the census labels again at the next `set_census` (the heights moved)."""
        self._census_key = None

    def set_warning(self, text: str) -> None:
        self.warning.SetInput(text)

    def set_census(self, census, xyz_of, max_labels: int = 6) -> None:
        """Billboard labels "loss · accuracy · share" at the first ``max_labels`` minima of
        ``census`` (lowest first) and a "+k more" line for the rest; ``xyz_of(ab [k, 2])``
        gives their world positions."""
        key = tuple((round(c["position"][0], 3), round(c["position"][1], 3),
                     round(float(c.get("share", 0)), 3)) for c in census) + (max_labels,)
        if key == self._census_key:
            return
        self._census_key = key
        for a in self.census_actors:
            self.renderer.RemoveViewProp(a)
        self.census_actors = []
        if not census:
            return
        shown = census[:max_labels]
        xyz = xyz_of(np.array([c["position"] for c in shown], np.float64))
        if len(census) > len(shown):
            a = self._text(census_more(len(census) - len(shown)), (0.02, 0.06), 11,
                           color=self.theme.text_dim)
            self.census_actors.append(a)
        for c, p in zip(shown, xyz):
            text = census_label(c)
            a = world_label(self.renderer, text, p, size=11, color=self.theme.text,
                            vjust="bottom", background=0.7, fs=self.fs, theme=self.theme, offset=(0, 22))
            self.census_actors.append(a)
