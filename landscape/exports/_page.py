"""One self-contained, offline HTML page: the landscapes in 3D, the balls rolling on them, a
play button and a time slider.

Why plotly. The page needs a 3D surface coloured by loss with contour lines, mouse rotation and
zoom, hover read-outs, a colour bar and a legend. plotly.js does all of these out of the box and
ships inside the ``plotly`` wheel (``get_plotlyjs()``, 4.8 MB minified), so the page embeds it
and opens from ``file://`` with no network and no server. The alternatives lost on merit:
vtk.js through ``trame-pyvista``'s ``export_html`` draws exactly what PyVista draws, but needs a
loopback server while exporting and has no hover read-outs, colour bar or time slider of its
own; a hand-written three.js page would need a vendored three.js plus our own hover picking,
colour bar and legend. The ball animation is ours (``page.js``): the balls' positions travel
as compact binary arrays and are restyled per time step, instead of plotly animation frames
that would repeat every trace's JSON at every step.

Layout of the page: a header (title, description), one panel per view (side by side, 2×2 for
four, one column on a narrow screen) with the view's title, its legend lines (step, each group's
mean loss, settled, escaped), the 3D view (surface, θ* or its pin, balls with fading trails, the
census labels of the step) and the per-layer gradient panel (beside a single view, under
several), a shared control bar (play/pause, time slider, step, caption, speed) and a footer
saying how it was made. What the legend, the census and the panel say is computed in Python
(`landscape.exports._overlays`, from the same `landscape.picture` functions as the video). ``#autoplay`` in the
URL plays once on load; ``#frame=K`` opens at time step K. When ready, the page sets
``window.landscapeReady`` (ms since navigation) and the ``data-ready`` attribute of ``<html>``.
"""

from __future__ import annotations

import base64
import html
import importlib.resources

import numpy as np

from landscape.exports import _overlays as overlays
from landscape.exports._content import Content, View
from landscape.picture import CAMERAS, NONFINITE, THEMES, format_loss, loss_ticks
from landscape.picture import group_colors as palette_colors

MAX_MESH = 121          # as the renderer: finer adds bytes, not visible detail
N_CONTOURS = 14


def viridis_scale(n: int = 16) -> list:
    """matplotlib's viridis as a plotly colour scale (the renderer's colour map)."""
    from matplotlib import colormaps

    cm = colormaps["viridis"]
    return [[k / (n - 1), "#%02x%02x%02x" % tuple(int(round(255 * c)) for c in cm(k / (n - 1))[:3])]
            for k in range(n)]


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _sub(n: int, cap: int) -> np.ndarray:
    return np.arange(n) if n <= cap else np.unique(np.round(np.linspace(0, n - 1, cap)).astype(int))


def group_colors(groups, theme: str) -> list[str]:
    """Each group's ``color``, else the renderer's palette (its light twin on a light page)."""
    return palette_colors(groups, THEMES[theme].page_palette)


def _camera(preset: str, ratio) -> dict:
    el, az = CAMERAS.get(preset, CAMERAS["iso"])
    el, az = np.radians(el), np.radians(az)
    r = 1.75
    eye = {"x": r * np.cos(el) * np.cos(az), "y": r * np.cos(el) * np.sin(az),
           "z": r * np.sin(el) + 0.15 * ratio["z"]}
    up = ({"x": float(-np.cos(az)), "y": float(-np.sin(az)), "z": 0.0}
          if np.degrees(el) > 89 else {"x": 0, "y": 0, "z": 1})
    return {"eye": {k: float(v) for k, v in eye.items()}, "up": up,
            "center": {"x": 0, "y": 0, "z": -0.1 * ratio["z"]}}


def figure(view: View, theme: str, camera: str, legend: bool = True) -> dict:
    """The plotly figure (``data``, ``layout``) of one view at time step 0: the surface with its
    contours, θ* (a pin when it hides in a pit), non-finite cells, then per group a trail
    trace and a ball trace, then the census markers (``page.js`` fills trails, balls and the
    census at each step)."""
    import plotly.graph_objects as go

    t = THEMES[theme].page
    traces = [surface_trace(view, t)] + theta_star_traces(view, t) + nonfinite_traces(view)
    if view.trajectory is not None:
        traces += group_traces(view, theme, t)
        traces += census_marks(view, t)
    pin = overlays.theta_pin(view, mesh(view)[2:])
    top = pin["top"] if pin is not None and pin["top"] is not None else None
    return go.Figure(data=traces, layout=layout(view, t, camera, pin_notes(view, t), top,
                                                legend)).to_plotly_json()


