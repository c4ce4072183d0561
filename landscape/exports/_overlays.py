"""What the page draws over and beside each 3D view, computed here so that the page and the
video cannot disagree: the per-layer gradient panel, the legend lines, the census labels, the
θ* pin and the trails' length. ``page.js`` only lays these out and draws them.

Everything is per *stored* frame (the trajectory frames the page holds, `View.frames` made
unique: a frame shown at several time steps is stored once, a time step where nothing moves
costs one index) and ships as compact binary arrays (base64) beside the balls' positions.

The panel is the video's (`landscape.render.panels._gradients`), bar for bar: for each ball
group, the bars are `landscape.picture.gradient_bars` of the group's balls (log10 of the mean
norm, min–max whiskers, ∞ where any ball overflowed), coloured by
`landscape.picture.Theme.gradient_colors` inside the group's absolute band
(`landscape.picture.GradientLimits.for_sgd` from its learning rate, ‖θ*‖ and the plane's width
in weight space) and says what that colour means (`statuses`/`bands` as the video's panel):
the colours are RGB bytes computed in Python, never recomputed in the browser. The y axis
only widens, by whole decades, from 1e-6…1e3, as the video's does.
"""

from __future__ import annotations

import base64

import numpy as np

from landscape.picture import (
    THEMES,
    GradientLimits,
    census_label,
    census_more,
    depth_colors,
    format_loss,
    gradient_bars,
    gradient_status,
    legend_parts,
    limits_key,
    pin_top,
    plane_span,
    theta_norm,
)

#: what a bar's colour says, as the page's ``says`` codes (index into this tuple)
SAYS = ("", "overflow", "exploding", "vanishing", "fading", "balanced", "growing", "undefined")
Y_RANGE = (-6, 3)       # the panel's first axis, log10 (the video's ``y_range=(1e-6, 1e3)``)
TRAIL_POINTS = 40_000   # as the video: about this many trail points in all, 8–20 frames each


def b64(a: np.ndarray) -> str:
    """The bytes of ``a`` (C order), base64: how arrays travel to ``page.js``."""
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def stored_frames(view) -> tuple[np.ndarray, np.ndarray]:
    """``(stored, where)``: the distinct trajectory frames the view shows, and for each of the
    export's time steps the index of its frame in ``stored``."""
    stored, where = np.unique(view.frames, return_inverse=True)
    return stored, where.reshape(-1)


def group_limits(view, group: int) -> GradientLimits:
    """The absolute band of group ``group``'s bars, as the video's view takes it."""
    lr = view.trajectory.groups[group].get("lr")
    return GradientLimits.for_sgd(lr, theta_norm(view.surface), plane_span(view.surface))


def panel_values(norms, limits: GradientLimits, theme: str = "dark") -> dict:
    """The bars of one group over frames: ``norms [F, n, L]`` → numpy arrays ``mean``, ``lo``,
    ``hi`` (log10, ``[F, L]``), ``over`` (bool), ``rgb`` (float ``[F, L, 3]``, the honest
    colour), ``says`` (int codes into `SAYS`), ``y_lo``/``y_hi`` (the axis in whole decades
    at each frame, only widening) and ``s_lo``/``s_hi`` (the learning-speed chart's)."""
    from landscape import measures as flow

    t = THEMES[theme]
    g = np.asarray(norms, np.float64)
    F, _, L = g.shape
    mean, lo, hi = (np.full((F, L), np.nan) for _ in range(3))
    over = np.zeros((F, L), bool)
    for f in range(F):
        mean[f], lo[f], hi[f], over[f] = gradient_bars(g[f])
    rgb = t.gradient_colors(mean, limits, overflow=over, log10=True)
    with np.errstate(over="ignore"):
        lin = 10.0 ** mean
    status = np.where(np.isfinite(lin), gradient_status(lin, limits), "")
    status = np.where(over, "overflow", status)
    band = np.stack([flow.classify(lin[f]) for f in range(F)]) if F else np.zeros((0, L), object)
    says = np.where(status != "", status, band)
    code = np.array([[SAYS.index(str(s)) for s in row] for row in says], np.uint8).reshape(F, L)
    y_lo, y_hi = np.empty(F, int), np.empty(F, int)
    s_lo, s_hi = np.empty(F, float), np.empty(F, float)
    a, b = Y_RANGE
    c, d = np.inf, -np.inf
    for f in range(F):
        w = np.concatenate([lo[f], hi[f]])
        w = w[np.isfinite(w)]
        if w.size:
            a, b = min(a, int(np.floor(w.min()))), max(b, int(np.ceil(w.max())))
        m = mean[f][np.isfinite(mean[f])]
        if m.size:
            c = min(c, float(np.floor(m.min())))
            d = max(d, float(np.ceil(m.max())), c + 1)
        y_lo[f], y_hi[f], s_lo[f], s_hi[f] = a, b, c, d
    return {"mean": mean, "lo": lo, "hi": hi, "over": over, "rgb": rgb, "says": code,
            "y_lo": y_lo, "y_hi": y_hi, "s_lo": s_lo, "s_hi": s_hi}


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(round(255 * float(np.clip(v, 0, 1)))) for v in rgb[:3])


