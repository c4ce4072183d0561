"""Themes and palettes: every colour any picture uses is decided here (no VTK, no matplotlib).

Two themes (`THEMES`): ``dark`` (a near-black blue background, light text; screens and video)
and ``light`` (an off-white background, dark text; slides and print). A `Theme` is a frozen
value handed to whatever draws (the 3D stage and its panels, the HTML page, the matplotlib
figures), as ``pyvista.Plotter(theme=...)`` takes one: nothing here is global state, so two
stages in one process keep their own colours.

One theme carries three sets of colours, because the three outputs were tuned apart and stay as
they were: the stage's (fields), the page's (`Theme.page`, CSS colours) and the figures'
(`Theme.figure`, matplotlib colours). ``viridis`` on the surface and the group colours are the
same in both themes on the stage (the balls sit on the surface); text drawn in a group's colour
goes through `Theme.on_background`, which darkens light hues on the light theme so legends stay
readable. The gradient panel's vanishing/balanced/exploding colours are per theme too (darker on
light, so blue, green and red bars keep their contrast on a white backdrop).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping

import numpy as np

SURFACE_CMAP = "viridis"
CONTOUR = (1.0, 1.0, 1.0)
NONFINITE = (1.0, 0.0, 0.85)       # cells whose loss is NaN or inf: magenta everywhere
THETA_STAR = (1.0, 1.0, 1.0)
UNDEFINED = (0.55, 0.55, 0.58)     # a ratio with no reference (output layer 0/overflow)

# Hand-picked to read on viridis' purple, teal and yellow alike.
GROUP_PALETTE = ("#ff4d6d", "#f8f9fa", "#ff9f1c", "#e056fd", "#4cc9f0", "#ffd166",
                 "#9b5de5", "#06d6a0")
# On a light page the near-white group colour would vanish: darker equivalents.
GROUP_PALETTE_LIGHT = ("#e5383b", "#222222", "#f77f00", "#b5179e", "#0077b6", "#e9c46a",
                       "#7209b7", "#2a9d8f")


@dataclasses.dataclass(frozen=True, eq=False)
class Theme:
    """The colours of one theme. Stage colours are RGB(A) in [0, 1] (``background`` a hex
    string); ``page`` and ``figure`` map names to CSS / matplotlib colour strings."""

    name: str
    background: str
    text: tuple
    text_dim: tuple
    floor_contour: tuple
    escaped: tuple
    trail_tail: tuple       # trails darken toward this with age (opaque fade)
    panel_bg: tuple
    label_bg: tuple
    vanish: tuple           # bars shrinking below the healthy band
    healthy: tuple
    explode: tuple          # bars growing above it
    band: tuple             # RGBA of the shaded healthy band
    grid_alpha: float
    page_palette: tuple     # group colours on the HTML page
    page: Mapping = dataclasses.field(default_factory=dict)
    figure: Mapping = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for f in ("page", "figure"):
            object.__setattr__(self, f, types.MappingProxyType(dict(getattr(self, f))))

    def on_background(self, rgb) -> tuple[float, float, float]:
        """A colour for text drawn straight on the background: as is on the dark theme; on the
        light theme, light hues (white, yellow) darkened until they read on off-white."""
        c = np.asarray(hex_rgb(rgb), np.float64)
        if self.name != "light":
            return tuple(c)
        lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
        k = min(1.0, 0.45 / max(lum, 1e-6))
        return tuple(c * k)

    def health_colors(self, log_values, band) -> np.ndarray:
        """float ``[..., 3]``: green inside the log10 ``band`` (lo, hi), blending to blue over
        two decades below it and to red over two decades above."""
        v = np.asarray(log_values, np.float64)
        lo, hi = band
        below = np.clip((lo - v) / 2.0, 0.0, 1.0)[..., None]
        above = np.clip((v - hi) / 2.0, 0.0, 1.0)[..., None]
        return self._blend(below, above)

    def flow_colors(self, log_ratios) -> np.ndarray:
        """float ``[..., 3]``: the colour of each layer's ratio to the output layer's gradient
        norm (`landscape.measures`): green while balanced (1/3 ≤ r ≤ 3), blending through the
        fading band to full blue at r = 1/10 (vanishing) and through the growing band to full
        red at r = 10 (exploding); grey where the ratio is undefined (NaN)."""
        from landscape import measures as flow

        v = np.asarray(log_ratios, np.float64)
        lo_b, hi_b = np.log10(flow.FADING), np.log10(flow.GROWING)
        lo_f, hi_f = np.log10(flow.VANISHING), np.log10(flow.EXPLODING)
        w = np.nan_to_num(v, nan=0.0, posinf=hi_f, neginf=lo_f)
        below = np.clip((lo_b - w) / (lo_b - lo_f), 0.0, 1.0)[..., None]
        above = np.clip((w - hi_b) / (hi_f - hi_b), 0.0, 1.0)[..., None]
        c = np.where(np.isnan(v)[..., None], np.asarray(UNDEFINED), self._blend(below, above))
        return np.clip(c, 0.0, 1.0)

    def gradient_colors(self, norms, limits=None, overflow=None, log10: bool = False
                        ) -> np.ndarray:
        """float ``[..., 3]``: the honest colour of each layer's bar (`landscape.picture._limits`)
        for per-layer gradient norms ``[..., L]`` (input → output): `flow_colors` of the ratio
        to the output layer while the norm is inside ``limits`` (a `GradientLimits`; default:
        the float32 bounds only), red where it is above ``hi``, overflowed (inf/NaN) or
        ``overflow`` (bool ``[..., L]``: any ball shown overflowed) says so, blue below ``lo``. With
        ``overflow`` given, a NaN norm outside it is unknown (no ball to show): grey, as its
        ratio is undefined. ``log10=True``: ``norms`` are log10 norms (the ratio is then their
        difference, bit for bit what `flow_colors` was given before the rule)."""
        from landscape.picture._limits import gradient_status

        v = np.asarray(norms, np.float64)
        with np.errstate(over="ignore"):
            g = 10.0 ** v if log10 else v
        status = gradient_status(g, limits)
        if overflow is not None:        # the mask decides; a NaN outside it is "unknown" (grey)
            status = np.where(np.asarray(overflow, bool), "overflow",
                              np.where(np.isfinite(g), status, ""))
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = v if log10 else np.log10(np.where(np.isfinite(g), g, np.nan))
            c = self.flow_colors(lg - lg[..., -1:])      # the ratio to the output layer's
        red = (status == "overflow") | (status == "exploding")
        c = np.where(red[..., None], np.asarray(self.explode, np.float64), c)
        c = np.where((status == "vanishing")[..., None], np.asarray(self.vanish, np.float64), c)
        return c

    def _blend(self, below, above) -> np.ndarray:
        h, lo, hi = (np.asarray(c, np.float64) for c in (self.healthy, self.vanish, self.explode))
        return np.clip(h * (1 - below - above) + lo * below + hi * above, 0.0, 1.0)


THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        background="#151a23", text=(0.92, 0.93, 0.95), text_dim=(0.62, 0.65, 0.70),
        floor_contour=(0.55, 0.60, 0.70), escaped=(0.55, 0.55, 0.58),
        trail_tail=(0.10, 0.11, 0.14), panel_bg=(0.06, 0.07, 0.10), label_bg=(0.05, 0.06, 0.09),
        vanish=(0.25, 0.55, 1.0), healthy=(0.55, 0.85, 0.55), explode=(1.0, 0.28, 0.22),
        band=(0.45, 0.80, 0.50, 0.16), grid_alpha=0.25, page_palette=GROUP_PALETTE,
        page={"bg": "#151a23", "panel": "#1b2130", "text": "#e9ebf0", "dim": "#9aa3b2",
              "grid": "#3a4356", "accent": "#ffd166", "theta": "#ffffff", "escaped": "#8c8c94",
              "contour": "rgba(255,255,255,0.55)", "pane": "#10141c"},
        figure={"bg": "#151a23", "fg": "#e9ebf0", "dim": "#9aa3b2", "grid": "#3a4356",
                "theta": "#ffffff", "theta_edge": "#111111", "line": "#7fb2ff",
                "line2": "#ffb36b", "contour": "#ffffff", "hatch": "#ff5ce1"}),
    "light": Theme(
        name="light",
        background="#f6f6f3", text=(0.08, 0.09, 0.11), text_dim=(0.33, 0.35, 0.40),
        floor_contour=(0.45, 0.48, 0.55), escaped=(0.50, 0.50, 0.53),
        trail_tail=(0.86, 0.86, 0.84), panel_bg=(0.99, 0.99, 0.98), label_bg=(0.99, 0.99, 0.98),
        vanish=(0.05, 0.35, 0.85), healthy=(0.20, 0.62, 0.30), explode=(0.85, 0.12, 0.10),
        band=(0.20, 0.62, 0.30, 0.16), grid_alpha=0.35, page_palette=GROUP_PALETTE_LIGHT,
        page={"bg": "#ffffff", "panel": "#f5f6f8", "text": "#1d2330", "dim": "#5b6475",
              "grid": "#cfd4dc", "accent": "#b5179e", "theta": "#111111", "escaped": "#8c8c94",
              "contour": "rgba(20,20,30,0.45)", "pane": "#f0f2f5"},
        figure={"bg": "#ffffff", "fg": "#1d2330", "dim": "#5b6475", "grid": "#d7dbe2",
                "theta": "#ffffff", "theta_edge": "#111111", "line": "#1f4e9a",
                "line2": "#c2410c", "contour": "#ffffff", "hatch": "#b5179e"}),
}


def get_theme(theme: str | Theme = "dark") -> Theme:
    """A `Theme` by name (``dark`` or ``light``), or the theme itself; a one-line error
    otherwise."""
    if isinstance(theme, Theme):
        return theme
    from landscape.errors import choice

    choice("theme", theme, tuple(THEMES))
    return THEMES[theme]


def hex_rgb(c) -> tuple[float, float, float]:
    """``'#rrggbb'`` or an RGB tuple in [0, 1] → an RGB tuple in [0, 1]."""
    if isinstance(c, str):
        c = c.lstrip("#")
        if len(c) != 6:
            raise ValueError(f"not a #rrggbb colour: {c!r}")
        return tuple(int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    r, g, b = (float(x) for x in c[:3])
    return (r, g, b)


def group_colors(groups, palette=GROUP_PALETTE) -> list:
    """Each group's ``color`` if it has one, else ``palette`` in order (as given: hex strings
    or RGB tuples)."""
    out = []
    for k, g in enumerate(groups):
        c = g.get("color") if isinstance(g, dict) else None
        out.append(c if c else palette[k % len(palette)])
    return out


def group_rgb(groups, palette=GROUP_PALETTE) -> np.ndarray:
    """float ``[G, 3]``: `group_colors` as RGB in [0, 1]."""
    return np.asarray([hex_rgb(c) for c in group_colors(groups, palette)],
                      np.float64).reshape(-1, 3)


def rgba_u8(rgb, alpha: float = 1.0) -> np.ndarray:
    """Colours in [0, 1] ``[..., 3]`` → uint8 RGBA ``[..., 4]``."""
    rgb = np.asarray(rgb, np.float64)
    a = np.full(rgb.shape[:-1] + (1,), alpha)
    return (np.clip(np.concatenate([rgb, a], -1), 0, 1) * 255 + 0.5).astype(np.uint8)