def mesh(view: View):
    """``(ia, ib, A, B, Z)``: the grid rows and columns drawn (at most `MAX_MESH` a side, as the
    renderer) and their plane coordinates and heights ``[n_a, n_b]``."""
    s, sc = view.surface, view.scale
    ia, ib = _sub(len(s.alphas), MAX_MESH), _sub(len(s.betas), MAX_MESH)
    A, B = np.meshgrid(s.alphas[ia].astype(np.float64), s.betas[ib].astype(np.float64),
                       indexing="ij")
    return ia, ib, A, B, sc.z(s.loss[np.ix_(ia, ib)].astype(np.float64))


def _z_ticks(sc):
    """The loss ticks as colour-bar values, heights and labels."""
    ticks = loss_ticks(sc)
    return sc.h(ticks), sc.z(ticks), [format_loss(v) for v in ticks]


def surface_trace(view: View, t: dict):
    """The surface, coloured by loss (log or linear as the scale), with its contours."""
    import plotly.graph_objects as go

    s, sc = view.surface, view.scale
    ia, ib = _sub(len(s.alphas), MAX_MESH), _sub(len(s.betas), MAX_MESH)
    a, b = s.alphas[ia].astype(np.float64), s.betas[ib].astype(np.float64)
    loss = s.loss[np.ix_(ia, ib)].astype(np.float64)
    acc = s.accuracy[np.ix_(ia, ib)].astype(np.float64)
    z = sc.z(loss)
    z_top = sc.z_top
    tick_h, _, labels = _z_ticks(sc)
    step = z_top / (N_CONTOURS + 1)
    return go.Surface(
        # float32 (plotly ships typed arrays as base64): half the bytes of float64, and 1e-7 of
        # the relief is far below a pixel; the hover reads out 4 significant digits
        x=a, y=b, z=z.T.astype(np.float32), surfacecolor=sc.h(loss).T.astype(np.float32),
        cmin=sc.h_lo, cmax=sc.h_hi, colorscale=viridis_scale(),
        customdata=np.stack([loss.T, acc.T], -1).astype(np.float32),
        hovertemplate=("a %{x:.3f}, b %{y:.3f}<br>loss %{customdata[0]:.4g}<br>"
                       "accuracy %{customdata[1]:.1%}<extra>surface</extra>"),
        name="surface", showlegend=False,
        colorbar={"title": {"text": "loss" + (" (log)" if sc.log else ""), "side": "right"},
                  "tickvals": tick_h.tolist(), "ticktext": labels, "len": 0.6, "thickness": 14,
                  "x": 0.98, "y": 0.55, "outlinewidth": 0, "tickfont": {"size": 11}},
        contours={"z": {"show": True, "start": step, "end": z_top - 0.5 * step, "size": step,
                        "color": t["contour"], "width": 1, "usecolormap": False,
                        "highlight": False, "project": {"z": True}}},
        lighting={"ambient": 0.55, "diffuse": 0.75, "specular": 0.12, "roughness": 0.55,
                  "fresnel": 0.05},
        lightposition={"x": -1e4, "y": -1e4, "z": 2e4})


