"""Themes, palettes and fonts: every colour the stage uses is decided here.

Two themes (`THEMES`): ``dark`` (a near-black blue background, light text; screens and video)
and ``light`` (an off-white background, dark text; slides and print). `set_theme` switches the
module's colours; the `Stage` calls it before it builds anything, so every part of the
renderer reads the current theme's colours from here. ``viridis`` on the surface and the group
colours are the same in both (the balls sit on the surface); text drawn in a group's colour
goes through `on_background`, which darkens light hues on the light theme so legends stay
readable. The gradient panel's vanishing/balanced/exploding colours are per theme too (darker
on light, so blue, green and red bars keep their contrast on a white backdrop).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

THEMES = {
    "dark": dict(
        BACKGROUND="#151a23", TEXT=(0.92, 0.93, 0.95), TEXT_DIM=(0.62, 0.65, 0.70),
        FLOOR_CONTOUR=(0.55, 0.60, 0.70), ESCAPED=(0.55, 0.55, 0.58),
        TRAIL_TAIL=(0.10, 0.11, 0.14), PANEL_BG=(0.06, 0.07, 0.10), LABEL_BG=(0.05, 0.06, 0.09),
        VANISH=(0.25, 0.55, 1.0), HEALTHY=(0.55, 0.85, 0.55), EXPLODE=(1.0, 0.28, 0.22),
        BAND=(0.45, 0.80, 0.50, 0.16), GRID_ALPHA=0.25),
    "light": dict(
        BACKGROUND="#f6f6f3", TEXT=(0.08, 0.09, 0.11), TEXT_DIM=(0.33, 0.35, 0.40),
        FLOOR_CONTOUR=(0.45, 0.48, 0.55), ESCAPED=(0.50, 0.50, 0.53),
        TRAIL_TAIL=(0.86, 0.86, 0.84), PANEL_BG=(0.99, 0.99, 0.98), LABEL_BG=(0.99, 0.99, 0.98),
        VANISH=(0.05, 0.35, 0.85), HEALTHY=(0.20, 0.62, 0.30), EXPLODE=(0.85, 0.12, 0.10),
        BAND=(0.20, 0.62, 0.30, 0.16), GRID_ALPHA=0.35),
}
THEME = "dark"
BACKGROUND = "#151a23"
TEXT = (0.92, 0.93, 0.95)
TEXT_DIM = (0.62, 0.65, 0.70)
SURFACE_CMAP = "viridis"
CONTOUR = (1.0, 1.0, 1.0)
FLOOR_CONTOUR = (0.55, 0.60, 0.70)
ESCAPED = (0.55, 0.55, 0.58)
TRAIL_TAIL = (0.10, 0.11, 0.14)   # trails darken toward this with age (opaque fade)
PANEL_BG = (0.06, 0.07, 0.10)
LABEL_BG = (0.05, 0.06, 0.09)
GRID_ALPHA = 0.25
NONFINITE = (1.0, 0.0, 0.85)
THETA_STAR = (1.0, 1.0, 1.0)

# Hand-picked to read on viridis' purple, teal and yellow alike.
GROUP_PALETTE = ["#ff4d6d", "#f8f9fa", "#ff9f1c", "#e056fd", "#4cc9f0", "#ffd166",
                 "#9b5de5", "#06d6a0"]

VANISH = np.array([0.25, 0.55, 1.0])     # bars shrinking below the healthy band
HEALTHY = np.array([0.55, 0.85, 0.55])
EXPLODE = np.array([1.0, 0.28, 0.22])    # bars growing above it
BAND = (0.45, 0.80, 0.50, 0.16)          # RGBA of the shaded healthy band


def set_theme(name: str) -> None:
    """Switch every colour of this module to theme ``name`` (``dark`` or ``light``)."""
    from landscape.errors import choice

    choice("theme", name, tuple(THEMES))
    g = globals()
    for key, value in THEMES[name].items():
        g[key] = np.array(value) if key in ("VANISH", "HEALTHY", "EXPLODE") else value
    g["THEME"] = name


def on_background(rgb) -> tuple[float, float, float]:
    """A colour for text drawn straight on the background: as is on the dark theme; on the
    light theme, light hues (white, yellow) darkened until they read on off-white."""
    c = np.asarray(hex_rgb(rgb), np.float64)
    if THEME != "light":
        return tuple(c)
    lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    k = min(1.0, 0.45 / max(lum, 1e-6))
    return tuple(c * k)


def hex_rgb(c) -> tuple[float, float, float]:
    """``'#rrggbb'`` or an RGB tuple in [0, 1] → an RGB tuple in [0, 1]."""
    if isinstance(c, str):
        c = c.lstrip("#")
        if len(c) != 6:
            raise ValueError(f"not a #rrggbb colour: {c!r}")
        return tuple(int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    r, g, b = (float(x) for x in c[:3])
    return (r, g, b)


def group_colors(groups) -> np.ndarray:
    """float ``[G, 3]``: each group's ``color`` if it has one, else the palette in order."""
    out = []
    for k, g in enumerate(groups):
        c = g.get("color") if isinstance(g, dict) else None
        out.append(hex_rgb(c) if c is not None else hex_rgb(GROUP_PALETTE[k % len(GROUP_PALETTE)]))
    return np.asarray(out, np.float64).reshape(-1, 3)


