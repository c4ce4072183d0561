"""Fonts for the stage's text: the colours themselves are `landscape.picture.Theme` values,
handed to the `Stage` and from it to every part it builds (no module state here)."""

from __future__ import annotations

import importlib.util
import os


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


def style_text(prop, size: int, color, bold: bool = False, shadow: bool = False,
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
