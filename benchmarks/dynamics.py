"""Ball dynamics throughput on the reference MLP (64-64-64 ReLU, digits, batch 64).

For each ball count: steps/s of the *median* chunk (``--chunk`` steps per ``advance`` call;
the best is shown beside it), ball-steps/s, and the GFLOP/s the stacked path *executes*
(`landscape.flops.stacked_step_flops`: a chunk is ``chunk − 1`` lean steps and one recorded
step that forms every ball's weight gradient; XLA's own count of the compiled measure is
printed as a check), next to this machine's float32 matmul peak measured in the same run (the
best of several measurements; the machine is shared) and their ratio. The nominal count
(3 × 2 × multiply-adds × batch: a plain forward and backward pass per ball) is shown as
"nominal equivalent". A clipped group forms the weight gradients on every step; it is timed
too. Never asserts. Targets (issue 3): 200 balls ≥ 30 steps/s; 1000 balls ≥ 0.4 of peak.

    .venv/bin/python benchmarks/dynamics.py                 # 200, 1000, 10000 balls
    .venv/bin/python benchmarks/dynamics.py --balls 1000 --generic-balls '' --clipped-balls ''
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--balls", default="200,1000,10000")
    p.add_argument("--generic-balls", default="200,1000",
                   help="ball counts to also time on the generic per-ball vmap path ('' for none)")
    p.add_argument("--clipped-balls", default="1000",
                   help="ball counts to also time with clip_norm (full steps every step)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--chunk", type=int, default=10, help="steps per advance() call")
    p.add_argument("--seconds", type=float, default=4.0, help="time budget per ball count")
    p.add_argument("--rows", type=int, default=None, help="rows per lax.map chunk")
    p.add_argument("--devices", type=int, default=None,
                   help="host devices to expose (sets XLA_FLAGS before JAX starts)")
    args = p.parse_args(argv)
    if args.devices:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={args.devices}")
    else:
        from landscape.cli import configure_devices

        configure_devices()            # as the CLI runs: one host device per core
    import jax
    import jax.numpy as jnp

    from landscape.balls import BallGroup, Simulator, stacked_consts, stacked_measure
    from landscape.flops import matmul_peak, stacked_step_flops, xla_flops
    from landscape.pipeline import (
        LandscapeConfig,
        build_surface,
        plane_from_surface,
        task_from_surface,
    )

    cfg = LandscapeConfig(grid=51)
    t0 = time.perf_counter()
    s, _ = build_surface(cfg, progress=False)
    task, plane = task_from_surface(s), plane_from_surface(s)
    print(f"reference surface ready in {time.perf_counter() - t0:.1f} s; "
          f"{jax.device_count()} JAX device(s), {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} (a shared machine: figures are noisy)")
    spec, B, K = task.model.spec, args.batch, args.chunk
    lean, full = stacked_step_flops(spec, B, False), stacked_step_flops(spec, B, True)
    nominal = 6 * task.model.macs_per_sample * B
    c = 8
    ab, idx = jnp.zeros((c, 2)), jnp.zeros((c, B), jnp.int32)
    consts = stacked_consts(task, plane)
    x_full = xla_flops(stacked_measure(task), consts, ab, idx, True, static_argnums=3)
    x_both = xla_flops(stacked_measure(task), consts, ab, idx, False, static_argnums=3)
    per_chunk = (K - 1) * lean + full
    print(f"executed FLOPs per ball-step (stacked): lean {lean / 1e6:.2f} M, recorded {full / 1e6:.2f} M"
          + (f" (XLA: {(x_both - x_full) / c / 1e6:.2f} M, {x_full / c / 1e6:.2f} M)"
             if x_full and x_both else "")
          + f"; a chunk of {K} = {per_chunk / K / 1e6:.2f} M per step; nominal forward+backward "
          f"equivalent 3 × 2 × {task.model.macs_per_sample} MACs × {B} = {nominal / 1e6:.2f} M")
    peaks = [matmul_peak()["peak_gflops"]]
    print(f"float32 matmul peak (numpy / jit a@a, 2048², best of 7): {peaks[0]:.1f} GFLOP/s")
    rows = []
    runs = [(n, "stacked") for n in _ints(args.balls)] + \
        [(n, "generic") for n in _ints(args.generic_balls)] + \
        [(n, "clipped") for n in _ints(args.clipped_balls)]
    for n, kind in runs:
        kw = {"rows_per_chunk": args.rows} if args.rows else {}
        clip = {"clip_norm": 1.0} if kind == "clipped" else {}
        sim = Simulator(task, plane, s, [BallGroup(n=n, lr=0.1, batch_size=B, **clip)],
                        key=jax.random.key(0), stacked=kind != "generic", **kw)
        t = time.perf_counter()
        sim.advance(K)
        t_compile = time.perf_counter() - t
        c0 = sim.compilations
        times = []
        t_all = time.perf_counter()
        while time.perf_counter() - t_all < args.seconds or len(times) < 3:
            t = time.perf_counter()
            sim.advance(K)
            times.append(time.perf_counter() - t)
        recompiled = sim.compilations - c0
        peaks.append(matmul_peak(repeats=5)["peak_gflops"])
        times.sort()
        med, best = K / times[len(times) // 2], K / times[0]
        flops_step = full if kind == "clipped" else per_chunk / K
        gflops = flops_step * n * med / 1e9 if kind != "generic" else None
        rows.append((n, kind, med, best, gflops, nominal * n * med / 1e9))
        print(f"{n:6d} balls ({kind}): median chunk {med:7.1f} steps/s (best {best:.1f}; "
              f"{len(times)} chunks), {n * med:9.0f} ball-steps/s"
              + (f", executed {gflops:6.1f} GFLOP/s" if gflops is not None else "")
              + f"; first chunk incl. compile {t_compile:.1f} s; recompiles after: {recompiled}")
        sys.stdout.flush()
    peak = max(peaks)
    print(f"\nmatmul peak, best over {len(peaks)} measurements in this run: {peak:.1f} GFLOP/s "
          f"(range {min(peaks):.0f}–{peak:.0f})")
    for n, kind, med, best, gflops, nom in rows:
        ex = f"executed {gflops:6.1f} GFLOP/s = {gflops / peak:.2f} of peak; " if gflops else ""
        print(f"  {n:6d} balls {kind:8s} {med:7.1f} steps/s (median)  {ex}nominal equivalent "
              f"{nom:6.1f} GFLOP/s = {nom / peak:.2f}")
    for n, kind, med, best, gflops, nom in rows:
        if kind == "stacked" and n == 200:
            print(f"target 200 balls ≥ 30 steps/s: {med:.1f} ({'met' if med >= 30 else 'NOT met'})")
        if kind == "stacked" and n == 1000:
            print(f"target 1000 balls ≥ 0.4 of peak (executed): {gflops / peak:.2f} "
                  f"({'met' if gflops / peak >= 0.4 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
