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
four, one column on a narrow screen) with the view's title, a shared control bar (play/pause,
time slider, step, caption, speed) and a footer saying how it was made. ``#autoplay`` in the
URL plays once on load; ``#frame=K`` opens at time step K. When ready, the page sets
``window.landscapeReady`` (ms since navigation) and the ``data-ready`` attribute of ``<html>``.
"""

from __future__ import annotations

import base64
import html
import importlib.resources

import numpy as np

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


def figure(view: View, theme: str, camera: str) -> dict:
    """The plotly figure (``data``, ``layout``) of one view at time step 0: the surface with its
    contours, θ*, non-finite cells, then per group a path trace and a ball trace, then the
    census labels (hidden until the last step)."""
    import plotly.graph_objects as go

    t = THEMES[theme].page
    traces = [surface_trace(view, t)] + theta_star_traces(view, t) + nonfinite_traces(view)
    annotations = []
    if view.trajectory is not None:
        traces += group_traces(view, theme, t)
        markers, annotations = census_marks(view, t)
        traces += markers
    return go.Figure(data=traces, layout=layout(view, t, camera, annotations)).to_plotly_json()


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
        x=a, y=b, z=z.T, surfacecolor=sc.h(loss).T, cmin=sc.h_lo, cmax=sc.h_hi,
        colorscale=viridis_scale(), customdata=np.stack([loss.T, acc.T], -1),
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
    """θ*, a diamond above the surface at the plane's centre (none when its loss is unknown)."""
    import plotly.graph_objects as go

    l0 = view.theta_star_loss()
    if l0 is None:
        return []
    return [go.Scatter3d(
        x=[0.0], y=[0.0], z=[float(view.scale.z(l0)) + 2.2 * view.radius], mode="markers+text",
        text=["θ*"], textposition="middle left", name="θ* (trained weights)",
        marker={"size": 6, "symbol": "diamond", "color": t["theta"],
                "line": {"color": t["bg"], "width": 1}},
        textfont={"color": t["theta"], "size": 15},
        hovertemplate=f"θ*, the trained weights<br>loss {format_loss(l0)}<extra></extra>")]


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
    """Per ball group an (empty) path trace and ball trace; ``page.js`` fills them per step."""
    import plotly.graph_objects as go

    tr = view.trajectory
    colors = group_colors(tr.groups, theme)
    traces = []
    for g, info in enumerate(tr.groups):
        name = str(info.get("name", f"group {g}"))
        traces.append(go.Scatter3d(
            x=[], y=[], z=[], mode="lines", name=name, legendgroup=f"g{g}",
            showlegend=False, hoverinfo="skip", connectgaps=False,
            line={"color": colors[g], "width": 2.5}, opacity=0.75))
        traces.append(go.Scatter3d(
            x=[], y=[], z=[], mode="markers", name=name, legendgroup=f"g{g}",
            marker={"size": 4.5, "color": colors[g], "line": {"color": t["bg"], "width": 0.5},
                    "opacity": 1.0},
            hovertemplate=("<b>%{fullData.name}</b><br>loss %{customdata[0]:.4g}<br>"
                           "a %{customdata[1]:.3f}, b %{customdata[2]:.3f}<br>%{text}"
                           "<extra></extra>")))
    return traces


