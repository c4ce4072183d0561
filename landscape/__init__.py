"""landscape: watch a real network's loss surface, and SGD balls rolling on it.

    >>> import landscape as ls
    >>> cfg = ls.LandscapeConfig(grid=21)          # MLP 64-64-64 ReLU on digits
    >>> surface, _ = ls.build_surface(cfg)          # doctest: +SKIP

Scenes, e.g. in a notebook (`landscape.notebook`)::

    >>> result = ls.compute(ls.load_scene("scenes/local_minima.py"))  # doctest: +SKIP
    >>> result.still(); result.video(); result.show()                  # doctest: +SKIP

Names are loaded lazily, so ``landscape.cli`` can configure JAX's devices before JAX starts.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "datasets": ("landscape.data", None),
    "Dataset": ("landscape.data", "Dataset"),
    "Layout": ("landscape.layout", "Layout"),
    "Model": ("landscape.models", "Model"),
    "mlp": ("landscape.models", "mlp"),
    "cnn": ("landscape.models", "cnn"),
    "from_apply_fn": ("landscape.adapters", "from_apply_fn"),
    "from_flax": ("landscape.adapters", "from_flax"),
    "from_nnx": ("landscape.adapters", "from_nnx"),
    "from_equinox": ("landscape.adapters", "from_equinox"),
    "compute_surfaces": ("landscape.surface", "compute_surfaces"),
    "Task": ("landscape.train", "Task"),
    "fit": ("landscape.train", "train"),  # the module landscape.train keeps its name
    "task_from_params": ("landscape.train", "task_from_params"),
    "Plane": ("landscape.directions", "Plane"),
    "random_plane": ("landscape.directions", "random_plane"),
    "pca_plane": ("landscape.directions", "pca_plane"),
    "hessian_plane": ("landscape.directions", "hessian_plane"),
    "make_plane": ("landscape.directions", "make_plane"),
    "describe_plane": ("landscape.directions", "describe_plane"),
    "Timelapse": ("landscape.timelapse", "Timelapse"),
    "compute_timelapse": ("landscape.timelapse", "compute_timelapse"),
    "build_timelapse": ("landscape.timelapse", "build_timelapse"),
    "activation_stats": ("landscape.saturation", "activation_stats"),
    "first_layer_features": ("landscape.features", "first_layer_features"),
    "chain_rule": ("landscape.chain", "chain_rule"),
    "Surface": ("landscape.surface", "Surface"),
    "compute_surface": ("landscape.surface", "compute_surface"),
    "LandscapeConfig": ("landscape.config", "LandscapeConfig"),
    "build_surface": ("landscape.config", "build_surface"),
    "task_from_surface": ("landscape.config", "task_from_surface"),
    "plane_from_surface": ("landscape.config", "plane_from_surface"),
    "LandscapeError": ("landscape.errors", "LandscapeError"),
    "Scene": ("landscape.scene", "Scene"),
    "Roll": ("landscape.scene", "Roll"),
    "load_scene": ("landscape.notebook", "load_scene"),
    "build_scene": ("landscape.scene_loader", "build_scene"),
    "compute": ("landscape.notebook", "compute"),
    "ComputedScene": ("landscape.notebook", "ComputedScene"),
    "Still": ("landscape.notebook", "Still"),
    "Video": ("landscape.notebook", "Video"),
    "Orbit": ("landscape.scene", "Orbit"),
    "BallGroup": ("landscape.dynamics", "BallGroup"),
    "Simulator": ("landscape.dynamics", "Simulator"),
    "simulate": ("landscape.dynamics", "simulate"),
    "Trajectory": ("landscape.trajectory", "Trajectory"),
    "Frame": ("landscape.trajectory", "Frame"),
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
