"""The built-in small CNN for 8×8 digits: 3×3 convolutions on a flat parameter vector."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from landscape.errors import LandscapeError, choice
from landscape.nets._blocks import ACTIVATIONS, INITS, sample_init
from landscape.nets._layout import Layout
from landscape.nets._model import Model


def cnn(channels=(8, 16), *, image_shape=(8, 8), n_out: int = 10, activation: str = "relu",
        init: str = "he", init_scale: float = 1.0) -> Model:
    """A small CNN for 8×8 digits: 3×3 convolutions (the second and later with stride 2),
    then a dense classifier. Layers ``conv_0 …`` and ``dense_K``; kernels are ``[kh, kw, in, out]``
    so filter normalization rescales real filters."""
    channels = tuple(int(c) for c in channels)
    if not channels or any(c <= 0 for c in channels):
        raise LandscapeError(f"channels must be one or more positive integers, got {list(channels)}")
    choice("activation", activation, ACTIVATIONS)
    choice("init", init, INITS)
    h, w = image_shape
    cins = (1,) + channels
    strides = [1] + [2] * (len(channels) - 1)
    entries, sizes = [], []
    hh, ww = h, w
    macs = 0
    for i, c in enumerate(channels):
        entries.append((f"conv_{i}", "w", "weight", (3, 3, cins[i], c)))
        entries.append((f"conv_{i}", "b", "bias", (c,)))
        hh, ww = -(-hh // strides[i]), -(-ww // strides[i])
        macs += hh * ww * 9 * cins[i] * c
        sizes.append((hh, ww))
    first_macs = sizes[0][0] * sizes[0][1] * 9 * cins[0] * channels[0]
    flat = hh * ww * channels[-1]
    dname = f"dense_{len(channels)}"
    entries.append((dname, "w", "weight", (flat, n_out)))
    entries.append((dname, "b", "bias", (n_out,)))
    macs += flat * n_out
    layout = Layout.build(entries)
    act = ACTIVATIONS[activation]
    n_layers = len(channels) + 1

    def init_fn(key):
        keys = jax.random.split(key, n_layers)
        parts = []
        for p in layout.params:
            i = int(p.layer.split("_")[1])
            if p.role == "weight":
                if p.layer.startswith("conv"):
                    fi, fo = 9 * p.shape[2], 9 * p.shape[3]
                else:
                    fi, fo = p.shape
                parts.append(sample_init(keys[i], p.shape, init, fi, fo, init_scale).ravel())
            else:
                parts.append(jnp.zeros(p.size, jnp.float32))
        return jnp.concatenate(parts)

    def conv(x, k, stride):
        return jax.lax.conv_general_dilated(x, k, (stride, stride), "SAME",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def first_fn(theta, x):
        P = layout.unflatten(theta)["conv_0"]
        return conv(x.reshape(-1, h, w, 1), P["w"], 1) + P["b"]

    def trace_fn(theta, z, bn_stats, bn_mode):
        """``(logits, [(z, act(z))] per convolution, [])`` (no batch norm)."""
        P = layout.unflatten(theta)
        a = act(z)
        acts = []
        for i in range(1, len(channels) + 1):
            acts.append((z, a))
            if i == len(channels):
                break
            L = P[f"conv_{i}"]
            z = conv(a, L["w"], strides[i]) + L["b"]
            a = act(z)
        L = P[dname]
        return a.reshape(a.shape[0], -1) @ L["w"] + L["b"], acts, []

    def head_fn(theta, z, bn_stats, bn_mode):
        return trace_fn(theta, z, bn_stats, bn_mode)[0]

    def apply_fn(theta, x, bn_stats=None, bn_mode="batch"):
        return head_fn(theta, first_fn(theta, x), bn_stats, bn_mode)

    spec = {"kind": "cnn", "channels": list(channels), "image_shape": list(image_shape),
            "n_out": int(n_out), "activation": activation, "init": init,
            "init_scale": float(init_scale), "batchnorm": False, "skip": False,
            "output": "softmax"}
    return Model(spec=spec, layout=layout, output="softmax", macs_per_sample=macs,
                 init_fn=init_fn, first_fn=first_fn, head_fn=head_fn, apply_fn=apply_fn,
                 first_macs=first_macs, trace_fn=trace_fn)