def theta_star_traces(view: View, t: dict) -> list:
    """θ*, a diamond above the surface at the plane's centre, labelled; when it hides in a pit
    narrower than the mesh (`landscape.picture.pin_top`), a pin up through the surface with
    "θ*  loss …" at its top, as the video draws it (none when θ* is off the grid)."""
    import plotly.graph_objects as go

    _, _, A, B, Z = mesh(view)
    pin = overlays.theta_pin(view, (A, B, Z))
    if pin is None:
        return []
    hover = f"θ*, the trained weights<br>loss {format_loss(pin['loss'])}<extra></extra>"
    marker = {"size": 6, "symbol": "diamond", "color": t["theta"],
              "line": {"color": t["bg"], "width": 1}}
    if pin["top"] is None:
        return [go.Scatter3d(
            x=[0.0], y=[0.0], z=[pin["z"] + 2.2 * view.radius], mode="markers+text",
            text=[pin["label"]], textposition="middle left", name="θ* (trained weights)",
            marker=marker, textfont={"color": t["theta"], "size": 15}, hovertemplate=hover)]
    return [go.Scatter3d(
        x=[0.0, 0.0], y=[0.0, 0.0], z=[pin["z"] + view.radius, pin["top"]],
        mode="lines+markers", name="θ* (trained weights)", line={"color": t["theta"], "width": 4},
        marker={**marker, "size": [5, 3]}, hovertemplate=hover)]


def pin_notes(view: View, t: dict) -> list:
    """The label at the top of θ*'s pin, as a scene annotation with a backdrop (scene text has
    none and drowns among the balls); none when θ* needs no pin."""
    pin = overlays.theta_pin(view, mesh(view)[2:])
    if pin is None or pin["top"] is None:
        return []
    return [{"x": 0.0, "y": 0.0, "z": float(pin["top"]), "text": f"<b>{pin['label']}</b>",
             "showarrow": False, "yshift": 12, "font": {"size": 13, "color": t["theta"]},
             "bgcolor": t["panel"], "bordercolor": t["theta"], "borderwidth": 1,
             "borderpad": 3, "opacity": 0.9}]


def nonfinite_traces(view: View) -> list:
    """The grid points whose loss is not finite, just above the top of the scale."""
    import plotly.graph_objects as go

    s = view.surface
    bad = ~np.isfinite(s.loss)
    if not bad.any():
        return []
    ii, jj = np.nonzero(bad)
    return [go.Scatter3d(
        x=s.alphas[ii], y=s.betas[jj], z=np.full(ii.size, view.scale.z_top * 1.01),
        mode="markers", name=f"non-finite loss ({ii.size} points)",
        marker={"size": 2.5, "color": "#%02x%02x%02x" % tuple(int(255 * v) for v in NONFINITE)},
        hoverinfo="skip")]


def group_traces(view: View, theme: str, t: dict) -> list:
    """Per ball group an (empty) trail trace and ball trace; ``page.js`` fills them per step
    (a trail: each ball's last positions, darkening toward the theme's ``trail_tail`` with
    age, as the video's trails)."""
    import plotly.graph_objects as go

    tr = view.trajectory
    colors = group_colors(tr.groups, theme)
    traces = []
    for g, info in enumerate(tr.groups):
        name = str(info.get("name", f"group {g}"))
        traces.append(go.Scatter3d(
            x=[], y=[], z=[], mode="lines", name=name + " (trails)", legendgroup=f"g{g}",
            showlegend=False, hoverinfo="skip", connectgaps=False,
            line={"color": colors[g], "width": 3}))
        traces.append(go.Scatter3d(
            x=[], y=[], z=[], mode="markers", name=name, legendgroup=f"g{g}",
            marker={"size": 4.5, "color": colors[g], "line": {"color": t["bg"], "width": 0.5},
                    "opacity": 1.0},
            hovertemplate=("<b>%{fullData.name}</b><br>loss %{customdata[0]:.4g}<br>"
                           "a %{customdata[1]:.3f}, b %{customdata[2]:.3f}<br>%{text}"
                           "<extra></extra>")))
    return traces


def census_marks(view: View, t: dict) -> list:
    """The minima the balls have settled in (the census, per step as the video labels it): one
    marker trace with a hover read-out; ``page.js`` moves it and draws the labels over the
    scene (annotations: scene text would hide behind ridges) at each step."""
    import plotly.graph_objects as go

    return [go.Scatter3d(
        x=[], y=[], z=[], mode="markers", name="minima found (census)",
        marker={"size": 5, "symbol": "circle", "color": t["accent"],
                "line": {"color": t["bg"], "width": 1}},
        hovertext=[], hovertemplate="%{hovertext}<extra></extra>")]


