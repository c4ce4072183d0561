"""Gradients of a network's minibatch loss, per ball, and their per-layer norms.

Protocol. A *measure* function evaluates many balls at once:

  ``measure(consts, x [N, ...], idx [N, B] | None, norms=True)
      -> (loss [N], grad [N, ...], gw [N, L], gb [N, L])``

``x`` is what a ball optimizes: plane coordinates ``(a, b)`` (``[N, 2]``, slice mode) or a full
weight vector θ (``[N, P]``, projected mode). ``idx`` holds each ball's minibatch (row indices
of the evaluation data), or ``None`` for the full batch. ``grad`` has the shape of ``x``: in
slice mode it is ``(∇θL·d1, ∇θL·d2)`` at ``θ* + a·d1 + b·d2``. ``gw``/``gb`` are the L2 norms of
the weight-space gradient of each layer's weights and biases, input → output; with
``norms=False`` a measure may skip them and return ``None`` for both (the stacked one does: the
per-ball ``Hᵀδ`` they need is a fifth of its work, and only recorded steps need norms).

Two implementations of the slice-mode measure give the same numbers:

* `generic_measure`: ``vmap`` over balls of ``grad`` of the task's loss at each ball's own θ.
  Works for any model (CNN, bring-your-own).
* `stacked_measure` (MLPs), written as custom VJPs. Every weight matrix of a ball is
  ``W(a, b) = W* + a·D1 + b·D2``. The first layer's three products with the whole data set
  (``x·[W* | D1 | D2]``) are computed once and gathered. A hidden layer's forward pass forms
  each ball's ``W(a, b)`` (as many floats as the ball's 64-row activation block) and does one
  batched matmul at the nominal FLOPs. Its backward pass stacks all balls' ``δ`` into one tall
  matrix times the concatenated ``[W*ᵀ | D1ᵀ | D2ᵀ]`` (three times the FLOPs, at far better
  efficiency than per-ball products): ``∂L/∂H = δ·W*ᵀ + a·δ·D1ᵀ + b·δ·D2ᵀ``, and the same
  product gives ``∂L/∂a = Σ ⟨H, δ·D1ᵀ⟩`` (+ bias terms) without forming ``Hᵀδ``. Only steps
  that record the per-layer norms form each ball's weight gradient ``Hᵀδ``.
"""

from __future__ import annotations

import functools
import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from landscape.layout import Layout
from landscape.models import ACTIVATIONS, BN_EPS, loss_and_accuracy

# rows (balls × batch) handled at once inside lax.map: bounds memory, keeps each chunk's
# tensors in the 2 MiB L2. Measured on the reference MLP, 1000 balls × batch 64, 2 host devices
# (benchmarks/dynamics.py): 512 rows 51 steps/s, 1024 rows 51, 2048 rows ≈ 47; with the old
# all-stacked forward, 2048 → 512 rows alone gave 36 → 40 steps/s.
ROWS_PER_CHUNK = 512


# ---------------------------------------------------------------- per-layer bookkeeping

