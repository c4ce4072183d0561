"""Rebuild a built-in network from the ``spec`` a surface file records."""

from __future__ import annotations

from landscape.errors import LandscapeError
from landscape.nets._cnn import cnn
from landscape.nets._mlp import mlp
from landscape.nets._model import Model
from landscape.nets._transformer import transformer


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
    if kind == "transformer":
        return transformer(spec["widths"], vocab=spec["vocab"], seq_len=spec["seq_len"],
                           n_out=spec["n_out"], heads=spec["heads"],
                           norm_position=spec["norm_position"], residual=spec["residual"],
                           activation=spec["activation"], init=spec["init"],
                           init_scale=spec.get("init_scale", 1.0), causal=spec["causal"],
                           readout=spec["readout"])
    raise LandscapeError(f"cannot rebuild a model of kind {kind!r}; only mlp, cnn and "
                         f"transformer are built in")