def panel_data(view, theme: str = "dark") -> list | None:
    """One panel per ball group of ``view`` (the page shows the first, as the video does; a
    click on a legend line shows another), for ``page.js``."""
    tr = view.trajectory
    if tr is None or not len(tr.layers):
        return None
    t = THEMES[theme]
    stored, _ = stored_frames(view)
    gid = np.asarray(tr.group, int)
    out = []
    for k, info in enumerate(tr.groups):
        sel = gid == k
        lim = group_limits(view, k)
        v = panel_values(np.asarray(tr.grad_norms)[stored][:, sel, :], lim, theme)
        mean = np.where(np.isposinf(v["mean"]), np.nan, v["mean"])
        out.append({
            "title": f"‖∇W‖ per layer · {info.get('name', '')}",
            "layers": [str(x) for x in tr.layers],
            "limits": [float(np.log10(lim.lo)) if lim.lo > 0 else None,
                       float(np.log10(lim.hi))],
            "band": [float(np.log10(x)) for x in _flow_band()],
            "key": limits_key(lim), "describe": lim.describe(),
            "mean": b64(mean.astype(np.float32)), "lo": b64(v["lo"].astype(np.float32)),
            "hi": b64(v["hi"].astype(np.float32)), "over": b64(v["over"].astype(np.uint8)),
            "rgb": b64(np.round(np.clip(v["rgb"], 0, 1) * 255).astype(np.uint8)),
            "says": b64(v["says"]), "sayWords": list(SAYS),
            "yLo": v["y_lo"].tolist(), "yHi": v["y_hi"].tolist(),
            "sLo": [x if np.isfinite(x) else None for x in v["s_lo"].tolist()],
            "sHi": [x if np.isfinite(x) else None for x in v["s_hi"].tolist()],
            "depth": [_hex(c) for c in depth_colors(len(tr.layers))],
            "depthText": [_hex(t.on_background(c)) for c in depth_colors(len(tr.layers))[[0, -1]]],
            "keyColors": [_hex(t.vanish), _hex(t.healthy), _hex(t.explode)],
            "band_rgba": [_hex(t.band[:3]), float(t.band[3])]})
    return out


def _flow_band() -> tuple[float, float]:
    from landscape import measures as flow

    return flow.FADING, flow.GROWING


