"""Shared by the benchmark scripts: the machine's own float32 matmul peak, measured in-run."""

from __future__ import annotations

import time


def matmul_peak(n: int = 2048, repeats: int = 7) -> dict:
    """Best-of-``repeats`` float32 GFLOP/s of an n×n matmul, with numpy and with JAX."""
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


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
