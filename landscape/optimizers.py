"""The optimizers, once: names, the settings each takes with their defaults, and how each becomes
an optax transformation. The balls (`landscape.balls.BallGroup`) and training to θ*
(`landscape.training.train`) both build their optimizers here.

    >>> tx = make("momentum", 0.1)                      # optax.sgd(0.1, momentum=0.9)
    >>> tx = make("adam", 1e-3, b1=0.5)                 # optax.adam(1e-3, b1=0.5, b2=0.999)
"""

from __future__ import annotations

import optax

from landscape.errors import LandscapeError

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
ADAPTIVE = ("adam", "rmsprop", "adagrad")          # per-coordinate step sizes
TRAIN_OPTIMIZERS = ("adam", "sgd", "momentum")     # what training to θ* offers

# settings a user may give, the optimizers they apply to, and their defaults
OPTIONS = {
    "momentum": (("momentum", "nesterov"), 0.9),
    "b1": (("adam",), 0.9),
    "b2": (("adam",), 0.999),
    "eps": (("adam", "rmsprop", "adagrad"), None),   # None: optax's own default
    "decay": (("rmsprop",), 0.9),
}


def option(name: str, value=None):
    """``value``, or the setting's default when it is ``None``."""
    return OPTIONS[name][1] if value is None else value


def check_settings(name: str, settings: dict) -> None:
    """A one-line `LandscapeError` for a setting that is unknown or that optimizer ``name`` does
    not take (``None`` means "not given" and always passes)."""
    for k, v in settings.items():
        if k not in OPTIONS:
            raise LandscapeError(f"unknown optimizer setting {k!r}; known: {', '.join(OPTIONS)}")
        if v is not None and name not in OPTIONS[k][0]:
            raise LandscapeError(f"{k} applies to {', '.join(OPTIONS[k][0])}, not to {name}; "
                                 "drop it")


def make(name: str, lr: float, **settings) -> optax.GradientTransformation:
    """The optax transformation for optimizer ``name`` at learning rate ``lr``; ``settings``
    (see `OPTIONS`) left out or ``None`` take their defaults. A setting the optimizer does not
    take is an error (`check_settings`)."""
    check_settings(name, settings)
    s = {k: option(k, settings.get(k)) for k in OPTIONS}
    eps = {} if s["eps"] is None else {"eps": float(s["eps"])}
    build = {
        "sgd": lambda: optax.sgd(lr),
        "momentum": lambda: optax.sgd(lr, momentum=s["momentum"]),
        "nesterov": lambda: optax.sgd(lr, momentum=s["momentum"], nesterov=True),
        "adam": lambda: optax.adam(lr, b1=s["b1"], b2=s["b2"], **eps),
        "rmsprop": lambda: optax.rmsprop(lr, decay=s["decay"], **eps),
        "adagrad": lambda: optax.adagrad(lr, **eps),
    }
    if name not in build:
        raise LandscapeError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return build[name]()
