"""The playground's knobs as controls, one table for every face (the notebook's ipywidgets,
the window's panel and keys): what kind of control each knob is, its range, the window's key,
how a key press steps it, and whether a value can apply in a view (and why not).

    >>> step_value("activation", "relu", +1)
    'leaky_relu'
    >>> step_value("lr", 0.1, -1)
    0.05
"""

from __future__ import annotations

import dataclasses
import math

from landscape.errors import LandscapeError

#: the controls, in order: knob → ("dropdown", choices) | ("int", lo, hi, step) |
#: ("log", lo_exp, hi_exp) | ("toggle",); ball knobs apply to every group of the view
CONTROLS = {
    "dataset": ("dropdown", ("digits", "moons", "circles", "spirals")),
    "depth": ("int", 1, 8, 1),
    "width": ("int", 2, 128, 2),
    "activation": ("dropdown", ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid",
                                "linear")),
    "init": ("dropdown", ("he", "xavier", "lecun", "normal")),
    "init_scale": ("log", -2, 1),
    "batchnorm": ("toggle",),
    "skip": ("toggle",),
    "train_steps": ("int", 0, 2000, 50),
    "train_lr": ("log", -4, 0),
    "directions": ("dropdown", ("random", "pca", "hessian")),
    "span": ("log", -1, 1),
    "optimizer": ("dropdown", ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")),
    "lr": ("log", -4, 1),
    "batch_size": ("int", 1, 512, 1),
    "n": ("int", 1, 500, 1),
    "start": ("dropdown", ("disc", "uniform", "ring", "grid", "center")),
}

#: the window's key for each knob (the key steps it forward, shift + key back); every letter
#: the window does not already use, the mnemonic where one was free
KEYS = {
    "dataset": "d", "depth": "e", "width": "w", "activation": "a", "init": "i",
    "init_scale": "k", "batchnorm": "n", "skip": "x", "train_steps": "y", "train_lr": "u",
    "directions": "p", "span": "z", "optimizer": "o", "lr": "j", "batch_size": "b",
    "n": "m", "start": "period",
}

#: how a knob reads in the panel and the terminal
LABELS = {
    "dataset": "dataset", "depth": "depth", "width": "width", "activation": "activation",
    "init": "init", "init_scale": "init scale", "batchnorm": "batch norm", "skip": "skip",
    "train_steps": "train steps", "train_lr": "train lr", "directions": "plane",
    "span": "span", "optimizer": "optimizer", "lr": "learning rate",
    "batch_size": "batch size", "n": "balls", "start": "start",
}

#: knobs that move only the balls (the surface stays; the balls roll again from the same starts)
BALL_CONTROLS = ("optimizer", "lr", "batch_size", "n", "start")

#: the int knobs a key doubles and halves (their range spans decades)
_GEOMETRIC = ("width", "batch_size", "n")


def current(pg, view: int, knob: str):
    """The knob's value in view ``view`` now (a ball knob: the first group's)."""
    cfg = pg.config(view)
    if knob == "depth":
        return len(cfg.widths)
    if knob == "width":
        return cfg.widths[0] if cfg.widths else 32
    if hasattr(cfg, knob):
        return getattr(cfg, knob)
    return getattr(pg.groups(view)[0], knob)


def step_value(knob: str, value, direction: int = 1, n_data: int | None = None):
    """The value one key press away from ``value`` (``direction`` +1 forward, -1 back):
    the next choice (wrapping), the toggle flipped, an int by its step (doubled or halved for
    width, batch size and balls), a log knob doubled or halved; clamped to the range."""
    spec = CONTROLS[knob]
    kind = spec[0]
    if kind == "dropdown":
        choices = spec[1]
        i = choices.index(value) if value in choices else -1
        return choices[(i + direction) % len(choices)]
    if kind == "toggle":
        return not bool(value)
    if kind == "int":
        lo, hi, step = spec[1:]
        if knob == "batch_size":
            hi = n_data or hi
            value = hi if value is None else value
        if knob in _GEOMETRIC:
            new = value * 2 if direction > 0 else value // 2
        else:
            new = value + direction * step
        return int(min(max(new, lo), hi))
    lo, hi = 10.0 ** spec[1], 10.0 ** spec[2]
    new = float(value) * (2.0 if direction > 0 else 0.5)
    return float(f"{min(max(new, lo), hi):.4g}")


def position(knob: str, value, n_data: int | None = None) -> float:
    """Where ``value`` sits on the knob's slider, 0 (left) to 1 (right)."""
    spec = CONTROLS[knob]
    if spec[0] == "int":
        lo, hi = spec[1], (n_data or spec[2]) if knob == "batch_size" else spec[2]
        value = hi if value is None else value
        if knob in _GEOMETRIC:
            return _clip01(math.log(max(value, lo) / lo) / math.log(hi / lo))
        return _clip01((value - lo) / (hi - lo))
    if spec[0] == "log":
        return _clip01((math.log10(max(float(value), 1e-12)) - spec[1]) / (spec[2] - spec[1]))
    raise LandscapeError(f"{knob} is not a slider")


def at_position(knob: str, x: float, n_data: int | None = None):
    """The slider value at ``x`` (0 left, 1 right): the inverse of `position`, rounded to
    the knob's step (log knobs to two significant digits)."""
    spec = CONTROLS[knob]
    x = _clip01(x)
    if spec[0] == "int":
        lo, hi, step = spec[1], (n_data or spec[2]) if knob == "batch_size" else spec[2], spec[3]
        v = lo * (hi / lo) ** x if knob in _GEOMETRIC else lo + x * (hi - lo)
        return int(min(max(round(v / step) * step, lo), hi))
    return float(f"{10.0 ** (spec[1] + x * (spec[2] - spec[1])):.2g}")


def cannot_apply(pg, view: int, knob: str, value, n_data: int | None = None) -> str | None:
    """Why ``knob = value`` cannot apply in view ``view`` (one line), or None when it can.
    Checked without computing anything: the configuration's own validation, a ball group's."""
    if knob in BALL_CONTROLS:
        groups = pg.groups(view)
        if not groups:
            return "this view has no balls"
        try:
            from landscape.scene import Balls

            kw = {f.name: getattr(groups[0], f.name) for f in dataclasses.fields(Balls)
                  if f.name not in ("where", "same_start_as")}
            kw[knob] = value
            if kw["start"] != "points":
                kw["points"] = None
            Balls(**kw).check(n_data)
        except LandscapeError as e:
            return str(e)
        return None
    cfg = pg.config(view)
    if knob == "skip" and value and len(set(cfg.widths)) > 1:
        return "skip connections need equal hidden widths"
    try:
        fields = {knob: value}
        if knob in ("depth", "width"):
            depth = value if knob == "depth" else len(cfg.widths)
            width = value if knob == "width" else (cfg.widths[0] if cfg.widths else 32)
            fields = {"widths": (int(width),) * int(depth)}
        cfg.replace(**fields).validate()
    except LandscapeError as e:
        return str(e)
    return None


def _clip01(x: float) -> float:
    return float(min(max(x, 0.0), 1.0))
