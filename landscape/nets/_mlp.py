"""The built-in multilayer perceptron on a flat parameter vector (batch norm and residual
connections optional)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from landscape.errors import LandscapeError, choice
from landscape.nets._blocks import ACTIVATIONS, BN_EPS, INITS, OUTPUTS, initial_theta
from landscape.nets._layout import Layout
from landscape.nets._model import Model


def _batch_norm(z, stats, bn_mode):
    """``(normalized z, (mean, var) used)``."""
    if bn_mode == "batch":
        mu, var = jnp.mean(z, 0), jnp.var(z, 0)
    elif stats is None:  # never fall back to batch statistics silently
        raise LandscapeError("batch norm in eval mode needs the statistics frozen at θ*, and "
                             "none were given; use bn_policy='batch' or supply them")
    else:
        mu, var = stats
    return (z - mu) * jax.lax.rsqrt(var + BN_EPS), (mu, var)


def mlp(widths=(64, 64, 64), *, n_in: int = 64, n_out: int = 10, activation: str = "relu",
        init: str = "he", init_scale: float = 1.0, batchnorm: bool = False, skip: bool = False,
        output: str = "softmax") -> Model:
    """A multilayer perceptron ``n_in → widths... → n_out`` on a flat parameter vector.

    Layers are named ``dense_0 … dense_L`` from input to output. ``skip=True`` adds a residual
    connection around every hidden layer whose input and output widths are equal. ``output``
    ``"sigmoid"`` makes one output logit for binary labels; ``"mse"`` a squared-error loss.

    >>> m = mlp((8, 8), n_in=2, n_out=2, activation="tanh", init="xavier")
    >>> m.layers
    ('dense_0', 'dense_1', 'dense_2')
    """
    widths = tuple(int(w) for w in widths)
    if not widths or any(w <= 0 for w in widths):
        raise LandscapeError(f"widths must be one or more positive integers, got {list(widths)}")
    choice("activation", activation, ACTIVATIONS)
    choice("init", init, INITS)
    choice("output", output, OUTPUTS)
    if not (math.isfinite(init_scale) and init_scale > 0):
        raise LandscapeError(f"init scale must be a positive number, got {init_scale}")
    if output == "sigmoid":
        n_out = 1
    dims = (int(n_in),) + widths + (int(n_out),)
    layout = mlp_layout(dims, batchnorm=batchnorm)
    net = _Forward(layout, n_layers=len(dims) - 1, act=ACTIVATIONS[activation],
                   batchnorm=batchnorm, skip=skip)
    spec = {"kind": "mlp", "n_in": int(n_in), "widths": list(widths), "n_out": int(n_out),
            "activation": activation, "init": init, "init_scale": float(init_scale),
            "batchnorm": bool(batchnorm), "skip": bool(skip), "output": output,
            "bn_eps": BN_EPS}
    macs = sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))
    return Model(spec=spec, layout=layout, output=output, macs_per_sample=macs,
                 init_fn=_initializer(layout, dims, init, init_scale), first_fn=net.first,
                 head_fn=net.head, apply_fn=net.apply,
                 n_bn=(len(dims) - 2) if batchnorm else 0, first_macs=dims[0] * dims[1],
                 trace_fn=net.trace)


def mlp_layout(dims, *, batchnorm: bool = False) -> Layout:
    """``dense_i``'s kernel ``[dims[i], dims[i+1]]`` and bias, and on hidden layers with
    ``batchnorm`` its scale and shift (role ``bn``)."""
    n_layers = len(dims) - 1
    entries = []
    for i in range(n_layers):
        name = f"dense_{i}"
        entries.append((name, "w", "weight", (dims[i], dims[i + 1])))
        entries.append((name, "b", "bias", (dims[i + 1],)))
        if batchnorm and i < n_layers - 1:
            entries.append((name, "bn_scale", "bn", (dims[i + 1],)))
            entries.append((name, "bn_shift", "bn", (dims[i + 1],)))
    return Layout.build(entries)


def _initializer(layout: Layout, dims, init: str, init_scale: float):
    """Kernels from ``init`` (one key per layer), batch-norm scales 1, the rest 0."""

    def init_fn(key):
        keys = jax.random.split(key, len(dims) - 1)
        layer = [int(p.layer.split("_")[1]) for p in layout.params]
        return initial_theta(layout, [keys[i] for i in layer], init, init_scale,
                             lambda p: p.shape)

    return init_fn


class _Forward:
    """The forward pass on a flat θ: `first` (layer 0's pre-activation, linear in θ), `trace`
    (the rest, with every hidden layer's values), `head` and `apply`."""

    def __init__(self, layout, *, n_layers, act, batchnorm, skip):
        self.layout, self.n_layers, self.act = layout, n_layers, act
        self.batchnorm, self.skip = batchnorm, skip

    def first(self, theta, x):
        P = self.layout.unflatten(theta)["dense_0"]
        if x.ndim > 2:   # samples of any shape ([n, h, w, c]) are flattened, C order
            x = x.reshape(x.shape[0], -1)
        return x @ P["w"] + P["b"]

    def trace(self, theta, z, bn_stats, bn_mode):
        """``(logits, [(z, h)] per hidden layer, [(mean, var)] per batch norm)``."""
        P = self.layout.unflatten(theta)
        h_prev = None
        acts, used = [], []
        for i in range(self.n_layers):
            # z is the pre-activation of layer i (already computed for i == 0)
            L = P[f"dense_{i}"]
            if i > 0:
                z = h_prev @ L["w"] + L["b"]
            if i == self.n_layers - 1:
                return z, acts, used
            if self.batchnorm:
                z, mv = _batch_norm(z, None if bn_stats is None else bn_stats[i], bn_mode)
                used.append(mv)
                z = z * L["bn_scale"] + L["bn_shift"]
            h = self.act(z)
            acts.append((z, h))
            if self.skip and h_prev is not None and h_prev.shape[-1] == h.shape[-1]:
                h = h + h_prev
            h_prev = h

    def head(self, theta, z, bn_stats, bn_mode):
        return self.trace(theta, z, bn_stats, bn_mode)[0]

    def apply(self, theta, x, bn_stats=None, bn_mode="batch"):
        return self.head(theta, self.first(theta, x), bn_stats, bn_mode)
