"""The built-in small CNN for 8×8 digits: 3×3 convolutions on a flat parameter vector."""

from __future__ import annotations

import jax

from landscape.errors import LandscapeError, choice
from landscape.nets._blocks import ACTIVATIONS, INITS, initial_theta
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
    layout, macs, first_macs = cnn_layout(channels, (h, w), n_out)
    net = _Forward(layout, channels=channels, image_shape=(h, w), act=ACTIVATIONS[activation])
    spec = {"kind": "cnn", "channels": list(channels), "image_shape": list(image_shape),
            "n_out": int(n_out), "activation": activation, "init": init,
            "init_scale": float(init_scale), "batchnorm": False, "skip": False,
            "output": "softmax"}
    return Model(spec=spec, layout=layout, output="softmax", macs_per_sample=macs,
                 init_fn=_initializer(layout, len(channels) + 1, init, init_scale),
                 first_fn=net.first, head_fn=net.head, apply_fn=net.apply,
                 first_macs=first_macs, trace_fn=net.trace)


def strides(channels) -> list[int]:
    """Each convolution's stride: 1 for the first, 2 for the later ones."""
    return [1] + [2] * (len(channels) - 1)


def cnn_layout(channels, image_shape, n_out: int) -> tuple[Layout, int, int]:
    """``(layout, multiply-adds per sample, the first convolution's)``: kernels ``[3, 3, in,
    out]`` and biases of ``conv_0 …``, then ``dense_K`` on the flattened last feature map."""
    hh, ww = image_shape
    cins = (1,) + tuple(channels)
    entries, macs, first_macs = [], 0, 0
    for i, (c, stride) in enumerate(zip(channels, strides(channels))):
        entries.append((f"conv_{i}", "w", "weight", (3, 3, cins[i], c)))
        entries.append((f"conv_{i}", "b", "bias", (c,)))
        hh, ww = -(-hh // stride), -(-ww // stride)
        macs += hh * ww * 9 * cins[i] * c
        if i == 0:
            first_macs = macs
    flat = hh * ww * channels[-1]
    dname = f"dense_{len(channels)}"
    entries.append((dname, "w", "weight", (flat, n_out)))
    entries.append((dname, "b", "bias", (n_out,)))
    return Layout.build(entries), macs + flat * n_out, first_macs


def _initializer(layout: Layout, n_layers: int, init: str, init_scale: float):
    """Kernels from ``init`` (a convolution's fans count its 3×3 taps), biases 0."""

    def init_fn(key):
        keys = jax.random.split(key, n_layers)
        layer = [int(p.layer.split("_")[1]) for p in layout.params]
        return initial_theta(layout, [keys[i] for i in layer], init, init_scale,
                             lambda p: (9 * p.shape[2], 9 * p.shape[3])
                             if p.layer.startswith("conv") else p.shape)

    return init_fn


def conv(x, k, stride):
    """A 3×3 ``SAME`` convolution, NHWC images and HWIO kernels."""
    return jax.lax.conv_general_dilated(x, k, (stride, stride), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))


class _Forward:
    """The forward pass on a flat θ: `first` (conv_0, linear in θ), `trace` (the rest, with
    every convolution's values), `head` and `apply`."""

    def __init__(self, layout, *, channels, image_shape, act):
        self.layout, self.channels, self.image_shape, self.act = layout, channels, image_shape, act
        self.strides = strides(channels)

    def first(self, theta, x):
        P = self.layout.unflatten(theta)["conv_0"]
        h, w = self.image_shape
        return conv(x.reshape(-1, h, w, 1), P["w"], 1) + P["b"]

    def trace(self, theta, z, bn_stats, bn_mode):
        """``(logits, [(z, act(z))] per convolution, [])`` (no batch norm)."""
        P = self.layout.unflatten(theta)
        n_conv = len(self.channels)
        a = self.act(z)
        acts = []
        for i in range(1, n_conv + 1):
            acts.append((z, a))
            if i == n_conv:
                break
            L = P[f"conv_{i}"]
            z = conv(a, L["w"], self.strides[i]) + L["b"]
            a = self.act(z)
        L = P[f"dense_{n_conv}"]
        return a.reshape(a.shape[0], -1) @ L["w"] + L["b"], acts, []

    def head(self, theta, z, bn_stats, bn_mode):
        return self.trace(theta, z, bn_stats, bn_mode)[0]

    def apply(self, theta, x, bn_stats=None, bn_mode="batch"):
        return self.head(theta, self.first(theta, x), bn_stats, bn_mode)
