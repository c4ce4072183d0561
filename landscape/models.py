"""Networks: a layout of named parameters and pure functions of the flat vector θ.

Protocol. A `Model` holds a `Layout` and three pure functions:

  ``init(key) -> θ``                         a fresh flat float32 parameter vector;
  ``first(θ, x) -> z0``                      the first layer's pre-activation, *linear* in θ
                                             (``x·W0 + b0``), or ``None`` for opaque models;
  ``head(θ, z0, bn_stats, bn_mode) -> logits``  everything after the first layer.

``apply(θ, x) = head(θ, first(θ, x))``. The split exists because the surface code exploits
``first(θ* + a·d1 + b·d2) = first(θ*) + a·first(d1) + b·first(d2)``: the first layer's product
with the whole evaluation set is computed three times instead of once per grid point.

Batch norm (``batchnorm=True``) normalizes each hidden pre-activation before the activation.
``bn_mode="batch"`` uses the statistics of the data being evaluated; ``"eval"`` uses
``bn_stats``, running statistics frozen at θ* (a list of ``(mean, var)`` per normalized layer).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import jax
import jax.numpy as jnp

from landscape.errors import LandscapeError, choice
from landscape.layout import Layout

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


def _sample(key, shape, init, fan_in, fan_out, scale):
    dist, _ = INITS[init]
    std = init_std(init, fan_in, fan_out) * scale
    if dist == "normal":
        return std * jax.random.normal(key, shape, jnp.float32)
    lim = std * math.sqrt(3.0)
    return jax.random.uniform(key, shape, jnp.float32, -lim, lim)


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """A network on flat parameters; see the module docstring for the protocol.

    Attributes:
      spec: JSON-serializable description (kind, widths, activation, init, ...).
      layout: the flat-vector layout, input → output.
      output: ``"softmax"`` (cross-entropy over classes) or ``"sigmoid"`` (one logit, binary).
      macs_per_sample: multiply-adds of one plain forward pass for one sample.
      first_macs: of those, the first layer's (computed once per grid, not per point, when
        ``first_fn`` exists).
      stats_fn: ``(θ, x) -> [(mean, var), ...]``, the batch-norm statistics a model brought
        from a framework carries itself (its running averages); ``None`` for built-in networks.
    """

    spec: dict
    layout: Layout
    output: str
    macs_per_sample: int
    init_fn: Callable
    first_fn: Callable | None
    head_fn: Callable
    apply_fn: Callable
    n_bn: int = 0
    first_macs: int = 0
    stats_fn: Callable | None = None

    @property
    def n_params(self) -> int:
        return self.layout.size

    @property
    def layers(self) -> tuple[str, ...]:
        return self.layout.layers

    def init(self, *, key) -> jax.Array:
        return self.init_fn(key)

    def apply(self, theta, x, bn_stats=None, bn_mode="batch"):
        return self.apply_fn(theta, x, bn_stats, bn_mode)

    def first(self, theta, x):
        return self.first_fn(theta, x)

    def head(self, theta, z0, bn_stats=None, bn_mode="batch"):
        return self.head_fn(theta, z0, bn_stats, bn_mode)

    def activations(self, theta, x, bn_stats=None, bn_mode="batch") -> list:
        """Each hidden layer's pre-activation ``z`` (after batch norm, when the model has it)
        and activation ``act(z)`` on ``x``, input → output (the output layer is not hidden):
        a list of ``(z, h)`` arrays ``[n, width]`` (CNN: ``[n, h, w, c]``). Built-in MLP and
        CNN only."""
        if self.spec.get("kind") not in ("mlp", "cnn"):
            raise LandscapeError(f"hidden activations need a built-in MLP or CNN, not "
                                 f"{self.spec.get('kind')!r}")
        acts: list = []
        self.apply_fn(theta, x, bn_stats, bn_mode, _acts=acts)
        return acts

    def bn_statistics(self, theta, x) -> list:
        """Per-layer ``(mean, var)`` of the normalized pre-activations on ``x`` at ``theta``."""
        if not self.n_bn:
            return []
        if self.stats_fn is not None:
            return [(jnp.asarray(m), jnp.asarray(v)) for m, v in self.stats_fn(theta, x)]
        stats = []
        self.apply_fn(theta, x, None, "batch", _collect=stats)
        return [(jnp.asarray(m), jnp.asarray(v)) for m, v in stats]


# ---------------------------------------------------------------- losses

def sample_losses(logits, y, output: str):
    """Per-sample loss ``[n]`` (float) and correctness ``[n]`` (bool) of ``logits`` against
    integer labels ``y``.

    ``softmax``: cross-entropy (nats); ``sigmoid``: binary cross-entropy of one logit;
    ``mse``: half the squared error against one-hot targets, summed over outputs.
    """
    if output == "mse":
        # squared error against one-hot targets: quadratic in a linear model's weights
        target = jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
        return 0.5 * jnp.sum((logits - target) ** 2, -1), jnp.argmax(logits, -1) == y
    if output == "sigmoid":
        z = logits[..., 0]
        yf = y.astype(z.dtype)
        loss = jnp.maximum(z, 0) - z * yf + jnp.log1p(jnp.exp(-jnp.abs(z)))
        return loss, (z > 0) == (y == 1)
    logp = jax.nn.log_softmax(logits, axis=-1)
    loss = -jnp.take_along_axis(logp, y[:, None], axis=-1)[:, 0]
    return loss, jnp.argmax(logits, -1) == y


def loss_and_accuracy(logits, y, output: str):
    """Mean loss and accuracy of ``logits`` against integer labels ``y`` (see `sample_losses`)."""
    loss, correct = sample_losses(logits, y, output)
    return jnp.mean(loss), jnp.mean(correct)


# ---------------------------------------------------------------- MLP

def _norm(z, stats, bn_mode, collect):
    if bn_mode == "batch":
        mu, var = jnp.mean(z, 0), jnp.var(z, 0)
    elif stats is None:  # never fall back to batch statistics silently
        raise LandscapeError("batch norm in eval mode needs the statistics frozen at θ*, and "
                             "none were given; use bn_policy='batch' or supply them")
    else:
        mu, var = stats
    if collect is not None:
        collect.append((mu, var))
    return (z - mu) * jax.lax.rsqrt(var + BN_EPS)


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
    n_layers = len(dims) - 1
    entries = []
    for i in range(n_layers):
        name = f"dense_{i}"
        entries.append((name, "w", "weight", (dims[i], dims[i + 1])))
        entries.append((name, "b", "bias", (dims[i + 1],)))
        if batchnorm and i < n_layers - 1:
            entries.append((name, "bn_scale", "bn", (dims[i + 1],)))
            entries.append((name, "bn_shift", "bn", (dims[i + 1],)))
    layout = Layout.build(entries)
    act = ACTIVATIONS[activation]
    params = layout.params

    def init_fn(key):
        keys = jax.random.split(key, n_layers)
        parts = []
        for p in params:
            i = int(p.layer.split("_")[1])
            if p.role == "weight":
                parts.append(_sample(keys[i], p.shape, init, dims[i], dims[i + 1], init_scale).ravel())
            elif p.name == "bn_scale":
                parts.append(jnp.ones(p.size, jnp.float32))
            else:
                parts.append(jnp.zeros(p.size, jnp.float32))
        return jnp.concatenate(parts)

    def first_fn(theta, x):
        P = layout.unflatten(theta)["dense_0"]
        return x @ P["w"] + P["b"]

    def head_fn(theta, z, bn_stats, bn_mode, _collect=None, _acts=None):
        P = layout.unflatten(theta)
        h_prev = None
        for i in range(n_layers):
            # z is the pre-activation of layer i (already computed for i == 0)
            L = P[f"dense_{i}"]
            if i > 0:
                z = h_prev @ L["w"] + L["b"]
            if i == n_layers - 1:
                return z
            if batchnorm:
                z = _norm(z, None if bn_stats is None else bn_stats[i], bn_mode, _collect)
                z = z * L["bn_scale"] + L["bn_shift"]
            h = act(z)
            if _acts is not None:
                _acts.append((z, h))
            if skip and h_prev is not None and h_prev.shape[-1] == h.shape[-1]:
                h = h + h_prev
            h_prev = h

    def apply_fn(theta, x, bn_stats=None, bn_mode="batch", _collect=None, _acts=None):
        return head_fn(theta, first_fn(theta, x), bn_stats, bn_mode, _collect, _acts)

    spec = {"kind": "mlp", "n_in": int(n_in), "widths": list(widths), "n_out": int(n_out),
            "activation": activation, "init": init, "init_scale": float(init_scale),
            "batchnorm": bool(batchnorm), "skip": bool(skip), "output": output,
            "bn_eps": BN_EPS}
    macs = sum(dims[i] * dims[i + 1] for i in range(n_layers))
    return Model(spec, layout, output, macs, init_fn, first_fn, head_fn, apply_fn,
                 n_bn=(n_layers - 1) if batchnorm else 0, first_macs=dims[0] * dims[1])


# ---------------------------------------------------------------- CNN

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
                parts.append(_sample(keys[i], p.shape, init, fi, fo, init_scale).ravel())
            else:
                parts.append(jnp.zeros(p.size, jnp.float32))
        return jnp.concatenate(parts)

    def conv(x, k, stride):
        return jax.lax.conv_general_dilated(x, k, (stride, stride), "SAME",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def first_fn(theta, x):
        P = layout.unflatten(theta)["conv_0"]
        return conv(x.reshape(-1, h, w, 1), P["w"], 1) + P["b"]

    def head_fn(theta, z, bn_stats, bn_mode, _collect=None, _acts=None):
        P = layout.unflatten(theta)
        a = act(z)
        for i in range(1, len(channels) + 1):
            if _acts is not None:
                _acts.append((z, a))
            if i == len(channels):
                break
            L = P[f"conv_{i}"]
            z = conv(a, L["w"], strides[i]) + L["b"]
            a = act(z)
        L = P[dname]
        return a.reshape(a.shape[0], -1) @ L["w"] + L["b"]

    def apply_fn(theta, x, bn_stats=None, bn_mode="batch", _collect=None, _acts=None):
        return head_fn(theta, first_fn(theta, x), bn_stats, bn_mode, _acts=_acts)

    spec = {"kind": "cnn", "channels": list(channels), "image_shape": list(image_shape),
            "n_out": int(n_out), "activation": activation, "init": init,
            "init_scale": float(init_scale), "batchnorm": False, "skip": False,
            "output": "softmax"}
    return Model(spec, layout, "softmax", macs, init_fn, first_fn, head_fn, apply_fn,
                 first_macs=first_macs)


# ---------------------------------------------------------------- bring your own model

def from_apply_fn(apply_fn: Callable, params, x_example=None, **kw) -> Model:
    """Wrap any JAX ``apply_fn(params, x) -> logits``; see `landscape.adapters.from_apply_fn`."""
    from landscape.adapters import from_apply_fn as adapt_apply_fn

    return adapt_apply_fn(apply_fn, params, x_example, **kw)


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
