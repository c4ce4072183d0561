"""Heads-up display of one view: title, step, one coloured line per group (the legend), census.

Text actors are built once; each frame only calls ``SetInput`` on them. Census labels are
billboards anchored at each minimum, rebuilt only when the census changes.
"""

from __future__ import annotations

import numpy as np
import vtk

from landscape.render import colors
from landscape.render.axes import world_label


def _fmt_lr(lr) -> str:
    if lr is None:
        return ""
    try:
        return f"lr {float(lr):.3g}"
    except (TypeError, ValueError):
        return f"lr {lr}"


def _fmt_loss(x: float) -> str:
    if not np.isfinite(x):
        return "—"  # no live ball left to average (all escaped), or a non-finite loss
    return f"{x:.3g}" if x >= 1e-3 else f"{x:.1e}"


class Hud:
    def __init__(self, renderer, groups, group_colors, title: str = "", fs: float = 1.0,
                 view_height: float = 720.0):
        self.renderer = renderer
        self.fs = fs
        self.dy = fs * 720.0 / view_height   # line spacing in viewport units follows the font
        self.groups = groups
        self.title = self._text(title, (0.02, 0.975), 17, bold=True, vjust="top")
        self.step = self._text("", (0.02, 0.975 - 0.06 * self.dy), 12, color=colors.TEXT_DIM,
                               vjust="top")
        self.lines = []
        for k, g in enumerate(groups):
            self.lines.append(self._text("", (0.02, 0.975 - (0.1 + 0.042 * k) * self.dy), 12,
                                         color=tuple(group_colors[k]), vjust="top"))
        self.warning = self._text("", (0.02, 0.02), 11, color=colors.NONFINITE)
        self.census_actors = []
        self._census_key = None

    def _text(self, s, pos, size, bold=False, color=colors.TEXT, vjust="bottom",
              justify="left"):
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
            name = g.get("name", f"group {k}")
            # the label says what an adaptive optimizer adapts ("adam (per plane coordinate)")
            opt = g.get("optimizer_label", g.get("optimizer", ""))
            parts = [f"● {name}", " ".join(x for x in (opt, _fmt_lr(g.get("lr"))) if x),
                     f"loss {_fmt_loss(mean_loss[k])}" if n_balls[k] else "no balls",
                     f"settled {n_settled[k]}/{n_balls[k]}"]
            if n_escaped[k]:
                parts.append(f"escaped {n_escaped[k]}")
            if notes is not None:
                parts.extend(notes[k])
            mark = "  ◂ panel" if selected == k and len(self.groups) > 1 else ""
            self.lines[k].SetInput("   ".join(p for p in parts if p) + mark)

    def set_title(self, title: str) -> None:
        self.title.SetInput(title)

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
            more = len(census) - len(shown)
            a = self._text(f"+{more} more minim{'a' if more > 1 else 'um'} (census)",
                           (0.02, 0.06), 11, color=colors.TEXT_DIM)
            self.census_actors.append(a)
        for c, p in zip(shown, xyz):
            acc = c.get("accuracy")
            text = f"loss {_fmt_loss(float(c['loss']))}"
            if acc is not None:
                text += f" · acc {100 * float(acc):.0f}%"
            text += f" · {100 * float(c.get('share', 0)):.0f}% of balls"
            a = world_label(self.renderer, text, p, size=11, color=colors.TEXT,
                            vjust="bottom", background=0.7, fs=self.fs, offset=(0, 22))
            self.census_actors.append(a)
