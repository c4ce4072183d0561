"""FLOP accounting: what the surface and the ball steps actually execute, beside the plain
forward-pass equivalents they are often quoted in, and this machine's float32 matmul peak
(every throughput figure is reported as a ratio to a peak measured in the same run).

Counts are of multiply-adds × 2 in the matmuls and the linear combinations that replace them;
elementwise work (activations, the loss, batch norm) is left out, as in the usual accounting.
`xla_flops` gives XLA's own count of a compiled function, to check these against.
"""

from __future__ import annotations

import time


def first_layer(model) -> tuple[int, int] | None:
    """``(multiply-adds, outputs)`` per sample of a built-in model's first layer, which the
    surface precomputes for the whole grid (``None``: no precompute for this model)."""
    spec = model.spec
    if model.first_fn is None:
        return None
    if spec.get("kind") == "mlp":
        return spec["n_in"] * spec["widths"][0], spec["widths"][0]
    if spec.get("kind") == "cnn":
        h, w = spec["image_shape"]
        c0 = spec["channels"][0]
        return h * w * 9 * c0, h * w * c0
    if spec.get("kind") == "transformer":   # token + position embedding: a gather and an add
        out = spec["seq_len"] * spec["widths"][0]
        return out, out
    return None


def surface_flops(model, n_samples: int, block_points: int | None = None) -> dict:
    """FLOPs of one grid point of `landscape.surface.compute_surface` on ``n_samples``.

    Returns ``{"plain_forward", "executed", "precompute"}``: the plain forward pass at θ(a, b)
    (``2 × multiply-adds × samples``); what runs per point after the first-layer precompute
    (forming ``θ* + a·d1 + b·d2`` over all P weights, ``z0 = P0 + a·P1 + b·P2``, then the rest
    of the network); and the precompute itself (three first-layer products of the evaluation
    set). The engine repeats the precompute for every block of ``block_points`` points (its
    products are shared by the block's points): given ``block_points``, ``executed`` includes
    that share, ``precompute / block_points``.
    """
    plain = 2 * model.macs_per_sample * n_samples
    first = first_layer(model)
    if first is None:
        return {"plain_forward": plain, "executed": plain, "precompute": 0}
    macs0, out0 = first
    per_sample = 2 * (model.macs_per_sample - macs0) + 4 * out0
    pre = 3 * 2 * macs0 * n_samples
    executed = per_sample * n_samples + 4 * model.n_params
    if block_points:
        executed += pre / max(1, int(block_points))
    return {"plain_forward": plain, "executed": executed, "precompute": pre}


def stacked_step_flops(spec: dict, batch: int, full: bool) -> int:
    """FLOPs of one ball's step on the stacked path (`landscape.balls._stacked`) with minibatch
    ``batch``: lean (``full=False``: no weight gradients formed) or full (recorded steps and
    clipped groups: each layer's ``Hᵀδ``, its dot products with the directions and its norm).

    Forward: the first layer mixes three gathered table rows (4 FLOPs per output); every other
    layer forms ``W(a, b)`` (4 per weight) and multiplies (2·B per weight). Backward: the
    stacked product ``δ·[W*ᵀ | D1ᵀ | D2ᵀ]`` (6·B per weight), its mix into ``∂L/∂H`` (4·B per
    input) and, lean, the two reductions for ``∂L/∂(a, b)`` (6·B per input, over all three
    thirds); full, ``Hᵀδ`` (2·B per weight), ``Σ G∘D1, Σ G∘D2`` (4 per weight) and the scaled
    norm (about 5 per weight) for every layer including the first.
    """
    dims = [spec["n_in"]] + list(spec["widths"]) + [spec["n_out"]]
    B = int(batch)
    layers = list(zip(dims[:-1], dims[1:]))
    n0 = layers[0][1]
    f = 4 * B * n0                                            # first layer: mix
    for i, o in layers[1:]:
        f += 4 * i * o + 2 * B * i * o                        # form W(a, b); matmul
        f += 6 * B * i * o + 4 * B * i                        # stacked backward; ∂L/∂H mix
        if not full:
            f += 6 * B * i                                    # ∂L/∂(a, b) reductions
    if full:
        f += sum(2 * B * i * o + 4 * i * o + 5 * i * o for i, o in layers)
    else:
        f += 6 * B * n0                                       # first layer's reductions
    return int(f)


def xla_flops(fn, *args, static_argnums=()) -> float | None:
    """XLA's FLOP count of ``jax.jit(fn)(*args)`` as compiled here (``None`` if unavailable).
    It counts both branches of a ``lax.cond``."""
    import jax

    try:
        cost = jax.jit(fn, static_argnums=static_argnums).lower(*args).compile().cost_analysis()
    except Exception:  # a backend without cost analysis
        return None
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost["flops"]) if cost and "flops" in cost else None


def matmul_peak(n: int = 2048, repeats: int = 7) -> dict:
    """Best-of-``repeats`` float32 GFLOP/s of an n×n matmul, with numpy and with JAX; the
    denominator of every ratio we report (measure it in the same run as the figure)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    flops = 2 * n ** 3
    best_np = 0.0
    a @ a
    for _ in range(repeats):
        t = time.perf_counter()
        a @ a
        best_np = max(best_np, flops / (time.perf_counter() - t) / 1e9)
    aj = jnp.asarray(a)
    mm = jax.jit(lambda x: x @ x)
    mm(aj).block_until_ready()
    best_jax = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        mm(aj).block_until_ready()
        best_jax = max(best_jax, flops / (time.perf_counter() - t) / 1e9)
    return {"numpy_gflops": best_np, "jax_gflops": best_jax, "peak_gflops": max(best_np, best_jax)}
