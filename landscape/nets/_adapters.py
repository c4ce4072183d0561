"""Bring your own model: any JAX apply function, Flax (linen and NNX) and Equinox modules, as a
`landscape.nets.Model` on one flat parameter vector.

Layer order is the order in which the model *applies* its layers, read from its jaxpr
(`landscape.nets._trace`), or given as ``layer_order``. Each parameter's role and a weight's
output units (what filter normalization rescales, one unit at a time) are read from the first
operation that computes with it (`_roles` states the rules; the README and docs/FORMAT.md too):
a matmul's free axes (Flax ``[in, out]``, Equinox ``[out, in]``, ``DenseGeneral``'s
``[in, heads, head_dim]`` → two axes), a conv's output features, an embedding table's rows, a
positional tensor's per-position vectors; or given in ``out_axes`` (``{"layer/name": axis or
(axes, ...)}``). Biases are biases; normalization layers' scale and shift (batch, layer, RMS
norm) are ``bn``. What cannot be told (a parameter never used, a weight first used by something
else) is a one-line error naming the leaf and the option.

Batch norm follows the same policy as the built-in networks: ``"eval"`` uses the model's own
running statistics, frozen at θ* (rebuilt from ``bn_stats``, a list of ``(mean, var)``),
``"batch"`` the statistics of the data evaluated.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError, choice
from landscape.nets._blocks import OUTPUTS
from landscape.nets._layout import Layout
from landscape.nets._model import Model
from landscape.nets._trace import trace_params


def path_keys(path) -> list[str]:
    return [str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path]


def split_keys(ks: list[str]) -> tuple[str, str]:
    """A leaf's path → ``(layer, name)``: the layer is the parent module's path; a parameter
    at the top (a learned positional tensor declared on the model itself) is its own layer."""
    return "/".join(ks[:-1]) or ks[-1], ks[-1]


def param_key(layer: str, name: str) -> str:
    """How errors and ``out_axes`` name a parameter: ``layer/name``, or ``name`` for a
    parameter that is its own layer."""
    return name if not layer or layer == name else f"{layer}/{name}"


def adapt(named, call: Callable, x_example, *, output: str = "softmax", layer_order=None,
          out_axes=None, name: str = "custom", bn_pairs=(), bn_names=(),
          macs_per_sample: int | None = None) -> Model:
    """The common core: ``named`` is ``[(layer, param_name, array), ...]`` in pytree order;
    ``call(leaves, x, bn_stats, bn_mode) -> logits`` takes the leaves in that order. ``x`` of the
    model is flat ``[n, d]`` and reshaped to ``x_example``'s sample shape (and cast to its
    dtype when that is an integer one: token ids)."""
    choice("output", output, OUTPUTS)
    if not named:
        raise LandscapeError("the model has no parameter arrays")
    leaves = [jnp.asarray(a, jnp.float32) for _, _, a in named]
    keys = [param_key(l, n) for l, n, _ in named]
    out_axes = _check_out_axes(out_axes, keys, [np.shape(a) for a in leaves])
    x_example = _example(x_example)
    sample_shape = tuple(x_example.shape[1:])
    own = [(jnp.asarray(m), jnp.asarray(v)) for m, v in bn_pairs]

    def run(lv, x, stats=None, mode="eval"):
        x = x.reshape((x.shape[0],) + sample_shape)
        if jnp.issubdtype(x_example.dtype, jnp.integer) and x.dtype != x_example.dtype:
            x = x.astype(x_example.dtype)
        return call(lv, x, stats or own, mode)

    uses, macs = _trace(run, leaves, x_example)
    rank = _layer_rank(named, keys, uses, layer_order)
    idx = sorted(range(len(named)), key=lambda i: (rank[named[i][0]],
                                                   uses[i].order if uses[i] else 0, i))
    roles = _roles(named, keys, uses, out_axes)
    layout = Layout.build([(named[i][0], named[i][1], roles[i][0], np.shape(named[i][2]),
                            roles[i][1]) for i in idx])
    order = np.array(idx)
    theta0 = jnp.concatenate([leaves[i].reshape(-1) for i in idx])

    def to_leaves(theta):
        out = [None] * len(named)
        for p, i in zip(layout.params, order):
            out[i] = theta[p.offset:p.stop].reshape(p.shape)
        return out

    def apply_fn(theta, x, bn_stats=None, bn_mode="batch"):
        return run(to_leaves(theta), x, bn_stats, bn_mode)

    def head_fn(theta, x, bn_stats=None, bn_mode="batch"):
        return apply_fn(theta, x, bn_stats, bn_mode)

    spec = {"kind": name, "output": output, "batchnorm": bool(own), "skip": False,
            "sample_shape": list(sample_shape), "bn_layers": list(bn_names)}
    if jnp.issubdtype(x_example.dtype, jnp.integer):
        spec["input_dtype"] = str(x_example.dtype)
    return Model(spec=spec, layout=layout, output=output,
                 macs_per_sample=int(macs_per_sample or round(macs)), init_fn=lambda key: theta0,
                 first_fn=None, head_fn=head_fn, apply_fn=apply_fn, n_bn=len(own),
                 stats_fn=(lambda theta, x: own) if own else None)


def _example(x_example):
    """The example batch: integer arrays (token ids) keep their dtype, others become float32."""
    x = jnp.asarray(x_example)
    x = x if jnp.issubdtype(x.dtype, jnp.integer) else x.astype(jnp.float32)
    if x.ndim < 1 or x.shape[0] < 1:
        raise LandscapeError("x_example must be a batch of at least one input, shaped like the data")
    return x


def _check_out_axes(out_axes, keys, shapes) -> dict[str, tuple[int, ...]]:
    """``{"layer/name": axis or (axes, ...)}`` → sorted non-negative axes, checked."""
    out = {}
    for k, ax in dict(out_axes or {}).items():
        if k not in keys:
            raise LandscapeError(f"out_axes names no parameter {k!r}; parameters: "
                                 f"{', '.join(keys[:8])}{' …' if len(keys) > 8 else ''}")
        shape = tuple(shapes[keys.index(k)])
        items = tuple(ax) if isinstance(ax, (tuple, list)) else (ax,)
        if not items or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                for a in items):
            raise LandscapeError(f"out_axes[{k!r}] must be an axis or a tuple of axes, got {ax!r}")
        bad = [a for a in items if not -len(shape) <= a < len(shape)]
        if bad:
            raise LandscapeError(f"out_axes[{k!r}]: axis {bad[0]} is out of range for shape "
                                 f"{shape} (axes 0..{len(shape) - 1})")
        axes = tuple(sorted({int(a) % len(shape) for a in items}))
        if len(axes) != len(items):
            raise LandscapeError(f"out_axes[{k!r}] names an axis twice: {ax!r}")
        out[k] = axes
    return out


def _trace(run, leaves, x_example):
    try:
        return trace_params(lambda lv, x: run(lv, x), leaves, x_example)
    except LandscapeError:
        raise
    except Exception as e:
        raise LandscapeError(f"the model cannot be applied to x_example of shape "
                             f"{tuple(x_example.shape)}: {type(e).__name__}: {e}".splitlines()[0]) from None


def _layer_rank(named, keys, uses, layer_order) -> dict:
    """Each layer's rank: its position in ``layer_order``, or the order of its first use."""
    layers = list(dict.fromkeys(l for l, _, _ in named))
    if layer_order is not None:
        layer_order = [str(l) for l in layer_order]
        missing = [l for l in layers if l not in layer_order]
        extra = [l for l in layer_order if l not in layers]
        if missing or extra:
            raise LandscapeError("layer_order must list every layer once: "
                                 + (f"missing {missing[0]!r}" if missing else f"no layer {extra[0]!r}")
                                 + f" (layers: {', '.join(layers)})")
        return {l: i for i, l in enumerate(layer_order)}
    for k, u in zip(keys, uses):
        if u is None:
            raise LandscapeError(f"cannot tell the layer order: parameter {k!r} is never used "
                                 f"by the model on x_example; pass layer_order=[...]")
    first: dict = {}
    for (l, _, _), u in zip(named, uses):
        first[l] = min(first.get(l, u.order), u.order)
    by_order: dict = {}
    for l, t in first.items():
        by_order.setdefault(t, []).append(l)
    tied = next((ls_ for ls_ in by_order.values() if len(ls_) > 1), None)
    if tied:
        raise LandscapeError(f"cannot tell the layer order: layers {tied[0]!r} and {tied[1]!r} "
                             f"are first used by the same operation; pass layer_order=[...]")
    return first


