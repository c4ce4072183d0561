"""Transfer learning: start a network for a new task from the lower layers of one trained on
a related task, frozen or fine-tuned, and compare with the same network trained from scratch.

In a config (`landscape.pipeline._config.LandscapeConfig`) ``pretrain`` is the source network's config
(its data, e.g. ``classes=(0, 1, 2, 3, 4)``, its architecture and training),
``transfer_layers = k`` copies the source's θ* into the first k layers (weights, biases and
batch norm; layers counted as in `landscape.nets._layers`) of a fresh initialization drawn exactly as
training from scratch would draw it, and ``freeze`` keeps those k layers fixed while the rest
trains (and makes the plane move only the trainable layers). The three cases differ in nothing
else: same initialization of the upper layers, same minibatches.
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError
from landscape.nets import weight_layers

_SOURCES: dict = {}  # pretrained tasks by config digest: a scene's three cases train it once


def source_task(cfg):
    """The trained source network of a ``pretrain`` config, trained once per process."""
    key = cfg.digest()
    if key not in _SOURCES:
        if len(_SOURCES) >= 4:
            _SOURCES.pop(next(iter(_SOURCES)))
        _SOURCES[key] = cfg.build_task()
    return _SOURCES[key]


def transfer_theta(model, base_theta, source_model, source_theta, n_layers: int) -> np.ndarray:
    """``base_theta`` (float ``[P]``, ``model``'s parameters) with every parameter of its first
    ``n_layers`` layers replaced by ``source_theta``'s (``source_model``'s); the layers must
    match in name and shape (`LandscapeError` otherwise)."""
    check_compatible(model, source_model, n_layers)
    keep = set(weight_layers(model.layout)[:n_layers])
    out = np.array(base_theta, np.float32, copy=True).reshape(-1)
    src = np.asarray(source_theta, np.float32).reshape(-1)
    for p in model.layout.params:
        if p.layer in keep:
            q = source_model.layout.get(p.layer, p.name)
            out[p.offset:p.stop] = src[q.offset:q.stop]
    return out


def check_compatible(model, source_model, n_layers: int) -> None:
    """The first ``n_layers`` layers of both models have the same parameters (names, shapes)."""
    names = weight_layers(model.layout)
    src = weight_layers(source_model.layout)
    if isinstance(n_layers, bool) or int(n_layers) != n_layers or not 1 <= n_layers <= len(names):
        raise LandscapeError(f"transfer layers must be 1..{len(names)} (this network's layers), "
                             f"got {n_layers}")
    for i in range(int(n_layers)):
        mine = [(p.name, p.shape) for p in model.layout.params if p.layer == names[i]]
        theirs = [(p.name, p.shape) for p in source_model.layout.params
                  if i < len(src) and p.layer == src[i]]
        if i >= len(src) or names[i] != src[i] or mine != theirs:
            got = src[i] if i < len(src) else "nothing"
            raise LandscapeError(f"cannot reuse layer {i}: this network's {names[i]} "
                                 f"{[list(s) for _, s in mine]} does not match the pretrained "
                                 f"network's {got} {[list(s) for _, s in theirs]}")


def check_transfer(cfg, model) -> tuple[int, ...]:
    """Check a config's transfer fields against its ``model``; returns the frozen layer
    indices (empty unless ``freeze``). The caller has checked that ``cfg.pretrain`` is
    ``None`` or a config (this module does not import the config, which imports it)."""
    if cfg.pretrain is None:
        if cfg.transfer_layers or cfg.freeze:
            raise LandscapeError("transfer layers and freeze need a pretrained network (pretrain=)")
        return ()
    if not cfg.transfer_layers:
        raise LandscapeError("a pretrained network needs transfer_layers ≥ 1 (how many lower "
                             "layers to reuse)")
    src = cfg.pretrain.validate()
    if src.train_steps < 1:
        raise LandscapeError("the pretrained network must be trained (train_steps ≥ 1)")
    check_compatible(model, src.build_model(src.build_data()), cfg.transfer_layers)
    n = len(weight_layers(model.layout))
    if cfg.freeze and cfg.transfer_layers >= n:
        raise LandscapeError(f"freezing all {n} layers leaves nothing to train; transfer at "
                             f"most {n - 1} layers frozen")
    return tuple(range(cfg.transfer_layers)) if cfg.freeze else ()
