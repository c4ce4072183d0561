"""Figures for papers and slides, drawn with matplotlib's object-oriented API.

    >>> import landscape as ls
    >>> fig = ls.plot("surface.npz", "contour.pdf", trajectory="balls.npz")   # doctest: +SKIP
    >>> fig = ls.plot(surface, kind="line", along="b")    # a Figure; shows in a notebook

Kinds (`KINDS`): ``contour`` (`landscape.figures._contour`), ``surface`` (a 3D still,
`landscape.figures._surface3d`) and ``line`` (loss and accuracy along a line through θ*,
`landscape.figures._line`). Figures are ``matplotlib.figure.Figure`` objects made without
pyplot (nothing global changes, nothing opens a window), styled in a ``rc_context``
(`landscape.figures._style`), one paper column (3.3 in) wide by default, and written
atomically as PDF or SVG (vector; text stays text) or PNG (300 dpi).
"""

from __future__ import annotations

import functools
import os

from landscape.errors import LandscapeError
from landscape.figures._style import COLUMN, THEMES, colors, styled
from landscape.picture import FIGURE_FORMATS, GROUP_PALETTE, extension

KINDS = ("contour", "surface", "line")
FORMATS = tuple(FIGURE_FORMATS)
ASPECT = {"contour": 0.9, "surface": 0.82, "line": 0.68}    # height / width


@functools.lru_cache(maxsize=None)
def _figure_class():
    """Made on first use, so importing this module does not import matplotlib."""
    from matplotlib.figure import Figure

    class PaperFigure(Figure):
        """A ``matplotlib.figure.Figure`` that shows itself in a notebook (``_repr_png_``, as
        pandas and xarray objects do) without pyplot; ``line_values`` says how a line figure's
        values were obtained (``"exact"`` or ``"interpolated"``), else None."""

        line_values = None

        def _repr_png_(self) -> bytes:
            import io

            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=150)
            return buf.getvalue()

    return PaperFigure


def check_output(out) -> str:
    """The format of ``out`` (``pdf``, ``svg`` or ``png``) after checking it can be written."""
    from landscape.files import check_writable

    path = os.fspath(out)
    ext = extension(path)
    if ext not in FORMATS:
        what = f"extension {ext}" if ext else "no extension"
        raise LandscapeError(f"cannot plot to {path}: {what}; use one of {', '.join(FORMATS)}")
    check_writable(path)   # its one line starts with the path
    return ext[1:]


def plot(surface, out=None, *, kind: str = "contour", trajectory=None, width: float = COLUMN,
         height: float | None = None, theme: str = "light", log_scale: bool | None = None,
         along: str | None = None, start=None, end=None, exact: bool | None = None,
         title: str | None = None):
    """Draw a figure of ``surface`` and write it to ``out`` (when given); return the Figure.

    Args:
      surface: a `landscape.surface.Surface` or a surface file (``.npz``).
      out: ``.pdf``, ``.svg`` or ``.png`` (None: only return the figure).
      kind: ``contour``, ``surface`` or ``line``.
      trajectory: balls to draw (contour: their paths; surface: their final positions); a
        `Trajectory` or a ``.npz``; it must have been simulated on ``surface``.
      width, height: inches (default: one paper column, the height from the kind).
      theme: ``light`` (default: print) or ``dark`` (slides).
      log_scale: loss on a log scale (None: when the losses span over three decades).
      along, start, end, exact: the ``line`` kind's line (`landscape.figures._line`): the
        centre row (``along="a"``) or column (``"b"``), or from ``start`` to ``end`` (points
        ``(a, b)``); ``exact=None`` recomputes values from the network when the file allows.
      title: printed above the axes (default: none, as papers caption figures themselves).
    """
    if kind not in KINDS:
        raise LandscapeError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if theme not in THEMES:
        raise LandscapeError(f"unknown theme {theme!r}; choose one of: {', '.join(THEMES)}")
    fmt = check_output(out) if out is not None else None
    for name, value in (("width", width), ("height", height)):
        if value is not None and not (0.5 <= float(value) <= 40):
            raise LandscapeError(f"{name} must be between 0.5 and 40 inches, got {value}")
    if kind != "line" and (start is not None or end is not None or along is not None
                           or exact is not None):
        raise LandscapeError("--along, --from, --to and --exact/--interpolate apply to "
                             "--kind line")
    if kind == "line" and trajectory is not None:
        raise LandscapeError("--trajectory applies to --kind contour and surface")
    s, t = _load(surface, trajectory)
    h = height if height is not None else width * ASPECT[kind]
    group_colors = _group_colors()
    with styled(theme):
        fig = _figure_class()(figsize=(float(width), float(h)),
                              layout="constrained" if kind != "surface" else None)
        c = colors(theme)
        if kind == "contour":
            from landscape.figures._contour import draw_contour

            draw_contour(fig, s, t, log_scale=log_scale, theme_colors=c, title=title,
                         group_colors=group_colors)
        elif kind == "surface":
            from landscape.figures._surface3d import draw_surface

            draw_surface(fig, s, t, log_scale=log_scale, theme_colors=c, title=title,
                         group_colors=group_colors)
        else:
            from landscape.figures._line import draw_line

            _, method = draw_line(fig, s, along=along or "a", start=start, end=end, exact=exact,
                                  log_scale=log_scale, theme_colors=c, title=title)
            fig.line_values = method
        if out is not None:
            save(fig, os.fspath(out), fmt)
    return fig


def save(fig, path: str, fmt: str) -> str:
    """Write ``fig`` atomically (a temporary file renamed when complete)."""
    from landscape.files import atomic_write

    meta = {"pdf": {"Creator": "landscape"}, "svg": {"Creator": "landscape"},
            "png": {"Software": "landscape"}}[fmt]
    import io

    # drawn into memory first: matplotlib's PDF writer, failing part-way on a full disk, raises
    # a second error of its own (zlib.error); atomic_write then says the first in one line
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata=meta)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return path


def _load(surface, trajectory):
    from landscape.balls import Trajectory
    from landscape.exports import check_pair, kind_of
    from landscape.surface import Surface

    s_name = os.fspath(surface) if isinstance(surface, (str, os.PathLike)) else "the surface"
    if isinstance(surface, (str, os.PathLike)):
        k = kind_of(surface)
        if k != "surface":
            raise LandscapeError(f"{s_name} is a {k} file; plot wants a surface file (.npz "
                                 f"from landscape surface -o)"
                                 + ("; pass this one with --trajectory" if k == "trajectory"
                                    else ""))
        surface = Surface.load(surface)
    if trajectory is None:
        return surface, None
    t_name = os.fspath(trajectory) if isinstance(trajectory, (str, os.PathLike)) \
        else "the trajectory"
    if isinstance(trajectory, (str, os.PathLike)):
        k = kind_of(trajectory)
        if k != "trajectory":
            raise LandscapeError(f"{t_name} is a {k} file, not a trajectory; --trajectory "
                                 f"wants the balls' file (landscape simulate -o BALLS.npz)")
        trajectory = Trajectory.load(trajectory)
    check_pair(surface, trajectory, s_name, t_name)
    return surface, trajectory


def _group_colors() -> list[str]:
    """The renderer's group palette: chosen to read on viridis, which these figures fill the
    plane with whatever the theme."""
    return list(GROUP_PALETTE)