# ---------------------------------------------------------------- roles

BIAS_NAMES = ("bias", "b")


def _roles(named, keys, uses, out_axes) -> list[tuple[str, tuple[int, ...]]]:
    """``(role, out_axes)`` of every parameter (the rules are in the README and FORMAT.md):

    * a weight: ``out_axes`` given, or read from its first use (a matmul's free axes, a conv's
      output features, an embedding's indexed rows); a tensor of two or more axes first
      *added* to an activation (a learned positional embedding) has one unit per vector along
      its last axis;
    * a bias: named ``bias``/``b`` with at most one axis longer than 1, or first added;
    * ``bn``: any other scalar or vector parameter, and every parameter of a normalization
      layer (a layer with no weight that has a parameter besides its bias: batch, layer and
      RMS norm's scale and shift).
    """
    norm_layers = _norm_layers(named, uses, out_axes, keys)
    out = []
    for (l, n, a), k, u in zip(named, keys, uses):
        shape = tuple(np.shape(a))
        if k in out_axes:
            out.append(("weight", out_axes[k]))
        elif _is_weight(n, shape, u):
            out.append(("weight", _unit_axes(k, shape, u)))
        elif l in norm_layers:
            out.append(("bn", -1))
        else:
            out.append(("bias" if n.lower() in BIAS_NAMES else "bn", -1))
    return out


