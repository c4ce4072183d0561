"""landscape: watch a real network's loss surface, and SGD balls rolling on it.

    >>> import landscape as ls
    >>> cfg = ls.LandscapeConfig(grid=21)          # MLP 64-64-64 ReLU on digits
    >>> surface = ls.build_surface(cfg).surface     # doctest: +SKIP

Scenes, e.g. in a notebook (`landscape.scene._notebook`)::

    >>> result = ls.compute(ls.load_scene("scenes/local_minima.py"))  # doctest: +SKIP
    >>> result.still(); result.video(); result.show()                  # doctest: +SKIP

Naming rule. ``build_*`` starts from a `LandscapeConfig` and goes through the cache
(`build_surface`, `build_timelapse`); ``compute_*`` starts from a `Task` (and a `Plane`) and
computes every time (`compute_surface`, `compute_surfaces`, `compute_timelapse`). A task comes
from `train` (``ls.fit`` is the same function, kept) or `task_from_params`; measures on it are
plain functions: `line`, `connect` (a trained Bézier curve between two minima), `sharpness`.
A scene file is opened with `load_scene` (the documented verb; default quality ``low``, for
notebooks); `build_scene` is the same with the command line's default quality, ``medium``.

Names are loaded lazily, so ``landscape.cli`` can configure JAX's devices before JAX starts.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "datasets": ("landscape.data", None),
    "Dataset": ("landscape.data", "Dataset"),
    "Layout": ("landscape.nets", "Layout"),
    "Model": ("landscape.nets", "Model"),
    "mlp": ("landscape.nets", "mlp"),
    "cnn": ("landscape.nets", "cnn"),
    "transformer": ("landscape.nets", "transformer"),
    "from_apply_fn": ("landscape.nets", "from_apply_fn"),
    "from_flax": ("landscape.nets", "from_flax"),
    "from_nnx": ("landscape.nets", "from_nnx"),
    "from_equinox": ("landscape.nets", "from_equinox"),
    "compute_surfaces": ("landscape.surface", "compute_surfaces"),
    "Task": ("landscape.training", "Task"),
    "train": ("landscape.training", "train"),
    "fit": ("landscape.training", "train"),  # the older name of ls.train, kept
    "task_from_params": ("landscape.training", "task_from_params"),
    "Plane": ("landscape.planes", "Plane"),
    "random_plane": ("landscape.planes", "random_plane"),
    "pca_plane": ("landscape.planes", "pca_plane"),
    "hessian_plane": ("landscape.planes", "hessian_plane"),
    "make_plane": ("landscape.planes", "make_plane"),
    "describe_plane": ("landscape.planes", "describe_plane"),
    "Timelapse": ("landscape.pipeline", "Timelapse"),
    "compute_timelapse": ("landscape.pipeline", "compute_timelapse"),
    "build_timelapse": ("landscape.pipeline", "build_timelapse"),
    "activation_stats": ("landscape.measures", "activation_stats"),
    "first_layer_features": ("landscape.measures", "first_layer_features"),
    "chain_rule": ("landscape.measures", "chain_rule"),
    "line": ("landscape.measures", "line"),
    "connect": ("landscape.measures", "fit_bend"),
    "sharpness": ("landscape.measures", "sharpness"),
    "Sharpness": ("landscape.measures", "Sharpness"),
    "Surface": ("landscape.surface", "Surface"),
    "compute_surface": ("landscape.surface", "compute_surface"),
    "LandscapeConfig": ("landscape.pipeline", "LandscapeConfig"),
    "build_surface": ("landscape.pipeline", "build_surface"),
    "BuiltSurface": ("landscape.pipeline", "BuiltSurface"),
    "task_from_surface": ("landscape.pipeline", "task_from_surface"),
    "plane_from_surface": ("landscape.pipeline", "plane_from_surface"),
    "LandscapeError": ("landscape.errors", "LandscapeError"),
    "Scene": ("landscape.scene", "Scene"),
    "Roll": ("landscape.scene", "Roll"),
    "load_scene": ("landscape.scene", "load_scene"),
    "build_scene": ("landscape.scene", "build_scene"),
    "compute": ("landscape.scene", "compute"),
    "ComputedScene": ("landscape.scene", "ComputedScene"),
    "Still": ("landscape.scene", "Still"),
    "Video": ("landscape.scene", "Video"),
    "Orbit": ("landscape.scene", "Orbit"),
    "BallGroup": ("landscape.balls", "BallGroup"),
    "Simulator": ("landscape.balls", "Simulator"),
    "simulate": ("landscape.balls", "simulate"),
    "Trajectory": ("landscape.balls", "Trajectory"),
    "Frame": ("landscape.balls", "Frame"),
    "census": ("landscape.balls", "census_of"),
    "Playground": ("landscape.playground", "Playground"),
    "playground": ("landscape.playground", None),
    "export": ("landscape.exports", "export"),
    "plot": ("landscape.figures", "plot"),
}


def __getattr__(name):
    if name in _EXPORTS:
        mod, attr = _EXPORTS[name]
        m = importlib.import_module(mod)
        value = m if attr is None else getattr(m, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'landscape' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))
