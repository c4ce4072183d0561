"""Bring your own model: any JAX apply function, Flax (linen and NNX) and Equinox modules, as a
`landscape.nets.Model` on one flat parameter vector.

Layer order is the order in which the model *applies* its layers, read from its jaxpr
(`landscape.nets._trace`), or given as ``layer_order``. Each weight's output axis (the axis filter
normalization rescales along) is read from the operation that consumes it, or given in
``out_axes`` (``{"layer/name": axis}``); Flax kernels are ``[in, out]`` / ``[kh, kw, in, out]``,
Equinox weights ``[out, in]`` / ``[out, in, kh, kw]``, and both come out right. What cannot be
told (a parameter never used, a weight first used by something other than a matmul or a
convolution) is an error naming the leaf.

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


def adapt(named, call: Callable, x_example, *, output: str = "softmax", layer_order=None,
          out_axes=None, name: str = "custom", bn_pairs=(), bn_names=(),
          macs_per_sample: int | None = None) -> Model:
    """The common core: ``named`` is ``[(layer, param_name, array), ...]`` in pytree order;
    ``call(leaves, x, bn_stats, bn_mode) -> logits`` takes the leaves in that order. ``x`` of the
    model is flat ``[n, d]`` and reshaped to ``x_example``'s sample shape."""
    choice("output", output, OUTPUTS)
    if not named:
        raise LandscapeError("the model has no parameter arrays")
    out_axes = dict(out_axes or {})
    leaves = [jnp.asarray(a, jnp.float32) for _, _, a in named]
    keys = [f"{l}/{n}" if l else n for l, n, _ in named]
    unknown = set(out_axes) - set(keys)
    if unknown:
        raise LandscapeError(f"out_axes names no parameter {sorted(unknown)[0]!r}; parameters: "
                             f"{', '.join(keys[:8])}{' …' if len(keys) > 8 else ''}")
    x_example = jnp.asarray(x_example, jnp.float32)
    if x_example.ndim < 1 or x_example.shape[0] < 1:
        raise LandscapeError("x_example must be a batch of at least one input, shaped like the data")
    sample_shape = tuple(x_example.shape[1:])
    own = [(jnp.asarray(m), jnp.asarray(v)) for m, v in bn_pairs]

    def run(lv, x, stats=None, mode="eval"):
        return call(lv, x.reshape((x.shape[0],) + sample_shape), stats or own, mode)

    try:
        uses, macs = trace_params(lambda lv, x: run(lv, x), leaves, x_example)
    except LandscapeError:
        raise
    except Exception as e:
        raise LandscapeError(f"the model cannot be applied to x_example of shape "
                             f"{tuple(x_example.shape)}: {type(e).__name__}: {e}".splitlines()[0]) from None
    layers = list(dict.fromkeys(l for l, _, _ in named))
    if layer_order is not None:
        layer_order = [str(l) for l in layer_order]
        missing = [l for l in layers if l not in layer_order]
        extra = [l for l in layer_order if l not in layers]
        if missing or extra:
            raise LandscapeError("layer_order must list every layer once: "
                                 + (f"missing {missing[0]!r}" if missing else f"no layer {extra[0]!r}")
                                 + f" (layers: {', '.join(layers)})")
        rank = {l: i for i, l in enumerate(layer_order)}
    else:
        for k, u in zip(keys, uses):
            if u is None:
                raise LandscapeError(f"cannot tell the layer order: parameter {k!r} is never used "
                                     f"by the model on x_example; pass layer_order=[...]")
        first = {}
        for (l, _, _), u in zip(named, uses):
            first[l] = min(first.get(l, u.order), u.order)
        by_order: dict = {}
        for l, t in first.items():
            by_order.setdefault(t, []).append(l)
        tied = next((ls_ for ls_ in by_order.values() if len(ls_) > 1), None)
        if tied:
            raise LandscapeError(f"cannot tell the layer order: layers {tied[0]!r} and {tied[1]!r} "
                                 f"are first used by the same operation; pass layer_order=[...]")
        rank = first
    idx = sorted(range(len(named)), key=lambda i: (rank[named[i][0]],
                                                   uses[i].order if uses[i] else 0, i))
    entries = []
    for i in idx:
        l, n, a = named[i]
        nd = np.ndim(a)
        is_bias = n.lower() in ("bias", "b") and sum(d > 1 for d in np.shape(a)) <= 1
        if nd >= 2 and not is_bias:  # Equinox conv biases are [out, 1, 1]
            ax = out_axes.get(keys[i])
            if ax is None:
                u = uses[i]
                ax = u.out_axis if u is not None else None
                if ax is None:
                    how = f"first used by {u.primitive!r}" if u else "never used"
                    raise LandscapeError(f"cannot tell the output axis of weight {keys[i]!r} "
                                         f"(shape {tuple(np.shape(a))}, {how}); pass "
                                         f"out_axes={{{keys[i]!r}: axis}}")
            ax = int(ax) % nd
            entries.append((l, n, "weight", np.shape(a), ax))
        else:
            role = "bias" if n.lower() in ("bias", "b") else "bn"
            entries.append((l, n, role, np.shape(a), -1))
    layout = Layout.build(entries)
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
    return Model(spec=spec, layout=layout, output=output,
                 macs_per_sample=int(macs_per_sample or round(macs)), init_fn=lambda key: theta0,
                 first_fn=None, head_fn=head_fn, apply_fn=apply_fn, n_bn=len(own),
                 stats_fn=(lambda theta, x: own) if own else None)


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
    named = []
    for path, leaf in flat:
        ks = path_keys(path)
        named.append(("/".join(ks[:-1]) or ks[-1], ks[-1], leaf))

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
            out_axes = {f"{l}/{n}" if l else n: -1 for l, n, a in named if np.ndim(a) >= 2}
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
    named = [("/".join(path_keys(p)[:-1]), path_keys(p)[-1], a) for p, a in p_flat]
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
    named = [("/".join(keys(p)[:-1]), keys(p)[-1], a) for p, a in p_flat]
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
    named = []
    for p, a in p_flat:
        ks = path_keys(p)
        named.append(("/".join(ks[:-1]) or ks[-1], ks[-1], a))
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