def _is_weight(name: str, shape, use) -> bool:
    wide = sum(d > 1 for d in shape)
    if name.lower() in BIAS_NAMES:  # a bias, unless it is multiplied (a weight named "b")
        return wide > 1 and use is not None and use.kind != "add"
    return len(shape) >= 2


def _norm_layers(named, uses, out_axes, keys) -> set:
    weights, others = set(), set()
    for (l, n, a), k, u in zip(named, keys, uses):
        if k in out_axes or _is_weight(n, tuple(np.shape(a)), u):
            weights.add(l)
        elif n.lower() not in BIAS_NAMES:
            others.add(l)
    return others - weights


def _unit_axes(key: str, shape, use) -> tuple[int, ...]:
    if use is not None and use.unit_axes is not None:
        return use.unit_axes
    if use is not None and use.kind == "add":
        return tuple(range(len(shape) - 1))  # one unit per position: the last axis is features
    how = f"first used by {use.primitive!r}" if use else "never used"
    raise LandscapeError(f"cannot tell the output axis of weight {key!r} (shape {shape}, {how}); "
                         f"pass out_axes={{{key!r}: axis}} (or a tuple of axes)")


def from_apply_fn(apply_fn: Callable, params, x_example=None, *, output: str = "softmax",
                  layer_order=None, out_axes=None, macs_per_sample: int | None = None,
                  name: str = "custom") -> Model:
    """Wrap any JAX ``apply_fn(params, x) -> logits`` and its params pytree as a `Model`.

    A layer is a leaf's parent path (``{"enc": {"w": ...}}`` → layer ``enc``). The layer order
    and output axes are read by tracing ``apply_fn`` on ``x_example`` (a batch shaped like the
    model's input); without ``x_example``, give ``layer_order`` (the output axis of a weight is
    then its last, as in ``x @ w``). The given ``params`` are the model's θ* (``init`` returns
    them for any key).
    """
    flat, treedef = jax.tree_util.tree_flatten_with_path(params)
    named = [(*split_keys(path_keys(path)), leaf) for path, leaf in flat]

    def call(lv, x, stats, mode):
        return apply_fn(jax.tree_util.tree_unflatten(treedef, lv), x)

    layers = list(dict.fromkeys(l for l, _, _ in named))
    if x_example is None:
        if layer_order is None and len(layers) > 1:
            raise LandscapeError(f"cannot tell the layer order of {', '.join(layers)} without "
                                 f"running the model: pass x_example (a batch of inputs) or "
                                 f"layer_order=[...]")
        shape = _input_shape(named, out_axes)
        x_example = np.zeros((1, shape), np.float32)
        if out_axes is None:
            out_axes = {param_key(l, n): -1 for l, n, a in named if np.ndim(a) >= 2}
    return adapt(named, call, x_example, output=output, layer_order=layer_order,
                 out_axes=out_axes, name=name, macs_per_sample=macs_per_sample)


