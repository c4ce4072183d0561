"""Ball dynamics throughput on the reference MLP (64-64-64 ReLU, digits, batch 64).

Prints, for each ball count: steps/s, ball-steps/s and achieved GFLOP/s counting the nominal
forward + backward FLOPs of each ball's minibatch (3 × 2 × multiply-adds × batch), next to this
machine's float32 matmul peak measured in the same run (`common.matmul_peak`: the better of
numpy and jit(a @ a), 2048², best of several, re-measured after each ball count; the best of
these is the denominator) and their ratio. Never asserts. Targets (issue 3): 200 balls ≥ 30
steps/s; 1000 balls ≥ 0.4 of peak.

    .venv/bin/python benchmarks/dynamics.py                 # 200, 1000, 10000 balls
    .venv/bin/python benchmarks/dynamics.py --balls 1000 --generic-balls ''   # stacked only
"""

from __future__ import annotations

import argparse
import os
import sys
import time


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def matmul_peak(repeats: int = 7) -> float:
    from common import matmul_peak as peak

    return peak(repeats=repeats)["peak_gflops"]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--balls", default="200,1000,10000")
    p.add_argument("--generic-balls", default="200,1000",
                   help="ball counts to also time on the generic per-ball vmap path ('' for none)")
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
    peaks = [matmul_peak()]
    print(f"float32 matmul peak (numpy / jit a@a, 2048², best of 7): {peaks[0]:.1f} GFLOP/s")
    print(f"nominal FLOPs per ball-step: 3 × 2 × {macs} MACs × batch {args.batch} = "
          f"{6 * macs * args.batch / 1e6:.2f} MFLOP")
    rows = []
    runs = [(n, True) for n in _ints(args.balls)] + [(n, False) for n in _ints(args.generic_balls)]
    for n, stacked in runs:
        kw = {"rows_per_chunk": args.rows} if args.rows else {}
        sim = Simulator(task, plane, s, [BallGroup(n=n, lr=0.1, batch_size=args.batch)],
                        key=jax.random.key(0), stacked=stacked, **kw)
        t = time.perf_counter()
        sim.advance(args.chunk)
        t_compile = time.perf_counter() - t
        c0 = sim.compilations
        times = []
        t_all = time.perf_counter()
        while time.perf_counter() - t_all < args.seconds or len(times) < 2:
            t = time.perf_counter()
            sim.advance(args.chunk)
            times.append(time.perf_counter() - t)
        recompiled = sim.compilations - c0
        peaks.append(matmul_peak(repeats=5))
        best = args.chunk / min(times)
        med = args.chunk / float(sorted(times)[len(times) // 2])
        gflops = 6 * macs * args.batch * n * best / 1e9
        rows.append((n, stacked, best, med, gflops))
        print(f"{n:6d} balls ({'stacked' if stacked else 'generic vmap'}): {best:7.1f} steps/s "
              f"(median {med:.1f}), {n * best:9.0f} ball-steps/s, {gflops:6.1f} GFLOP/s; "
              f"first chunk incl. compile {t_compile:.1f} s; recompiles after: {recompiled}")
        sys.stdout.flush()
    peak = max(peaks)
    print(f"\nmatmul peak, best over {len(peaks)} measurements in this run: {peak:.1f} GFLOP/s "
          f"(range {min(peaks):.0f}–{peak:.0f}; the machine is shared, so figures are noisy)")
    for n, stacked, best, med, gflops in rows:
        print(f"  {n:6d} balls {'stacked' if stacked else 'generic':8s} {best:7.1f} steps/s  "
              f"{gflops:6.1f} GFLOP/s = {gflops / peak:.2f} of peak")
    for n, stacked, best, med, gflops in rows:
        if stacked and n == 200:
            print(f"target 200 balls ≥ 30 steps/s: {best:.1f} "
                  f"({'met' if best >= 30 else 'NOT met'})")
        if stacked and n == 1000:
            print(f"target 1000 balls ≥ 0.4 of peak: {gflops / peak:.2f} "
                  f"({'met' if gflops / peak >= 0.4 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