def census_marks(view: View, t: dict) -> tuple[list, list]:
    """The minima the balls settled in (the census at the last step): ``(traces,
    annotations)``, a marker with a hover read-out and a label drawn over the scene (an
    annotation: scene text would hide behind ridges); ``page.js`` shows both at the last step
    only."""
    import plotly.graph_objects as go

    sc = view.scale
    cen = [c for c in (view.trajectory.census or []) if c.get("position") is not None][:6]
    if not cen:
        return [], []
    p = np.array([c["position"] for c in cen], np.float64)
    cl = np.array([c.get("loss", np.nan) for c in cen], np.float64)
    zc = sc.z(np.where(np.isfinite(cl), cl, sc.hi)) + 1.5 * view.radius
    hover = [f"a minimum: {c.get('n_balls', 0)} balls "
             f"({100 * float(c.get('share', 0)):.0f}%) settled here"
             f"<br>loss {format_loss(c.get('loss', np.nan))}"
             + (f", accuracy {100 * float(c['accuracy']):.1f}%"
                if c.get("accuracy") is not None else "") for c in cen]
    traces = [go.Scatter3d(
        x=p[:, 0], y=p[:, 1], z=zc, mode="markers", name="minima found",
        visible=False, marker={"size": 5, "symbol": "circle", "color": t["accent"],
                               "line": {"color": t["bg"], "width": 1}},
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")]
    annotations = []
    for c, (x, y), z in zip(cen, p, zc):
        acc = (f" · acc {100 * float(c['accuracy']):.0f}%"
               if c.get("accuracy") is not None else "")
        annotations.append({
            "x": float(x), "y": float(y), "z": float(z), "visible": False,
            "text": f"<b>loss {format_loss(c.get('loss', np.nan))}</b>{acc}<br>"
                    f"{100 * float(c.get('share', 0)):.0f}% of the balls",
            "showarrow": True, "arrowhead": 0, "arrowwidth": 1, "ax": 0, "ay": -34,
            "arrowcolor": t["accent"], "font": {"size": 11, "color": t["text"]},
            "bgcolor": t["panel"], "bordercolor": t["accent"], "borderwidth": 1,
            "borderpad": 3, "opacity": 0.92})
    return traces, annotations


def layout(view: View, t: dict, camera: str, annotations: list):
    """The page's axes in the theme, the aspect ratio of the landscape, and the camera."""
    import plotly.graph_objects as go

    sc = view.scale
    x0, x1, y0, y1 = (float(v) for v in view.surface.span)
    z_top, floor = sc.z_top, -0.12 * sc.z_top
    _, tick_z, labels = _z_ticks(sc)
    ratio = {"x": (x1 - x0) / view.span, "y": (y1 - y0) / view.span,
             "z": (z_top - floor) / view.span}
    axis = {"gridcolor": t["grid"], "zerolinecolor": t["grid"], "color": t["dim"],
            "showbackground": True, "backgroundcolor": t["pane"], "showspikes": False,
            "title": {"font": {"size": 13, "color": t["text"]}}, "tickfont": {"size": 11}}
    m = 0.02 * view.span
    return go.Layout(
        paper_bgcolor=t["bg"], plot_bgcolor=t["bg"], font={"color": t["text"], "size": 13,
                                                         "family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=True, uirevision="keep",
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(0,0,0,0)", "font": {"size": 12},
                "itemsizing": "constant"},
        hoverlabel={"font": {"size": 13}},
        scene={"xaxis": {**axis, "title": {**axis["title"], "text": "a  (along d₁)"},
                         "range": [x0 - m, x1 + m]},
               "yaxis": {**axis, "title": {**axis["title"], "text": "b  (along d₂)"},
                         "range": [y0 - m, y1 + m]},
               "zaxis": {**axis, "title": {**axis["title"], "text": "loss"},
                         "range": [floor, z_top * 1.06 + 4 * view.radius],
                         "tickvals": tick_z.tolist(), "ticktext": labels},
               "aspectmode": "manual", "aspectratio": ratio, "annotations": annotations,
               "camera": _camera(camera, ratio)})


def ball_data(view: View, theme: str) -> dict | None:
    """The balls of one view as compact binary arrays (base64), for ``page.js``."""
    tr = view.trajectory
    if tr is None:
        return None
    stored, where = np.unique(view.frames, return_inverse=True)
    # positions as uint16 over their own bounding box: 1/65535 of it is far below a pixel
    pos = np.asarray(tr.positions[stored], np.float64)                       # [F, N, 2]
    lo, hi = pos.reshape(-1, 2).min(0), pos.reshape(-1, 2).max(0)
    q = np.round((pos - lo) / np.maximum(hi - lo, 1e-30) * 65535).astype(np.uint16)
    flags = (np.asarray(tr.escaped[stored], np.uint8)
             | (np.asarray(tr.settled[stored], np.uint8) << 1))
    sc = view.scale
    return {"n": tr.n_balls, "frames": int(len(stored)), "map": where.astype(int).tolist(),
            "steps": np.asarray(tr.steps)[stored].astype(int).tolist(),
            "group": np.asarray(tr.group, int).tolist(),
            "colors": group_colors(tr.groups, theme),
            "ab": _b64(q), "abLo": lo.tolist(), "abStep": (np.maximum(hi - lo, 1e-30) / 65535).tolist(),
            "loss": _b64(np.asarray(tr.heights[stored], np.float32)),
            "flags": _b64(flags),
            "scale": {"log": bool(sc.log), "lo": sc.lo, "hi": sc.hi, "hLo": sc.h_lo,
                      "zPerH": sc.z_per_h, "radius": view.radius},
            "extent": [float(v) for v in view.surface.span]}


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
    for i, v in enumerate(content.views):
        views.append({"id": f"view{i}", "title": v.title, "subtitle": v.subtitle,
                      "figure": figure(v, theme, content.camera), "balls": ball_data(v, theme)})
    data = {"views": views, "captions": content.captions, "seconds": content.seconds,
            "steps": content.n_steps, "animated": content.animated, "theme": dict(THEMES[theme].page)}
    t = THEMES[theme].page
    css_vars = "".join(f"--{k}:{v};" for k, v in t.items())
    panels = "\n".join(
        f'<section class="view"><h2>{html.escape(v["title"])}</h2>'
        f'<p class="sub">{html.escape(v["subtitle"])}</p>'
        f'<div class="plot" id="{v["id"]}"></div></section>' for v in views)
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