def _input_shape(named, out_axes) -> int:
    # without an example, the first weight's input width (x @ w) sizes a dummy input
    for _, _, a in named:
        if np.ndim(a) == 2:
            return int(np.shape(a)[0])
    raise LandscapeError("pass x_example: the model's input shape cannot be guessed")


# ---------------------------------------------------------------- Flax linen

def from_flax(module, variables, x_example, *, output: str = "softmax", train_arg: str | None = None,
              layer_order=None, out_axes=None, method=None) -> Model:
    """A Flax linen ``module`` with its ``variables`` (``{"params": ..., "batch_stats": ...}``).

    ``x_example``: a batch shaped like the module's input (the data may be flat; it is
    reshaped). With batch norm, ``train_arg`` names the keyword of ``__call__`` that switches it
    (``train=True``: batch statistics; ``False``: the running averages). Layers are named by
    module path (``Dense_0``, ``Block_1/Conv_0``).
    """
    variables = dict(variables)
    if "params" not in variables:
        raise LandscapeError("variables must hold a 'params' collection (module.init's result)")
    others = set(variables) - {"params", "batch_stats"}
    if others:
        raise LandscapeError(f"variables collection {sorted(others)[0]!r} is not supported "
                             f"(only params and batch_stats)")
    stats = variables.get("batch_stats")
    if stats and train_arg is None:
        raise LandscapeError("the module has batch_stats: pass train_arg, the keyword of its "
                             "__call__ that switches batch norm (e.g. train_arg='train')")
    p_flat, p_def = jax.tree_util.tree_flatten_with_path(variables["params"])
    named = [(*split_keys(path_keys(p)), a) for p, a in p_flat]
    s_flat, s_def = jax.tree_util.tree_flatten_with_path(stats or {})
    pairs, bn_names = _pairs([(path_keys(p), a) for p, a in s_flat])

    def call(lv, x, bn, mode):
        v = {"params": jax.tree_util.tree_unflatten(p_def, lv)}
        kw = {"method": method} if method is not None else {}
        if not s_flat:
            return module.apply(v, x, **kw)
        v["batch_stats"] = jax.tree_util.tree_unflatten(s_def, _unpairs(bn, [path_keys(p) for p, _ in s_flat]))
        if mode == "batch":
            return module.apply(v, x, **{train_arg: True}, mutable=["batch_stats"], **kw)[0]
        return module.apply(v, x, **{train_arg: False}, **kw)

    return adapt(named, call, x_example, output=output, layer_order=layer_order,
                 out_axes=out_axes, name=f"flax:{type(module).__name__}", bn_pairs=pairs,
                 bn_names=bn_names)


def _pairs(items):
    """Running statistics ``[(path keys, array)]`` → ``[(mean, var)]`` per normalization layer
    (leaves named ``mean``/``var``), and the layers' names."""
    by_layer: dict = {}
    for ks, a in items:
        by_layer.setdefault("/".join(ks[:-1]), {})[ks[-1]] = a
    pairs, names = [], []
    for layer, d in by_layer.items():
        if set(d) != {"mean", "var"}:
            raise LandscapeError(f"batch-norm state of {layer!r} has {sorted(d)}, expected mean and var")
        pairs.append((d["mean"], d["var"]))
        names.append(layer)
    return pairs, names


def _unpairs(bn, keys):
    """Inverse of `_pairs`: leaves in the order of ``keys``."""
    layers = list(dict.fromkeys("/".join(k[:-1]) for k in keys))
    return [bn[layers.index("/".join(k[:-1]))][0 if k[-1] == "mean" else 1] for k in keys]


# ---------------------------------------------------------------- Flax NNX