def layer_segments(layout: Layout) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Layer names that have weights or biases (input → output), and ``[P]`` int32 indices of
    the layer each weight entry (``seg_w``) and bias entry (``seg_b``) belongs to; other
    entries (batch-norm scale/shift, the other role) get index ``L`` (dropped)."""
    names: list[str] = []
    for p in layout.params:
        if p.role in ("weight", "bias") and p.layer not in names:
            names.append(p.layer)
    L = len(names)
    seg_w = np.full(layout.size, L, np.int32)
    seg_b = np.full(layout.size, L, np.int32)
    for p in layout.params:
        if p.role == "weight":
            seg_w[p.offset:p.stop] = names.index(p.layer)
        elif p.role == "bias":
            seg_b[p.offset:p.stop] = names.index(p.layer)
    return names, seg_w, seg_b


def _norms(g, seg, L):
    return jnp.sqrt(jax.ops.segment_sum(g * g, seg, num_segments=L + 1)[:L])


def chunked(measure, n_rows_per_ball: int, rows: int = ROWS_PER_CHUNK):
    """Wrap a measure so that balls are processed ``c`` at a time with ``lax.map`` (``c`` chosen
    so that ``c × rows per ball ≈ rows``); pads the ball axis to a multiple of ``c``."""
    c_max = max(1, rows // max(1, n_rows_per_ball))

    def f(consts, x, idx, norms=True):
        n = x.shape[0]
        if n <= c_max:
            return measure(consts, x, idx, norms)
        n_chunks = -(-n // c_max)
        c = -(-n // n_chunks)           # even chunks: less padding
        pad = n_chunks * c - n

        def padded(a):
            a = jnp.concatenate([a, jnp.repeat(a[-1:], pad, 0)]) if pad else a
            return a.reshape((n_chunks, c) + a.shape[1:])

        xs = (padded(x), None if idx is None else padded(idx))
        out = jax.lax.map(lambda xi: measure(consts, xi[0], xi[1], norms), xs)
        return jax.tree.map(lambda a: a.reshape((n_chunks * c,) + a.shape[2:])[:n], out)

    return f


# ---------------------------------------------------------------- generic (any model)

def generic_consts(task, plane=None) -> dict:
    c = {"x": jnp.asarray(task.data.x_eval), "y": jnp.asarray(task.data.y_eval),
         "theta": jnp.asarray(task.theta, jnp.float32)}
    if plane is not None:
        c["d1"] = jnp.asarray(plane.d1, jnp.float32)
        c["d2"] = jnp.asarray(plane.d2, jnp.float32)
    return c


def weight_measure(task):
    """Measure for full weight vectors ``x = θ [N, P]`` (projected mode; also the core of the
    generic slice measure)."""
    f = task.loss_fn()
    names, seg_w, seg_b = layer_segments(task.model.layout)
    L = len(names)
    seg_w, seg_b = jnp.asarray(seg_w), jnp.asarray(seg_b)

    def one(theta, xb, yb):
        (loss, _), g = jax.value_and_grad(f, has_aux=True)(theta, xb, yb)
        return loss, g, _norms(g, seg_w, L), _norms(g, seg_b, L)

    def measure(consts, theta, idx, norms=True):
        if idx is None:
            return jax.vmap(one, (0, None, None))(theta, consts["x"], consts["y"])
        return jax.vmap(one)(theta, consts["x"][idx], consts["y"][idx])

    return measure


def generic_measure(task):
    """Slice-mode measure for any model: each ball's θ = θ* + a·d1 + b·d2, then `weight_measure`
    and ``(g·d1, g·d2)``."""
    wm = weight_measure(task)

    def measure(consts, ab, idx, norms=True):
        theta = consts["theta"] + ab[:, :1] * consts["d1"] + ab[:, 1:] * consts["d2"]
        loss, g, gw, gb = wm(consts, theta, idx)
        gab = jnp.stack([g @ consts["d1"], g @ consts["d2"]], -1)
        return loss, gab, gw, gb

    return measure


# ---------------------------------------------------------------- stacked (MLPs)

def supports_stacked(model) -> bool:
    """Whether `stacked_measure` applies: a built-in MLP (``models.mlp``)."""
    return model.spec.get("kind") == "mlp" and model.first_fn is not None


def stacked_consts(task, plane) -> dict:
    """Arrays the stacked measure needs (passed as jit arguments, never baked in)."""
    model = task.model
    n_layers = len(model.spec["widths"]) + 1
    U = [model.layout.unflatten(np.asarray(v, np.float32)) for v in (task.theta, plane.d1, plane.d2)]
    x = np.asarray(task.data.x_eval, np.float32)
    layers = []
    for i in range(n_layers):
        name = f"dense_{i}"
        Ws = [u[name]["w"] for u in U]
        W = np.concatenate(Ws, 1)                                      # [in, 3·out]
        b = np.stack([u[name]["b"] for u in U])                       # [3, out]
        entry = {"b": jnp.asarray(b), "d1": jnp.asarray(Ws[1]), "d2": jnp.asarray(Ws[2])}
        if i == 0:
            # first layer: products with the whole data set, once (bias folded in)
            entry["table"] = jnp.asarray(x @ W + b.reshape(1, -1), jnp.float32)
        else:
            entry["w"] = jnp.asarray(Ws[0])                                   # W* [in, out]
            entry["wt"] = jnp.asarray(np.concatenate([w.T for w in Ws], 1))   # [out, 3·in]
        if model.spec["batchnorm"] and i < n_layers - 1:
            entry["scale"] = jnp.asarray(np.stack([u[name]["bn_scale"] for u in U]))
            entry["shift"] = jnp.asarray(np.stack([u[name]["bn_shift"] for u in U]))
        layers.append(entry)
    c = {"x": jnp.asarray(x), "y": jnp.asarray(task.data.y_eval), "layers": layers}
    if model.spec["batchnorm"] and task.bn_policy == "eval":
        c["stats"] = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats]
    return c


def _cross_entropy(logits, y, output):
    """Per-ball mean cross-entropy of ``logits [c, B, k]`` against ``y [c, B]``, as
    `loss_and_accuracy` computes it, with a one-hot product in place of a gather so that the
    backward pass has no scatter."""
    if output == "sigmoid":
        z = logits[..., 0]
        yf = y.astype(z.dtype)
        return jnp.mean(jnp.maximum(z, 0) - z * yf + jnp.log1p(jnp.exp(-jnp.abs(z))), -1)
    logp = jax.nn.log_softmax(logits, axis=-1)
    onehot = jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
    return -jnp.mean(jnp.sum(onehot * logp, -1), -1)


def _mix(Y, a, b):
    """``Y [..., 3·o] = [H·W* | H·D1 | H·D2]`` → ``H·W(a, b)`` per ball (``a, b [c, 1, 1]``)."""
    o = Y.shape[-1] // 3
    return Y[..., :o] + a * Y[..., o:2 * o] + b * Y[..., 2 * o:]


def _layer_grads(H, L, d):
    """From a layer's input ``H`` and ``δ = ∂L/∂z`` ``[c, B, o]``: each ball's ``∂L/∂a``,
    ``∂L/∂b`` through this layer's weights and biases, and the squared norms of its weight
    and bias gradients. ``∂L/∂W = Hᵀδ`` is formed per ball (``[c, in, o]``) but never stored."""
    G = jnp.einsum("cbi,cbo->cio" if H.ndim == 3 else "bi,cbo->cio", H, d)
    gbias = jnp.sum(d, 1)                                                  # [c, o]
    da = jnp.sum(G * L["d1"], (1, 2)) + gbias @ L["b"][1]
    db = jnp.sum(G * L["d2"], (1, 2)) + gbias @ L["b"][2]
    return da, db, jnp.sum(G * G, (1, 2)), jnp.sum(gbias * gbias, 1)


def _thirds_dot(Y, v):
    """``Y [..., 3·o] = [Y0 | Y1 | Y2]``, ``v [c, B, o]`` → ``(Σ v ∘ Y1, Σ v ∘ Y2)`` per ball
    (sums over rows and columns). One reduction over ``Y`` viewed as ``[..., 3, o]``: slicing
    ``Y`` first made XLA copy each slice out (1000 balls: 48.7 → 50.9 steps/s without)."""
    o = v.shape[-1]
    s = jnp.sum(Y.reshape(Y.shape[:-1] + (3, o)) * v[..., None, :], (1, 3))      # [c, 3]
    return s[:, 1], s[:, 2]


@functools.lru_cache(maxsize=None)
def _plane_layers(norms: bool):
    """Two custom-VJP layers for the stacked path. Their backward passes compute only what is
    needed: ``∂L/∂H`` by one matmul with ``[W*ᵀ | D1ᵀ | D2ᵀ]`` (hidden layers), ``∂L/∂(a, b)``,
    and — when ``norms`` — each ball's weight gradient ``Hᵀδ``, whose squared norms are
    returned as the cotangents of the zero "probe" inputs ``pw, pb`` (the forward ignores
    them; this is how a backward pass hands out a by-product)."""

    # The first layer takes the whole-data table and the minibatch indices rather than the
    # gathered rows, so the gather fuses into its consumers instead of being materialized
    # ([c, B, 3·o] floats per chunk); the backward pass gathers again, also fused.
    def rows(table, idx):
        return table[None] if idx is None else table[idx]

    @jax.custom_vjp
    def first(table, X, idx, L, a, b, pw, pb):
        return _mix(rows(table, idx), a, b)

    def first_fwd(table, X, idx, L, a, b, pw, pb):
        return first(table, X, idx, L, a, b, pw, pb), (table, X, idx, L, a, b, pw)

    def first_bwd(res, d):
        table, X, idx, L, a, b, pw = res
        if norms:
            da, db, nw, nb = _layer_grads(X if idx is None else X[idx], L, d)
        else:
            da, db = _thirds_dot(rows(table, idx), d)          # Σ δ ∘ (x·D1 + db1), …
            nw = nb = jnp.zeros_like(pw)
        return (None, None, None, None, da.reshape(a.shape), db.reshape(b.shape), nw, nb)

    first.defvjp(first_fwd, first_bwd)

    # Hidden layers: per-ball weights forward (nominal FLOPs), stacked products backward. On
    # 1000 balls × batch 64 this beat stacking both passes (3× the forward FLOPs) by ~20 %:
    # 38 → 46–48 steps/s at 512 rows, interleaved in one process. A per-ball backward would
    # need each ball's Hᵀδ (or H·D1, H·D2) for ∂L/∂(a, b) as well: more work, not less.
    def hidden_fwd(H, L, a, b, pw, pb):
        bias = L["b"]
        Wab = L["w"] + a * L["d1"] + b * L["d2"]                             # [c, in, o]
        z = jnp.einsum("cbi,cio->cbo", H, Wab) + (bias[0] + a * bias[1] + b * bias[2])
        return z, (H, L, a, b, pw)

    @jax.custom_vjp
    def hidden(H, L, a, b, pw, pb):
        return hidden_fwd(H, L, a, b, pw, pb)[0]

    def hidden_bwd(res, d):
        H, L, a, b, pw = res
        Z = jnp.einsum("cbo,oj->cbj", d, L["wt"])          # [δ·W*ᵀ | δ·D1ᵀ | δ·D2ᵀ]
        if norms:
            da, db, nw, nb = _layer_grads(H, L, d)
        else:
            gbias = jnp.sum(d, 1)                                              # [c, o]
            da, db = _thirds_dot(Z, H)                     # Σ H ∘ (δ·D1ᵀ) = Σ δ ∘ (H·D1)
            da, db = da + gbias @ L["b"][1], db + gbias @ L["b"][2]
            nw = nb = jnp.zeros_like(pw)
        dH = _mix(Z, a, b)
        return (dH, jax.tree.map(jnp.zeros_like, L), da.reshape(a.shape), db.reshape(b.shape),
                nw, nb)

    hidden.defvjp(hidden_fwd, hidden_bwd)
    return first, hidden


def stacked_measure(task):
    """Slice-mode measure for `models.mlp` networks using the stacked formulation (see the
    module docstring); equal to `generic_measure` up to float rounding."""
    spec = task.model.spec
    n_layers = len(spec["widths"]) + 1
    act = ACTIVATIONS[spec["activation"]]
    batchnorm, skip, output = spec["batchnorm"], spec["skip"], spec["output"]
    bn_batch = task.bn_policy == "batch"

    def forward(ab, pw, pb, consts, idx, norms):
        first_layer, hidden_layer = _plane_layers(norms)
        a, b = ab[:, 0, None, None], ab[:, 1, None, None]            # [c, 1, 1]
        lay = consts["layers"]
        c = ab.shape[0]
        L0 = {k: lay[0][k] for k in ("b", "d1", "d2")}
        z = first_layer(lay[0]["table"], consts["x"], idx, L0, a, b, pw[0], pb[0])
        if idx is None:
            z = jnp.broadcast_to(z, (c,) + z.shape[1:])
        h_prev = None
        for i in range(n_layers):
            if i > 0:
                L = {k: lay[i][k] for k in ("b", "d1", "d2", "w", "wt")}
                z = hidden_layer(h_prev, L, a, b, pw[i], pb[i])
            if i == n_layers - 1:
                break
            if batchnorm:
                if bn_batch:
                    mu, var = jnp.mean(z, 1, keepdims=True), jnp.var(z, 1, keepdims=True)
                else:
                    mu, var = consts["stats"][i]
                z = (z - mu) * jax.lax.rsqrt(var + BN_EPS)
                s, t = lay[i]["scale"], lay[i]["shift"]
                z = z * (s[0] + a * s[1] + b * s[2]) + (t[0] + a * t[1] + b * t[2])
            h = act(z)
            if skip and h_prev is not None and h_prev.shape[-1] == h.shape[-1]:
                h = h + h_prev
            h_prev = h
        y = consts["y"]
        y = y[idx] if idx is not None else jnp.broadcast_to(y, (c,) + y.shape)
        loss = _cross_entropy(z, y, output)
        return jnp.sum(loss), loss

    def measure(consts, ab, idx, norms=True):
        c = ab.shape[0]
        probes = [jnp.zeros(c, ab.dtype) for _ in consts["layers"]]
        (_, loss), (gab, nw, nb) = jax.value_and_grad(
            forward, argnums=(0, 1, 2), has_aux=True)(ab, probes, probes, consts, idx, norms)
        if not norms:
            return loss, gab, None, None
        return loss, gab, jnp.sqrt(jnp.stack(nw, 1)), jnp.sqrt(jnp.stack(nb, 1))

    return measure


# ---------------------------------------------------------------- full-batch norms at a point

_NORM_FNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _full_norm_fn(model, policy):
    """A jitted ``(θ, x, y, bn_stats) -> (weights [L], biases [L])``, one per model and policy
    (so many seeds or points of one model compile once)."""
    fns = _NORM_FNS.setdefault(model, {})
    if policy not in fns:
        names, seg_w, seg_b = layer_segments(model.layout)
        L = len(names)
        seg_w, seg_b = jnp.asarray(seg_w), jnp.asarray(seg_b)

        def fn(theta, x, y, stats):
            def loss(t):
                logits = model.apply(t, x, stats if stats else None, policy)
                return loss_and_accuracy(logits, y, model.output)[0]

            g = jax.grad(loss)(theta)
            return _norms(g, seg_w, L), _norms(g, seg_b, L)

        fns[policy] = jax.jit(fn)
    return fns[policy]


def layer_gradient_norms(task, theta, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer L2 norms of the full-batch gradient at ``theta`` under the task's batch-norm
    policy: ``(weights [L], biases [L])`` float64, input → output (layers as in
    `layer_segments`; a layer without biases reports 0). ``x, y`` default to the task's
    evaluation data."""
    x = task.data.x_eval if x is None else x
    y = task.data.y_eval if y is None else y
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats]
    gw, gb = _full_norm_fn(task.model, task.bn_policy)(
        jnp.asarray(theta, jnp.float32), jnp.asarray(x), jnp.asarray(y), stats)
    return np.asarray(gw, np.float64), np.asarray(gb, np.float64)