def legend_lines(view) -> dict | None:
    """Per stored frame, the step and each group's legend line, worded as the video's HUD
    (`landscape.picture.legend_parts`): ``{"step": [F], "lines": [F][G]}``."""
    tr = view.trajectory
    if tr is None:
        return None
    stored, _ = stored_frames(view)
    gid = np.asarray(tr.group, int)
    G = len(tr.groups)
    counts = np.bincount(gid, minlength=G)
    lines = []
    for f in stored:
        esc = np.asarray(tr.escaped[f], bool)
        st = np.asarray(tr.settled[f], bool)
        h = np.asarray(tr.heights[f], np.float64)
        live = ~esc
        n_live = np.bincount(gid, weights=live, minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(gid, weights=np.where(live, h, 0.0), minlength=G) / n_live
        mean = np.where(n_live > 0, mean, np.inf)
        settled = np.bincount(gid, weights=st & live, minlength=G).astype(int)
        escaped = np.bincount(gid, weights=esc, minlength=G).astype(int)
        lines.append(["   ".join(legend_parts(tr.groups[k], k, mean[k], int(counts[k]),
                                              int(settled[k]), int(escaped[k])))
                      for k in range(G)])
    return {"step": [f"step {int(s):,}" for s in np.asarray(tr.steps)[stored]], "lines": lines}


def census_data(view, max_labels: int) -> dict | None:
    """Per stored frame, the minima the balls had settled in at that step (the census the
    video labels: `landscape.balls.Trajectory.frame`), as ``{"sets": [...], "map": [F]}``:
    each set holds up to ``max_labels`` labels (plane position, height, text, hover) and the
    "+k more" line; ``map`` says which set each stored frame shows (−1: none)."""
    tr = view.trajectory
    if tr is None:
        return None
    stored, _ = stored_frames(view)
    sc = view.scale
    sets, index, cmap = [], {}, []
    for f in stored:
        cen = tr.frame(int(f), view.surface).census or []
        cen = [c for c in cen if c.get("position") is not None]
        if not cen:
            cmap.append(-1)
            continue
        shown = cen[:max_labels]
        key = tuple((round(float(c["position"][0]), 4), round(float(c["position"][1]), 4),
                     round(float(c.get("share", 0)), 3)) for c in shown) + (len(cen),)
        if key not in index:
            index[key] = len(sets)
            loss = np.array([c.get("loss", np.nan) for c in shown], np.float64)
            z = sc.z(np.where(np.isfinite(loss), loss, sc.hi)) + 1.5 * view.radius
            sets.append({
                "x": [float(c["position"][0]) for c in shown],
                "y": [float(c["position"][1]) for c in shown],
                "z": [float(v) for v in np.atleast_1d(z)],
                "text": [census_label(c) for c in shown],
                "hover": [f"a minimum: {c.get('n_balls', 0)} balls "
                          f"({100 * float(c.get('share', 0)):.0f}%) settled here"
                          f"<br>loss {format_loss(c.get('loss', np.nan))}"
                          + (f", accuracy {100 * float(c['accuracy']):.1f}%"
                             if c.get("accuracy") is not None else "") for c in shown],
                "more": census_more(len(cen) - len(shown))})
        cmap.append(index[key])
    return {"sets": sets, "map": cmap}


def theta_pin(view, mesh) -> dict | None:
    """θ* as the video marks it: ``{"z", "top", "loss", "label"}`` with ``top`` the end of the
    pin up through the surface when θ* is hidden in a pit narrower than the mesh
    (`landscape.picture.pin_top`), else None. ``mesh``: ``(A, B, Z)`` as drawn."""
    l0 = view.theta_star_loss()
    if l0 is None:
        return None
    A, B, Z = mesh
    z0 = float(view.scale.z(l0))
    top = pin_top(Z, A, B, z0, view.scale.z_top)
    return {"z": z0, "top": top, "loss": l0,
            "label": "θ*" if top is None else f"θ*  loss {l0:.3g}"}


def trail_steps(view, n_steps: int, seconds: float) -> int:
    """How many of the page's time steps a trail spans: the video keeps ``40,000 / N`` frames
    (8–20) of trail at its frame rate (`View.trail_seconds`); the page keeps the same stretch of
    time, at least 2 steps."""
    tr = view.trajectory
    if tr is None:
        return 0
    secs = getattr(view, "trail_seconds", None)
    if secs is None:
        secs = float(np.clip(TRAIL_POINTS // max(tr.n_balls, 1), 8, 20)) / 30.0
    rate = n_steps / max(seconds, 1e-3)
    return int(max(2, round(secs * rate)))
