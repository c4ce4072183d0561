"""Figure style: sizes for a paper column, fonts, and the light and dark themes, applied with
``matplotlib.rc_context`` (never matplotlib's global state).

Figures keep the size asked for (constrained layout, no tight cropping), so a column figure
is exactly a column wide. Text stays text: PDFs embed TrueType fonts (``pdf.fonttype`` 42, editable in Illustrator and
accepted by journals that reject Type 3), SVGs keep ``<text>`` elements (``svg.fonttype``
none), so labels can be edited and searched.
"""

from __future__ import annotations

import contextlib

from landscape.picture import THEMES as PICTURE_THEMES

COLUMN = 3.3          # inches: one column of a two-column paper
THEMES = tuple(reversed(PICTURE_THEMES))   # ("light", "dark"): figures default to light

_BASE = {
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 8.5,
    "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 6.5,
    "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
    "xtick.major.size": 2.5, "ytick.major.size": 2.5, "lines.linewidth": 1.0,
    "legend.frameon": False, "legend.handlelength": 1.6, "axes.spines.top": True,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",
    "savefig.pad_inches": 0.02, "figure.dpi": 150, "grid.linewidth": 0.3,
    "savefig.dpi": 300, "image.cmap": "viridis", "axes.unicode_minus": True,
}
def colors(theme: str) -> dict:
    """The theme's named colours (``bg``, ``fg``, ``dim``, ``grid``, ``line``, ``line2``, ...)."""
    return dict(PICTURE_THEMES[theme].figure)


def rc(theme: str) -> dict:
    c = PICTURE_THEMES[theme].figure
    return {**_BASE, "figure.facecolor": c["bg"], "axes.facecolor": c["bg"],
            "savefig.facecolor": c["bg"], "text.color": c["fg"], "axes.labelcolor": c["fg"],
            "axes.edgecolor": c["dim"], "xtick.color": c["dim"], "ytick.color": c["dim"],
            "xtick.labelcolor": c["fg"], "ytick.labelcolor": c["fg"], "grid.color": c["grid"],
            "legend.labelcolor": c["fg"]}


@contextlib.contextmanager
def styled(theme: str):
    """``with styled("light"): ...``: build and save figures in the theme."""
    import matplotlib

    with matplotlib.rc_context(rc(theme)):
        yield
