"""The 1D figure: loss (and accuracy, on a second axis) along a line of the plane through θ*.

The line is the grid's centre row (``along="a"``: b = 0) or column (``along="b"``), or any
segment between two points. Its values are recomputed exactly from the network the surface
file describes (θ* + a·d1 + b·d2 evaluated on the stored evaluation set, the very function the
grid was computed with) at 201 points, so the curve is true between grid points too. Where the
file's network cannot be rebuilt (a custom model), they are interpolated bilinearly on the grid
and the figure says so.
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError
from landscape.picture import format_loss

N_POINTS = 201


def line_points(surface, along: str = "a", start=None, end=None, n: int = N_POINTS):
    """``(ab [n, 2], x [n], xlabel)``: the points of the line and the abscissa to plot them at."""
    a0, a1, b0, b1 = (float(v) for v in surface.span)
    if start is not None or end is not None:
        if start is None or end is None:
            raise LandscapeError("a line between two points needs both --from and --to")
        p, q = np.asarray(start, np.float64), np.asarray(end, np.float64)
        if p.shape != (2,) or q.shape != (2,) or not np.all(np.isfinite(np.r_[p, q])):
            raise LandscapeError("--from and --to are points a,b (two finite numbers each)")
        if np.allclose(p, q):
            raise LandscapeError("--from and --to are the same point; a line needs two")
        t = np.linspace(0.0, 1.0, n)
        ab = p + t[:, None] * (q - p)
        dist = t * float(np.linalg.norm(q - p))
        return ab, dist, (f"distance from ({p[0]:g}, {p[1]:g}) toward ({q[0]:g}, {q[1]:g})")
    if along not in ("a", "b"):
        raise LandscapeError(f"--along must be a or b, got {along!r}")
    if along == "a":
        b = 0.0 if b0 <= 0 <= b1 else 0.5 * (b0 + b1)
        x = np.linspace(a0, a1, n)
        return np.c_[x, np.full(n, b)], x, "a  (along d₁" + (", b = 0)" if b == 0 else f", b = {b:g})")
    a = 0.0 if a0 <= 0 <= a1 else 0.5 * (a0 + a1)
    x = np.linspace(b0, b1, n)
    return np.c_[np.full(n, a), x], x, "b  (along d₂" + (", a = 0)" if a == 0 else f", a = {a:g})")


def exact_values(surface, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss and accuracy at plane points ``ab`` ``[n, 2]`` recomputed from the network in the
    surface file (`landscape.surface.point_fn`); raises `LandscapeError` when the file's model
    cannot be rebuilt."""
    import jax
    import jax.numpy as jnp

    from landscape.pipeline import plane_from_surface, task_from_surface
    from landscape.surface import point_fn

    try:
        task, plane = task_from_surface(surface), plane_from_surface(surface)
    except (LandscapeError, KeyError, ValueError, TypeError) as e:
        raise LandscapeError(f"cannot rebuild the network of this surface file ({e})") from None
    f = jax.jit(jax.vmap(point_fn(task, plane)))
    out = np.asarray(f(jnp.asarray(ab, jnp.float32)), np.float64)
    return out[:, 0], out[:, 1]


def line_values(surface, ab: np.ndarray, exact: bool | None = None):
    """``(loss, accuracy, method)``: ``method`` is ``"exact"`` (recomputed) or
    ``"interpolated"`` (bilinear on the grid). ``exact=None`` recomputes when it can."""
    if exact is not False:
        try:
            loss, acc = exact_values(surface, ab)
            return loss, acc, "exact"
        except LandscapeError:
            if exact:
                raise
    loss = surface.interpolate(ab, "loss").astype(np.float64)
    acc = surface.interpolate(ab, "accuracy").astype(np.float64)
    return loss, acc, "interpolated"


def draw_line(fig, surface, *, along="a", start=None, end=None, exact=None, log_scale=None,
              theme_colors, title=None):
    """Draw the 1D figure on ``fig``; returns ``(axes, method)``."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    c = theme_colors
    ab, x, xlabel = line_points(surface, along, start, end)
    loss, acc, method = line_values(surface, ab, exact)
    fin = loss[np.isfinite(loss) & (loss > 0)]
    if log_scale is None:
        log_scale = bool(fin.size and fin.max() / fin.min() > 1e3)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(x, np.where(np.isfinite(loss), loss, np.nan), color=c["line"], lw=1.2,
            label="loss", gid="loss-line")
    if log_scale:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_loss(v)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss" + (" (log scale)" if log_scale else ""), color=c["line"])
    ax.tick_params(axis="y", colors=c["line"])
    ax.set_xlim(x[0], x[-1])
    ax2 = ax.twinx()
    ax2.plot(x, 100 * acc, color=c["line2"], lw=1.0, ls=(0, (4, 1.6)), label="accuracy",
             gid="accuracy-line")
    ax2.set_ylim(-2, 102)
    ax2.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax2.set_ylabel("accuracy", color=c["line2"])
    ax2.tick_params(axis="y", colors=c["line2"])
    # θ* on the line: where the segment passes through the origin
    d = ab[-1] - ab[0]
    t0 = -float(np.dot(ab[0], d) / np.dot(d, d))
    if 0 <= t0 <= 1 and np.linalg.norm(ab[0] + t0 * d) <= 1e-6 * np.linalg.norm(d):
        x0 = x[0] + t0 * (x[-1] - x[0])
        ax.axvline(x0, color=c["dim"], lw=0.6, ls=":", zorder=0)
        ax.annotate("θ*", (x0, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -9),
                    textcoords="offset points", fontsize=7, color=c["fg"])
    ax.grid(True, lw=0.3, alpha=0.6)
    if not (start is not None or end is not None):
        from landscape.figures._contour import round_ticks

        round_ticks(ax.xaxis)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside upper center", ncol=2, fontsize=6.5)
    if method == "interpolated":
        ax.text(1.0, -0.3, "values interpolated on the surface grid", transform=ax.transAxes,
                ha="right", fontsize=5.5, color=c["dim"])
    if title:
        ax.set_title(title)
    return ax, method
