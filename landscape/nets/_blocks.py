"""The built-in networks' building blocks: activations, initializations and their scales,
the batch-norm epsilon and the output kinds."""

from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp

ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "leaky_relu": lambda z: jax.nn.leaky_relu(z, 0.01),
    "elu": jax.nn.elu,
    "gelu": jax.nn.gelu,
    "linear": lambda z: z,
}


# name -> (distribution, variance rule); std/limit computed from fan_in, fan_out.
INITS = {
    "normal": ("normal", "one"),            # N(0, 1): the pre-2010 practice
    "xavier": ("normal", "glorot"),
    "glorot": ("normal", "glorot"),
    "xavier_normal": ("normal", "glorot"),
    "glorot_normal": ("normal", "glorot"),
    "xavier_uniform": ("uniform", "glorot"),
    "glorot_uniform": ("uniform", "glorot"),
    "he": ("normal", "he"),
    "kaiming": ("normal", "he"),
    "he_normal": ("normal", "he"),
    "kaiming_normal": ("normal", "he"),
    "he_uniform": ("uniform", "he"),
    "kaiming_uniform": ("uniform", "he"),
    "lecun": ("normal", "lecun"),
    "lecun_normal": ("normal", "lecun"),
}


BN_EPS = 1e-5


OUTPUTS = ("softmax", "sigmoid", "mse")


def init_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the named initialization (uniform ones have the same variance)."""
    _, rule = INITS[init]
    var = {"one": 1.0, "glorot": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in,
           "lecun": 1.0 / fan_in}[rule]
    return math.sqrt(var)


def initial_theta(layout, keys, init: str, scale: float, fans, ones=("bn_scale", "scale")):
    """A flat θ: each weight drawn by `sample_init` (``keys[i]`` for parameter ``i``, its fan-in
    and fan-out ``fans(p)``), the parameters named in ``ones`` (normalization scales) 1, the
    rest (biases, shifts) 0."""
    parts = []
    for k, p in zip(keys, layout.params):
        if p.role == "weight":
            parts.append(sample_init(k, p.shape, init, *fans(p), scale).ravel())
        elif p.name in ones:
            parts.append(jnp.ones(p.size, jnp.float32))
        else:
            parts.append(jnp.zeros(p.size, jnp.float32))
    return jnp.concatenate(parts)


def sample_init(key, shape, init, fan_in, fan_out, scale):
    dist, _ = INITS[init]
    std = init_std(init, fan_in, fan_out) * scale
    if dist == "normal":
        return std * jax.random.normal(key, shape, jnp.float32)
    lim = std * math.sqrt(3.0)
    return jax.random.uniform(key, shape, jnp.float32, -lim, lim)