def from_nnx(model, x_example, *, output: str = "softmax", layer_order=None, out_axes=None) -> Model:
    """A Flax NNX module (its ``nnx.Param`` variables are θ*; ``nnx.BatchStat`` running
    statistics are frozen at θ* under the ``eval`` policy; ``model.train()``/``model.eval()``
    switch batch norm)."""
    from flax import nnx

    def keys(path):  # a Variable's array sits under a trailing ``.value``
        ks = path_keys(path)
        return ks[:-1] if ks and ks[-1] in ("value", "raw_value") else ks

    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    p_flat, p_def = jax.tree_util.tree_flatten_with_path(params)
    named = [(*split_keys(keys(p)), a) for p, a in p_flat]
    r_flat, r_def = jax.tree_util.tree_flatten_with_path(rest)
    stat_idx = [i for i, (p, a) in enumerate(r_flat) if keys(p)[-1] in ("mean", "var")
                and np.ndim(a) >= 1]
    pairs, bn_names = _pairs([(keys(r_flat[i][0]), r_flat[i][1]) for i in stat_idx])
    stat_keys = [keys(r_flat[i][0]) for i in stat_idx]
    has_bn = bool(stat_idx)

    def call(lv, x, bn, mode):
        r = [a for _, a in r_flat]
        if has_bn:
            for i, v in zip(stat_idx, _unpairs(bn, stat_keys)):
                r[i] = v
        m = nnx.merge(graphdef, jax.tree_util.tree_unflatten(p_def, lv),
                      jax.tree_util.tree_unflatten(r_def, r))
        if has_bn:
            m.train() if mode == "batch" else m.eval()
        return m(x)

    return adapt(named, call, x_example, output=output, layer_order=layer_order,
                 out_axes=out_axes, name=f"nnx:{type(model).__name__}", bn_pairs=pairs,
                 bn_names=bn_names)


# ---------------------------------------------------------------- Equinox

def from_equinox(model, x_example, *, state=None, output: str = "softmax", layer_order=None,
                 out_axes=None) -> Model:
    """An Equinox module acting on one sample (it is vmapped over the batch). With batch norm
    (``eqx.nn.BatchNorm(..., mode="ema")``) pass its ``state`` (``eqx.nn.make_with_state``);
    ``eval`` uses its running statistics (``inference=True``), ``batch`` those of the data."""
    import equinox as eqx

    params, static = eqx.partition(model, eqx.is_inexact_array)
    p_flat, p_def = jax.tree_util.tree_flatten_with_path(params)
    named = [(*split_keys(path_keys(p)), a) for p, a in p_flat]
    bns = [m for m in jax.tree_util.tree_leaves(model, is_leaf=lambda m: isinstance(m, eqx.nn.BatchNorm))
           if isinstance(m, eqx.nn.BatchNorm)]
    if bns and state is None:
        raise LandscapeError("the model has BatchNorm layers: pass its state "
                             "(eqx.nn.make_with_state)")
    for bn in bns:
        if getattr(bn, "mode", "ema") != "ema":
            raise LandscapeError("Equinox BatchNorm(mode='batch') keeps no plain running "
                                 "statistics; use mode='ema'")
    pairs = [tuple(state.get(bn.ema_state_index)) for bn in bns]
    axis = bns[0].axis_name if bns else None
    # where each running statistic sits among the state's leaves (replaced per call, since
    # `State.set` insists on identical array types, which traced values do not have)
    s_leaves, s_def = jax.tree_util.tree_flatten(state) if bns else ([], None)
    slots = [[next(i for i, l in enumerate(s_leaves) if l is a) for a in pair] for pair in pairs]

    def call(lv, x, bn, mode):
        m = eqx.combine(jax.tree_util.tree_unflatten(p_def, lv), static)
        if not bns:
            return jax.vmap(m)(x)
        leaves = list(s_leaves)
        for (i_m, i_v), (mu, var) in zip(slots, bn):
            leaves[i_m], leaves[i_v] = mu, var
        st = jax.tree_util.tree_unflatten(s_def, leaves)
        m = eqx.nn.inference_mode(m, value=(mode != "batch"))
        out, _ = jax.vmap(m, axis_name=axis, in_axes=(0, None), out_axes=(0, None))(x, st)
        return out

    return adapt(named, call, x_example, output=output, layer_order=layer_order,
                 out_axes=out_axes, name=f"equinox:{type(model).__name__}", bn_pairs=pairs,
                 bn_names=[f"BatchNorm_{i}" for i in range(len(bns))])