def layout(view: View, t: dict, camera: str, annotations: list, pin_top: float | None = None,
           legend: bool = True):
    """The page's axes in the theme, the aspect ratio of the landscape, and the camera; the z
    axis holds θ*'s pin (``pin_top``) when it has one. ``legend``: plotly's own (traces to
    switch off); small views leave it to the legend lines above them."""
    import plotly.graph_objects as go

    sc = view.scale
    x0, x1, y0, y1 = (float(v) for v in view.surface.span)
    z_top, floor = sc.z_top, -0.12 * sc.z_top
    _, tick_z, labels = _z_ticks(sc)
    z_hi = z_top * 1.06 + 4 * view.radius
    z_max = max(z_hi, (pin_top or 0.0) + 0.08 * z_top)
    # a pin above the relief lengthens the z axis, never flattens the relief
    ratio = {"x": (x1 - x0) / view.span, "y": (y1 - y0) / view.span,
             "z": (z_top - floor) / view.span * (z_max - floor) / (z_hi - floor)}
    axis = {"gridcolor": t["grid"], "zerolinecolor": t["grid"], "color": t["dim"],
            "showbackground": True, "backgroundcolor": t["pane"], "showspikes": False,
            "title": {"font": {"size": 13, "color": t["text"]}}, "tickfont": {"size": 11}}
    m = 0.02 * view.span
    return go.Layout(
        paper_bgcolor=t["bg"], plot_bgcolor=t["bg"], font={"color": t["text"], "size": 13,
                                                         "family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=legend, uirevision="keep",
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(0,0,0,0)", "font": {"size": 12},
                "itemsizing": "constant"},
        hoverlabel={"font": {"size": 13}},
        scene={"xaxis": {**axis, "title": {**axis["title"], "text": "a  (along d₁)"},
                         "range": [x0 - m, x1 + m]},
               "yaxis": {**axis, "title": {**axis["title"], "text": "b  (along d₂)"},
                         "range": [y0 - m, y1 + m]},
               "zaxis": {**axis, "title": {**axis["title"], "text": "loss"},
                         "range": [floor, z_max],
                         "tickvals": tick_z.tolist(), "ticktext": labels},
               "aspectmode": "manual", "aspectratio": ratio, "annotations": annotations,
               "camera": _camera(camera, ratio)})


def ball_data(view: View, theme: str, n_steps: int = 1, seconds: float = 1.0) -> dict | None:
    """The balls of one view as compact binary arrays (base64), for ``page.js``: positions as
    uint16 over their own bounding box (1/65535 of it is far below a pixel), the surface's loss
    under each ball (float32: the hover reads it out), flags; only the distinct frames shown
    (`landscape.exports._overlays.stored_frames`), with ``map`` from time step to frame, and of
    those only the frames where a ball moved (``bmap``: stored frame → ball frame); and how
    many time steps a trail spans."""
    tr = view.trajectory
    if tr is None:
        return None
    stored, where = overlays.stored_frames(view)
    pos = np.asarray(tr.positions[stored], np.float64)                       # [F, N, 2]
    lo, hi = pos.reshape(-1, 2).min(0), pos.reshape(-1, 2).max(0)
    q = np.round((pos - lo) / np.maximum(hi - lo, 1e-30) * 65535).astype(np.uint16)
    flags = (np.asarray(tr.escaped[stored], np.uint8)
             | (np.asarray(tr.settled[stored], np.uint8) << 1))
    heights = np.asarray(tr.heights[stored], np.float32)
    # a frame where no ball moved (every one escaped or at rest, a pause) reuses the last
    # frame's arrays: ``bmap`` says which ball frame each stored frame shows
    same = np.zeros(len(stored), bool)
    same[1:] = ((q[1:] == q[:-1]).all((1, 2)) & (flags[1:] == flags[:-1]).all(1)
                & (heights[1:] == heights[:-1]).all(1))
    keep = np.flatnonzero(~same)
    bmap = np.cumsum(~same) - 1
    sc = view.scale
    th = THEMES[theme]
    return {"n": tr.n_balls, "frames": int(len(stored)), "map": where.astype(int).tolist(),
            "bmap": bmap.astype(int).tolist(),
            "steps": np.asarray(tr.steps)[stored].astype(int).tolist(),
            "group": np.asarray(tr.group, int).tolist(),
            "colors": group_colors(tr.groups, theme),
            "ab": _b64(q[keep]), "abLo": lo.tolist(),
            "abStep": (np.maximum(hi - lo, 1e-30) / 65535).tolist(),
            "loss": _b64(heights[keep]), "flags": _b64(flags[keep]),
            "trail": overlays.trail_steps(view, n_steps, seconds),
            "trailTail": "#%02x%02x%02x" % tuple(int(round(255 * c)) for c in th.trail_tail),
            "scale": {"log": bool(sc.log), "lo": sc.lo, "hi": sc.hi, "hLo": sc.h_lo,
                      "zPerH": sc.z_per_h, "radius": view.radius},
            "extent": [float(v) for v in view.surface.span]}


