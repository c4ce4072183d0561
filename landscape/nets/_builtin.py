"""Rebuild a built-in network from the ``spec`` a surface file records."""

from __future__ import annotations

from landscape.errors import LandscapeError
from landscape.nets._cnn import cnn
from landscape.nets._mlp import mlp
from landscape.nets._model import Model


def build(spec: dict) -> Model:
    """Rebuild a model from its ``spec`` (as saved in a surface file)."""
    kind = spec.get("kind")
    if kind == "mlp":
        return mlp(spec["widths"], n_in=spec["n_in"], n_out=spec["n_out"],
                   activation=spec["activation"], init=spec["init"],
                   init_scale=spec.get("init_scale", 1.0), batchnorm=spec["batchnorm"],
                   skip=spec["skip"], output=spec["output"])
    if kind == "cnn":
        return cnn(spec["channels"], image_shape=tuple(spec["image_shape"]), n_out=spec["n_out"],
                   activation=spec["activation"], init=spec["init"],
                   init_scale=spec.get("init_scale", 1.0))
    raise LandscapeError(f"cannot rebuild a model of kind {kind!r}; only mlp and cnn are built in")