def gradient_report(cfg, seeds: int = 5) -> dict:
    """Per-layer gradient norms of the full-batch loss at initialization (mean over ``seeds``
    initializations, seeds ``cfg.seed … cfg.seed+seeds-1``, each drawn exactly as training
    draws it) and at θ* after training ``cfg``; ordered input → output.

    Returns ``{"layers", "at_init", "at_minimum", "at_init_bias", "at_minimum_bias",
    "at_init_min", "at_init_max", "seeds", "model", "bn_policy"}``.
    """
    import jax.random as jr

    from landscape.errors import LandscapeError
    from landscape.train import task_from_params

    if int(seeds) != seeds or seeds < 1:
        raise LandscapeError(f"--seeds must be a positive integer, got {seeds}")
    cfg.validate()
    data = cfg.build_data()
    model = cfg.build_model(data)
    names, _, _ = layer_segments(model.layout)
    w_init, b_init = [], []
    for s in range(int(seeds)):
        k_init, _ = jr.split(cfg.replace(seed=cfg.seed + s).key("train"))
        theta0 = np.asarray(model.init(key=k_init), np.float32)
        t0 = task_from_params(model, data, theta0, bn_policy=cfg.bn_policy)
        w, b = layer_gradient_norms(t0, theta0)
        w_init.append(w)
        b_init.append(b)
    task = cfg.build_task()
    w_min, b_min = layer_gradient_norms(task, task.theta)
    w_init, b_init = np.array(w_init), np.array(b_init)
    clean = lambda v: [float(u) if math.isfinite(u) else None for u in np.asarray(v).tolist()]
    return {"layers": list(names), "at_init": clean(w_init.mean(0)),
            "at_minimum": clean(w_min), "at_init_bias": clean(b_init.mean(0)),
            "at_minimum_bias": clean(b_min), "at_init_min": clean(w_init.min(0)),
            "at_init_max": clean(w_init.max(0)), "seeds": int(seeds),
            "model": {k: model.spec.get(k) for k in ("kind", "widths", "activation", "init",
                                                     "init_scale", "batchnorm", "skip")},
            "bn_policy": cfg.bn_policy if model.n_bn else None}
