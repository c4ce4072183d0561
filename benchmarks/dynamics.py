"""Ball dynamics throughput on the reference MLP (64-64-64 ReLU, digits, batch 64).

Prints, for each ball count: steps/s, ball-steps/s and achieved GFLOP/s counting the nominal
forward + backward FLOPs of each ball's minibatch (3 × 2 × multiply-adds × batch), next to this
machine's float32 matmul peak measured in the same run (jit(a @ a), 2048², best of several)
and their ratio. Never asserts. Targets (issue 3): 200 balls ≥ 30 steps/s; 1000 balls ≥ 0.4 of
peak.

    .venv/bin/python benchmarks/dynamics.py                 # 200, 1000, 10000 balls
    .venv/bin/python benchmarks/dynamics.py --balls 1000 --generic   # the per-ball vmap path
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    f = jax.jit(lambda m: m @ m)
    f(a).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f(a).block_until_ready()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--balls", default="200,1000,10000")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--chunk", type=int, default=10, help="steps per advance() call")
    p.add_argument("--seconds", type=float, default=4.0, help="time budget per ball count")
    p.add_argument("--generic", action="store_true", help="per-ball vmap instead of stacked")
    p.add_argument("--rows", type=int, default=None, help="rows per lax.map chunk")
    p.add_argument("--devices", type=int, default=None,
                   help="host devices to expose (sets XLA_FLAGS before JAX starts)")
    args = p.parse_args(argv)
    if args.devices:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={args.devices}")
    import jax

    from landscape import gradnorms
    from landscape.config import LandscapeConfig, build_surface, plane_from_surface, task_from_surface
    from landscape.dynamics import BallGroup, Simulator

    cfg = LandscapeConfig(grid=51)
    t0 = time.perf_counter()
    s, _ = build_surface(cfg, progress=False)
    task, plane = task_from_surface(s), plane_from_surface(s)
    print(f"reference surface ready in {time.perf_counter() - t0:.1f} s; "
          f"{jax.device_count()} JAX device(s), {os.cpu_count()} CPU(s)")
    macs = task.model.macs_per_sample
    peak = matmul_peak()
    print(f"float32 matmul peak (jit a@a, 2048²): {peak:.1f} GFLOP/s")
    path = "generic vmap" if args.generic else "stacked"
    for n in [int(v) for v in args.balls.split(",")]:
        kw = {"rows_per_chunk": args.rows} if args.rows else {}
        sim = Simulator(task, plane, s, [BallGroup(n=n, lr=0.1, batch_size=args.batch)],
                        key=jax.random.key(0), stacked=not args.generic, **kw)
        t = time.perf_counter()
        sim.advance(args.chunk)
        t_compile = time.perf_counter() - t
        steps, t = 0, time.perf_counter()
        while True:
            sim.advance(args.chunk)
            steps += args.chunk
            el = time.perf_counter() - t
            if el > args.seconds:
                break
        sps = steps / el
        flops = 3 * 2 * macs * args.batch * n * sps
        peak_now = matmul_peak(repeats=5)
        print(f"{n:6d} balls ({path}): {sps:8.1f} steps/s  {n * sps:11.0f} ball-steps/s  "
              f"{flops / 1e9:7.1f} GFLOP/s  = {flops / 1e9 / peak:.2f} of peak "
              f"(peak re-measured after: {peak_now:.0f})  [first call incl. compile "
              f"{t_compile:.1f} s, compilations {sim.compilations}]")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
