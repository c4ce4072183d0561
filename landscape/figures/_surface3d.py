"""The 3D still for print: the surface in perspective with the renderer's height scale (relief
0.55 × the span; log10 of the loss where it spans over three decades), contours projected on
the floor, θ* and the balls' final positions.

The surface itself is rasterized at the figure's dpi inside an otherwise vector file: a few
thousand shaded polygons would make a PDF slow to open for no visible gain, while axes, labels
and the colour bar stay vector text.
"""

from __future__ import annotations

import numpy as np

from landscape.picture import NONFINITE, format_loss, loss_ticks, make_scale

MAX_CELLS = 80      # per side: finer is invisible at column width


def draw_surface(fig, surface, trajectory=None, *, log_scale=None, theme_colors, title=None,
                 group_colors=None, elevation: float = 30.0, azimuth: float = -55.0):
    """Draw the 3D still on ``fig``; returns the axes."""
    c = theme_colors
    a, b = np.asarray(surface.alphas, np.float64), np.asarray(surface.betas, np.float64)
    loss = np.asarray(surface.loss, np.float64)
    span = float(max(a[-1] - a[0], b[-1] - b[0]))
    sc = make_scale(loss, span, log_scale, relief=0.55)
    ax = fig.add_subplot(1, 1, 1, projection="3d", computed_zorder=False)
    ax.set_facecolor(c["bg"])
    floor = sc.h_lo - 0.12 * (sc.h_hi - sc.h_lo)
    _draw_mesh(ax, a, b, loss, sc, floor)
    if a[0] <= 0 <= a[-1] and b[0] <= 0 <= b[-1]:
        _draw_theta_star(ax, surface, a, b, loss, sc, c)
    if trajectory is not None:
        _draw_balls(ax, trajectory, a, b, sc, group_colors)
    _set_axes(ax, a, b, sc, floor, span)
    ax.view_init(elev=elevation, azim=azimuth)
    if title:
        ax.set_title(title, pad=0)
    fig.subplots_adjust(left=0.0, right=0.94, bottom=0.02, top=1.0)
    return ax


def _draw_mesh(ax, a, b, loss, sc, floor: float) -> None:
    """The surface (at most `MAX_CELLS` a side, non-finite cells magenta) and its contours
    projected on the floor."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    ia = np.unique(np.round(np.linspace(0, len(a) - 1, min(len(a), MAX_CELLS + 1))).astype(int))
    ib = np.unique(np.round(np.linspace(0, len(b) - 1, min(len(b), MAX_CELLS + 1))).astype(int))
    A, B = np.meshgrid(a[ia], b[ib], indexing="ij")
    L = loss[np.ix_(ia, ib)]
    H = sc.h(L)
    cmap = colormaps["viridis"]
    norm = Normalize(sc.h_lo, sc.h_hi)
    h_levels = np.linspace(sc.h_lo, sc.h_hi, 14)[1:-1]
    ax.contour(A, B, H, levels=h_levels, zdir="z", offset=floor, cmap=cmap, norm=norm,
               linewidths=0.45, zorder=0)
    face = cmap(norm(H))
    face[~np.isfinite(L)] = (*NONFINITE, 1.0)          # magenta, as the renderer marks them
    surf = ax.plot_surface(A, B, H, facecolors=face, rstride=1, cstride=1,
                           linewidth=0, antialiased=False, shade=True, rasterized=True,
                           zorder=1)
    surf.set_gid("loss-surface")


def _draw_theta_star(ax, surface, a, b, loss, sc, c) -> None:
    """θ*, a star just above the surface at the plane's centre, labelled."""
    from landscape.figures._contour import outline

    l0 = float(surface.interpolate(np.zeros((1, 2)))[0]) if hasattr(surface, "interpolate") \
        else float(loss[len(a) // 2, len(b) // 2])
    lift = 0.03 * (sc.h_hi - sc.h_lo)
    ax.scatter([0], [0], [sc.h(l0) + lift], marker="*", s=40, color=c["theta"],
               edgecolors=c["theta_edge"], linewidths=0.5, depthshade=False, zorder=5)
    ax.text(0, 0, sc.h(l0) + 4 * lift, "θ*", fontsize=7.5, color="#ffffff", zorder=6,
            fontweight="bold", path_effects=[outline()])


def _draw_balls(ax, trajectory, a, b, sc, group_colors) -> None:
    """The balls where they ended, one colour and one legend entry per group."""
    last = trajectory.n_frames - 1
    p = np.asarray(trajectory.positions[last], np.float64)
    z = sc.h(trajectory.heights[last]) + 0.02 * (sc.h_hi - sc.h_lo)
    grp = np.asarray(trajectory.group)
    for g, info in enumerate(trajectory.groups):
        m = grp == g
        ax.scatter(np.clip(p[m, 0], a[0], a[-1]), np.clip(p[m, 1], b[0], b[-1]), z[m], s=5,
                   color=group_colors[g % len(group_colors)], edgecolors="#111111",
                   linewidths=0.25, depthshade=False, zorder=4,
                   label=str(info.get("name", f"group {g}")))
    ax.legend(loc="upper left", fontsize=6.5, bbox_to_anchor=(0.0, 1.02),
              handletextpad=0.2, markerscale=1.5)


def _set_axes(ax, a, b, sc, floor: float, span: float) -> None:
    """Limits, aspect (the landscape's own proportions), ticks in loss values and labels."""
    from landscape.figures._contour import round_ticks

    ax.set_xlim(a[0], a[-1])
    ax.set_ylim(b[0], b[-1])
    ax.set_zlim(floor, sc.h_hi)
    ax.set_box_aspect(((a[-1] - a[0]) / span, (b[-1] - b[0]) / span,
                       (sc.h_hi - floor) * sc.z_per_h / span), zoom=0.92)
    ticks = loss_ticks(sc, 4)
    if len(ticks) > 5:      # a short axis: every other tick keeps the labels apart
        ticks = ticks[::2]
    ax.set_zticks(sc.h(ticks))
    ax.set_zticklabels([format_loss(t) for t in ticks])
    round_ticks(ax.xaxis, 4)
    round_ticks(ax.yaxis, 4)
    ax.set_xlabel("a", labelpad=-7)
    ax.set_ylabel("b", labelpad=-7)
    # colour repeats height here, so the z axis (in loss values) is the whole legend of it
    ax.set_zlabel("loss" + (" (log scale)" if sc.log else ""), labelpad=-5)
    ax.tick_params(axis="both", pad=-3, labelsize=6)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color((1.0, 1.0, 1.0, 0.0))
        axis.line.set_linewidth(0.5)
