"""Per-layer gradient norms of the full-batch loss at a point, and the report
``landscape gradients`` prints: at initialization (over several seeds) and at θ*.

The measures that drive the balls live in `landscape.balls._measure`; this module is the
config-driven report built on the same per-layer bookkeeping.
"""

from __future__ import annotations

import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError
from landscape.nets import layer_segments, loss_and_accuracy, segment_norms

_NORM_FNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def full_norm_fn(model, policy):
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
            return segment_norms(g, seg_w, L), segment_norms(g, seg_b, L)

        fns[policy] = jax.jit(fn)
    return fns[policy]


def layer_gradient_norms(task, theta, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer L2 norms of the full-batch gradient at ``theta`` under the task's batch-norm
    policy: ``(weights [L], biases [L])`` float64, input → output (layers as in
    `landscape.balls._measure.layer_segments`; a layer without biases reports 0; a non-finite norm
    is ``inf``). ``x, y`` default to the task's evaluation data."""
    x = task.data.x_eval if x is None else x
    y = task.data.y_eval if y is None else y
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats]
    gw, gb = full_norm_fn(task.model, task.bn_policy)(
        jnp.asarray(theta, jnp.float32), jnp.asarray(x), jnp.asarray(y), stats)
    return np.asarray(gw, np.float64), np.asarray(gb, np.float64)


def gradient_report(cfg, seeds: int = 5) -> dict:
    """Per-layer gradient norms of the full-batch loss at initialization (mean over ``seeds``
    initializations, seeds ``cfg.seed … cfg.seed+seeds-1``, each drawn exactly as training
    draws it) and at θ* after training ``cfg``; ordered input → output.

    Returns ``{"layers", "at_init", "at_minimum", "at_init_bias", "at_minimum_bias",
    "at_init_min", "at_init_max", "overflow_at_init", "overflow_at_minimum", "seeds", "model",
    "bn_policy"}``. JSON has no infinity: a norm that is not finite (the gradient overflowed
    float32) is ``None`` and flagged ``True`` in ``overflow_at_init`` (any seed) or
    ``overflow_at_minimum``.
    """
    import jax.random as jr

    from landscape.training import task_from_params

    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1:
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

    def clean(v):
        return [float(u) if math.isfinite(u) else None for u in np.asarray(v).tolist()]

    def overflow(v):
        return [bool(u) for u in (~np.isfinite(np.asarray(v))).tolist()]

    return {"layers": list(names), "at_init": clean(w_init.mean(0)),
            "at_minimum": clean(w_min), "at_init_bias": clean(b_init.mean(0)),
            "at_minimum_bias": clean(b_min), "at_init_min": clean(w_init.min(0)),
            "at_init_max": clean(w_init.max(0)),
            "overflow_at_init": overflow(w_init.max(0)), "overflow_at_minimum": overflow(w_min),
            "seeds": int(seeds),
            "model": {k: model.spec.get(k) for k in ("kind", "widths", "activation", "init",
                                                     "init_scale", "batchnorm", "skip")},
            "bn_policy": cfg.bn_policy if model.n_bn else None}