def health_colors(log_values, band) -> np.ndarray:
    """float ``[..., 3]``: green inside the log10 ``band`` (lo, hi), blending to blue over two
    decades below it and to red over two decades above."""
    v = np.asarray(log_values, np.float64)
    lo, hi = band
    below = np.clip((lo - v) / 2.0, 0.0, 1.0)[..., None]
    above = np.clip((v - hi) / 2.0, 0.0, 1.0)[..., None]
    c = HEALTHY * (1 - below - above) + VANISH * below + EXPLODE * above
    return np.clip(c, 0.0, 1.0)


UNDEFINED = np.array([0.55, 0.55, 0.58])   # a ratio with no reference (output layer 0/overflow)


def flow_colors(log_ratios) -> np.ndarray:
    """float ``[..., 3]``: the colour of each layer's ratio to the output layer's gradient norm
    (`landscape.measures._flow`): green while balanced (1/3 ≤ r ≤ 3), blending through the fading band to
    full blue at r = 1/10 (vanishing) and through the growing band to full red at r = 10
    (exploding); grey where the ratio is undefined (NaN)."""
    from landscape import measures as flow

    v = np.asarray(log_ratios, np.float64)
    lo_b, hi_b = np.log10(flow.FADING), np.log10(flow.GROWING)
    lo_f, hi_f = np.log10(flow.VANISHING), np.log10(flow.EXPLODING)
    w = np.nan_to_num(v, nan=0.0, posinf=hi_f, neginf=lo_f)
    below = np.clip((lo_b - w) / (lo_b - lo_f), 0.0, 1.0)[..., None]
    above = np.clip((w - hi_b) / (hi_f - hi_b), 0.0, 1.0)[..., None]
    c = HEALTHY * (1 - below - above) + VANISH * below + EXPLODE * above
    c = np.where(np.isnan(v)[..., None], UNDEFINED, c)
    return np.clip(c, 0.0, 1.0)


def rgba_u8(rgb, alpha: float = 1.0) -> np.ndarray:
    """Colours in [0, 1] ``[..., 3]`` → uint8 RGBA ``[..., 4]``."""
    rgb = np.asarray(rgb, np.float64)
    a = np.full(rgb.shape[:-1] + (1,), alpha)
    return (np.clip(np.concatenate([rgb, a], -1), 0, 1) * 255 + 0.5).astype(np.uint8)


def font_file(bold: bool = False, mono: bool = False) -> str | None:
    """A DejaVu Sans TTF (matplotlib ships one) so θ, ‖∇‖ and ● render; None → VTK's Arial.
    ``mono``: DejaVu Sans Mono, for text in aligned columns (the window's key help)."""
    name = ("DejaVuSansMono" if mono else "DejaVuSans") + ("-Bold.ttf" if bold else ".ttf")
    spec = importlib.util.find_spec("matplotlib")
    candidates = []
    if spec is not None and spec.origin:
        candidates.append(os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf",
                                       name))
    candidates.append(os.path.join("/usr/share/fonts/truetype/dejavu", name))
    for p in candidates:
        if os.path.exists(p):
            return p
    return None


def style_text(prop, size: int = 14, color=None, bold: bool = False, shadow: bool = False,
               justify: str = "left", vjustify: str = "bottom", mono: bool = False) -> None:
    """Apply the stage's font to a ``vtkTextProperty``."""
    import vtk

    f = font_file(bold, mono)
    if f is not None:
        prop.SetFontFamily(vtk.VTK_FONT_FILE)
        prop.SetFontFile(f)
    else:
        prop.SetBold(bold)
        if mono:
            prop.SetFontFamilyToCourier()
    color = TEXT if color is None else color
    prop.SetFontSize(int(round(size)))
    prop.SetColor(*color[:3])
    # a drop shadow lifts light text off whatever is behind it; dark text (light theme) reads
    # better without one
    r, g, b = (float(v) for v in color[:3])
    prop.SetShadow(bool(shadow) and 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5)
    getattr(prop, {"left": "SetJustificationToLeft", "center": "SetJustificationToCentered",
                   "right": "SetJustificationToRight"}[justify])()
    getattr(prop, {"bottom": "SetVerticalJustificationToBottom",
                   "center": "SetVerticalJustificationToCentered",
                   "top": "SetVerticalJustificationToTop"}[vjustify])()
