"""The contour figure: the surface seen from above, filled and line contours at levels spaced
for the data, θ* marked, the balls' paths over it.

Levels (`contour_levels`). Where the finite losses span over three decades (the renderer's
rule, `landscape.picture._scale.make_scale`) they are spaced logarithmically, as in Li et al.'s
figures: 1, 2, 5 × 10^k up to four decades, 1, 3 × 10^k up to eight, every decade beyond.
Otherwise (or when a forced log range is too narrow for those) they are about a dozen round
numbers evenly spaced. The colour map follows the same
(log or linear) scale, so equal colour steps mean equal loss ratios on a log figure.
"""

from __future__ import annotations

import numpy as np

from landscape.picture import format_loss, make_scale

CONTOUR_LINE_WIDTH = 0.35


def contour_levels(loss, log_scale: bool | None = None, n: int = 12) -> tuple[np.ndarray, bool]:
    """``(levels, log)``: contour levels strictly inside the finite range of ``loss``, and
    whether they are log-spaced (``log_scale=None``: when the losses span over three
    decades)."""
    sc = make_scale(np.asarray(loss, np.float64), 1.0, log_scale)
    lo, hi = sc.lo, sc.hi
    lv = np.zeros(0)
    if sc.log:
        decades = np.log10(hi / lo)
        mult = (1.0, 2.0, 5.0) if decades <= 4 else (1.0, 3.0) if decades <= 8 else (1.0,)
        e0, e1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
        lv = np.array([m * 10.0 ** e for e in range(e0, e1 + 1) for m in mult])
        lv = lv[(lv > lo) & (lv < hi)]
    if lv.size < 4:     # linear, or a log range too narrow for 1-2-5 steps: round numbers
        from matplotlib.ticker import MaxNLocator

        lv = MaxNLocator(n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    lv = lv[(lv > lo) & (lv < hi)]
    if lv.size < 2:
        lv = np.geomspace(lo, hi, n + 2)[1:-1] if sc.log else np.linspace(lo, hi, n + 2)[1:-1]
    return lv, sc.log


def decades(levels: np.ndarray) -> np.ndarray:
    """The levels that are powers of ten (the labelled ones on a log figure)."""
    e = np.log10(levels)
    return levels[np.isclose(e, np.round(e), atol=1e-9)]


def draw_contour(fig, surface, trajectory=None, *, log_scale=None, theme_colors, title=None,
                 group_colors=None):
    """Draw the contour figure on ``fig`` (a ``matplotlib.figure.Figure``); returns the axes."""
    c = theme_colors
    a, b = np.asarray(surface.alphas, np.float64), np.asarray(surface.betas, np.float64)
    loss = np.asarray(surface.loss, np.float64)
    levels, log = contour_levels(loss, log_scale)
    ax = fig.add_subplot(1, 1, 1)
    filled = _draw_bands(ax, a, b, loss, levels, log, c)
    handles = _draw_nonfinite(ax, a, b, loss, c)
    if a[0] <= 0 <= a[-1] and b[0] <= 0 <= b[-1]:
        ax.plot([0], [0], marker="*", markersize=8, color=c["theta"],
                markeredgecolor=c["theta_edge"], markeredgewidth=0.6, linestyle="none",
                zorder=6, gid="theta-star")
        ax.annotate("θ*", (0, 0), xytext=(4, 3), textcoords="offset points", fontsize=7.5,
                    color=c["theta"], zorder=6, fontweight="bold", path_effects=[outline()])
    if trajectory is not None:
        handles += draw_paths(ax, trajectory, group_colors, (a[0], a[-1], b[0], b[-1]))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=6.5,
                   columnspacing=1.0, handletextpad=0.4)
    ax.set_xlim(a[0], a[-1])
    ax.set_ylim(b[0], b[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("a  (along d₁)")
    ax.set_ylabel("b  (along d₂)")
    round_ticks(ax.xaxis)
    round_ticks(ax.yaxis)
    if title:
        ax.set_title(title)
    _color_bar(fig, ax, filled, levels, log)
    return ax


def _draw_bands(ax, a, b, loss, levels, log: bool, c):
    """The filled bands between ``levels`` and the labelled contour lines; returns the bands."""
    from matplotlib.colors import LogNorm, Normalize

    fin = loss[np.isfinite(loss)]
    lo, hi = float(fin.min()), float(fin.max())
    if log:
        lo = float(fin[fin > 0].min())
        norm = LogNorm(lo, hi)
    else:
        norm = Normalize(lo, hi)
    A, B = np.meshgrid(a, b, indexing="ij")
    Z = np.ma.masked_invalid(np.where(loss > 0, loss, np.nan) if log else loss)
    filled = ax.contourf(A, B, Z, levels=np.r_[lo, levels, hi], norm=norm, cmap="viridis",
                         extend="neither")
    filled.set_edgecolor("face")        # no hairline seams between bands in PDF viewers
    filled.set_gid("loss-filled-contours")
    lines = ax.contour(A, B, Z, levels=levels, colors=c["contour"],
                       linewidths=CONTOUR_LINE_WIDTH, alpha=0.75)
    lines.set_gid("loss-contour-lines")
    labelled = decades(levels) if log else levels[::2]
    if labelled.size:
        ax.clabel(lines, levels=labelled, fmt=format_loss, fontsize=5.5, inline=True,
                  inline_spacing=2)
    return filled


def _draw_nonfinite(ax, a, b, loss, c) -> list:
    """Hatch the cells whose loss is not finite; returns their legend entry (if any)."""
    from matplotlib.patches import Patch

    bad = ~np.isfinite(loss)
    if not bad.any():
        return []
    A, B = np.meshgrid(a, b, indexing="ij")
    ax.contourf(A, B, bad.astype(float), levels=[0.5, 1.5], colors="none", hatches=["////"])
    return [Patch(facecolor="none", edgecolor=c["fg"], hatch="////",
                  label=f"non-finite loss ({int(bad.sum())} points)")]


def _color_bar(fig, ax, filled, levels, log: bool) -> None:
    """A colour bar exactly as tall as the (square) plot, beside it, ticked in loss values."""
    cax = ax.inset_axes([1.04, 0.0, 0.05, 1.0])
    bar = fig.colorbar(filled, cax=cax)
    bar.set_label("loss" + (" (log scale)" if log else ""))
    ticks = decades(levels) if log else levels
    if log and ticks.size < 2:
        ticks = levels
    bar.set_ticks(ticks)
    bar.set_ticklabels([format_loss(t) for t in ticks])
    bar.minorticks_off()
    bar.outline.set_linewidth(0.4)
    bar.ax.set_gid("loss-colorbar")


def round_ticks(axis, n: int = 5) -> None:
    """About ``n`` round ticks, printed as short as they can be (``-1``, ``-0.5``, ``0``)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(n, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))


def outline(width: float = 1.6):
    """A dark halo that keeps light text readable on any colour of the map."""
    from matplotlib import patheffects

    return patheffects.withStroke(linewidth=width, foreground="#111111")


def draw_paths(ax, trajectory, group_colors, extent) -> list:
    """Each ball's path (thin), its start (open circle) and its end (dot), per group; returns
    legend handles."""
    from matplotlib.lines import Line2D

    pos = np.asarray(trajectory.positions, np.float64)          # [T, N, 2]
    a0, a1, b0, b1 = extent
    pos = np.stack([np.clip(pos[..., 0], a0, a1), np.clip(pos[..., 1], b0, b1)], -1)
    esc = np.asarray(trajectory.escaped[-1], bool)
    handles = []
    group = np.asarray(trajectory.group)
    for g, info in enumerate(trajectory.groups):
        m = group == g
        if not m.any():
            continue
        col = group_colors[g % len(group_colors)]
        segs = np.transpose(pos[:, m], (1, 0, 2))              # [n, T, 2]
        from matplotlib.collections import LineCollection

        lc = LineCollection(segs, colors=col, linewidths=0.45, alpha=0.7, zorder=4)
        lc.set_gid(f"paths-group-{g}")
        ax.add_collection(lc)
        ax.scatter(pos[0, m, 0], pos[0, m, 1], s=3, facecolors="none", edgecolors=col,
                   linewidths=0.4, zorder=5)
        live = m & ~esc
        ax.scatter(pos[-1, live, 0], pos[-1, live, 1], s=7, color=col, edgecolors="#111111",
                   linewidths=0.3, zorder=5)
        handles.append(Line2D([], [], color=col, marker="o", markersize=3, markeredgewidth=0.3,
                              markeredgecolor="#111111", linewidth=0.8,
                              label=f"{info.get('name', f'group {g}')} ({int(m.sum())} balls)"))
    if esc.any():
        ax.scatter(pos[-1, esc, 0], pos[-1, esc, 1], s=7, marker="x", color="#8c8c94",
                   linewidths=0.6, zorder=5)
        handles.append(Line2D([], [], color="#8c8c94", marker="x", linestyle="none",
                              markersize=3, label=f"escaped ({int(esc.sum())})"))
    return handles