def max_labels(n_views: int) -> int:
    """Census labels a view has room for (the video: 4 in a tall view, 2 in a small one)."""
    return 4 if n_views <= 2 else 2


def _asset(name: str) -> str:
    return importlib.resources.files("landscape.exports").joinpath(name).read_text("utf-8")


def _safe_json(obj) -> str:
    """JSON for a ``<script>`` element: nothing in it can close the element."""
    from plotly.io.json import to_json_plotly

    text = to_json_plotly(obj)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(content: Content, theme: str = "dark") -> str:
    """The whole page as one string (UTF-8 HTML)."""
    from plotly.offline import get_plotlyjs

    import landscape

    if theme not in THEMES:
        from landscape.errors import choice

        choice("theme", theme, THEMES)
    views = []
    k, secs = content.n_steps, content.seconds
    for i, v in enumerate(content.views):
        views.append({"id": f"view{i}", "title": v.title, "subtitle": v.subtitle,
                      "figure": figure(v, theme, content.camera, len(content.views) < 3),
                      "balls": ball_data(v, theme, k, secs),
                      "panel": overlays.panel_data(v, theme),
                      "legend": overlays.legend_lines(v),
                      "census": overlays.census_data(v, max_labels(len(content.views)))})
    data = {"views": views, "captions": content.captions, "seconds": content.seconds,
            "steps": content.n_steps, "animated": content.animated, "theme": dict(THEMES[theme].page)}
    t = THEMES[theme].page
    css_vars = "".join(f"--{k}:{v};" for k, v in t.items())
    panels = "\n".join(
        f'<section class="view"><h2>{html.escape(v["title"])}</h2>'
        f'<p class="sub" title="{html.escape(v["subtitle"])}">{html.escape(v["subtitle"])}</p>'
        + (f'<div class="hud" id="{v["id"]}-hud" aria-live="off"></div>' if v["legend"] else "")
        + f'<div class="body{" with-panel" if v["panel"] else ""}">'
        f'<div class="plot" id="{v["id"]}"></div>'
        + (f'<div class="panel" id="{v["id"]}-panel" role="img" '
           f'aria-label="per-layer gradient norms"></div>' if v["panel"] else "")
        + '</div></section>' for v in views)
    controls = "" if not content.animated else _asset("controls.html")
    e = html.escape
    return (
        "<!DOCTYPE html>\n<html lang=\"en\" data-theme=\"" + theme + "\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"landscape {landscape.__version__}\">\n"
        f"<title>{e(content.title)} · landscape</title>\n"
        f"<style>:root{{{css_vars}}}\n{_asset('page.css')}</style>\n</head>\n<body>\n"
        f"<header><h1>{e(content.title)}</h1><p>{e(content.description)}</p></header>\n"
        f"<main class=\"views n{len(views)}\">\n{panels}\n</main>\n{controls}\n"
        "<footer>Drag to turn, scroll to zoom, hover for values"
        + (", space to play or pause, ← → to step" if content.animated else "")
        + f". Made with landscape {landscape.__version__}"
        + (f" from {e(content.source)}" if content.source else "") + ".</footer>\n"
        f"<script>{get_plotlyjs()}</script>\n"
        f"<script type=\"application/json\" id=\"landscape-data\">{_safe_json(data)}</script>\n"
        f"<script>{_asset('page.js')}</script>\n</body>\n</html>\n")
