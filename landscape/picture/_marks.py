"""The words and marks every picture of a landscape shares (no VTK): the legend line of a ball
group, the census label of a minimum, the gradient key's absolute band, and where the pin above
a hidden θ* ends. The video, the window and the page all read these, so they say the same."""

from __future__ import annotations

import numpy as np


def format_lr(lr) -> str:
    """``"lr 0.01"`` (``""`` for no learning rate)."""
    if lr is None:
        return ""
    try:
        return f"lr {float(lr):.3g}"
    except (TypeError, ValueError):
        return f"lr {lr}"


def format_mean_loss(x: float) -> str:
    """A group's mean loss in its legend line: ``"0.123"``, ``"4.2e-05"``; ``"—"`` when there is
    none (every ball escaped) or it is not finite."""
    if not np.isfinite(x):
        return "—"
    return f"{x:.3g}" if x >= 1e-3 else f"{x:.1e}"


def legend_settings(group: dict) -> str:
    """``"sgd lr 0.01"`` for a group's legend line, or "" when its name already says it
    (a group named "SGD, lr 0.01" is not followed by "sgd lr 0.01")."""
    opt = str(group.get("optimizer", "") or "")
    lr = format_lr(group.get("lr"))
    name = str(group.get("name", "")).lower()
    words = set(name.replace(",", " ").replace("=", " ").replace("(", " ").replace(")", " ")
                .split())
    lr_num = lr.split(" ", 1)[1] if lr else ""
    has_opt = not opt or opt.lower() in words or opt.lower() in name
    has_lr = not lr_num or lr_num in words or f"lr={lr_num}" in name or f"lr {lr_num}" in name
    # what an adaptive optimizer adapts is always said ("adam (per plane coordinate)")
    label = str(group.get("optimizer_label", "") or "")
    adapts = label[len(opt):].strip() if label.startswith(opt) and label != opt else ""
    if has_opt and adapts:
        opt, has_opt = adapts, False
    elif adapts:
        opt = label
    if has_opt and has_lr:
        return ""
    return " ".join(x for x in ((opt if not has_opt else ""), (lr if not has_lr else "")) if x)


def legend_parts(group: dict, index: int, mean_loss: float, n_balls: int, n_settled: int,
                 n_escaped: int) -> list[str]:
    """The phrases of one group's legend line at one frame: ``● name``, its settings, ``loss
    …``, ``settled k/n``, ``escaped k`` (the last only when some did)."""
    name = group.get("name", f"group {index}")
    parts = [f"● {name}", legend_settings(group),
             f"loss {format_mean_loss(mean_loss)}" if n_balls else "no balls",
             f"settled {n_settled}/{n_balls}"]
    if n_escaped:
        parts.append(f"escaped {n_escaped}")
    return [p for p in parts if p]


def census_label(minimum: dict) -> str:
    """``"loss 0.12 · acc 96% · 40% of balls"``: the label of one minimum of a census."""
    text = f"loss {format_mean_loss(float(minimum['loss']))}"
    acc = minimum.get("accuracy")
    if acc is not None:
        text += f" · acc {100 * float(acc):.0f}%"
    return text + f" · {100 * float(minimum.get('share', 0)):.0f}% of balls"


def census_more(n_more: int) -> str:
    """``"+2 more minima (census)"``: the minima a view has no room to label."""
    return f"+{n_more} more minim{'a' if n_more > 1 else 'um'} (census)" if n_more > 0 else ""


def short_number(v: float) -> str:
    """``3e3``, ``4e-4``: a limit in as few characters as a legend allows."""
    m, e = f"{v:.0e}".split("e")
    return f"{m}e{int(e)}"


def limits_key(limits) -> str:
    """The gradient key's last words: the absolute band of a `GradientLimits`,
    ``‖∇W‖ >3e3 red <4e-4 blue``."""
    words = f"‖∇W‖ >{short_number(limits.hi)} red"
    if limits.lo > 0:
        words += f" <{short_number(limits.lo)} blue"
    return words


def pin_top(Z, A, B, z0: float, z_top: float) -> float | None:
    """Where a pin above θ* must end so that θ* can be found, or None when θ* is in view.

    ``Z``, ``A``, ``B``: the drawn mesh's heights and plane coordinates ``[n_a, n_b]`` (θ* at
    a = b = 0). θ* is hidden when it sits in a pit narrower than the mesh can draw: even the
    lowest of its neighbours one grid cell away rises more than a fifth of the height range
    above it (the N(0, 1) network of scenes/initialization.py: loss 2.3 at θ*, 1e13 one cell
    away). The pin then ends above the highest point within two cells."""
    da = np.abs(np.diff(A[:, 0])).max() if A.shape[0] > 1 else 0.0
    db = np.abs(np.diff(B[0])).max() if B.shape[1] > 1 else 0.0
    r = np.hypot(A / max(da, 1e-30), B / max(db, 1e-30))
    ring = (r > 0.5) & (r < 1.5) & np.isfinite(Z)
    if not ring.any() or float(Z[ring].min()) - z0 <= 0.2 * z_top:
        return None
    near = (r < 2.5) & np.isfinite(Z)
    return float(Z[near].max()) + 0.30 * z_top


def depth_colors(n_layers: int) -> np.ndarray:
    """float ``[L, 3]``: the colour of each layer's learning-speed line, input (purple) →
    output (yellow), from matplotlib's ``plasma``."""
    from matplotlib import colormaps

    t = np.linspace(0.35, 0.95, max(int(n_layers), 1)) if n_layers > 1 else np.array([0.95])
    return np.asarray(colormaps["plasma"](t))[:, :3]
