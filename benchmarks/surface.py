"""Surface throughput on the reference case, against this machine's own matmul peak.

Reference: MLP 64-64-64 ReLU (He init) trained on all 1797 digits; filter-normalized random
plane; the loss on the whole evaluation set at every grid point.

Two FLOP counts are reported (`landscape.flops.surface_flops`), both per grid point:
* *executed*: what runs after the first-layer precompute — forming θ(a, b), combining the three
  precomputed first-layer products, and the rest of the network (8,832 + 128 of the 12,928
  multiply-adds per sample); XLA's own count of the compiled point function is printed beside;
* *plain-forward equivalent*: 2 × 12,928 multiply-adds × 1797 samples, what a plain forward
  pass would execute (the figure other tools are quoted in).
Each configuration runs in a fresh process, so its peak RSS is the memory of that run alone.

    python benchmarks/surface.py            # 101×101 (3 runs), then a 401×401 memory run
    python benchmarks/surface.py --grid 201 --no-big
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def worker(grid: int, repeats: int) -> dict:
    """One configuration, in this (fresh) process: points/s of each run and peak RSS."""
    from landscape.cli import configure_devices

    configure_devices()  # one JAX device per core, as the CLI does
    import jax
    import jax.numpy as jnp

    from common import peak_rss_mib
    from landscape.config import LandscapeConfig
    from landscape.flops import surface_flops, xla_flops
    from landscape.surface import compute_surface, point_fn

    cfg = LandscapeConfig()
    t0 = time.perf_counter()
    task = cfg.build_task()
    t_train = time.perf_counter() - t0
    plane = cfg.build_plane(task)
    runs = []
    for _ in range(repeats):
        s = compute_surface(task, plane, span=1.0, resolution=grid, progress=False)
        runs.append({"points_per_second": s.meta["points_per_second"], **s.meta["seconds"]})
    n = int(task.data.x_eval.shape[0])
    return {"grid": grid, "runs": runs, "train_seconds": t_train,
            "devices": [str(d) for d in jax.devices()],
            "flops": surface_flops(task.model, n),
            "xla_flops_per_point": xla_flops(point_fn(task, plane), jnp.zeros(2, jnp.float32)),
            "peak_rss_mib": peak_rss_mib()}


def run_fresh(grid: int, repeats: int) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", str(grid),
                          "--repeats", str(repeats)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=101)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-big", action="store_true", help="skip the 401×401 memory run")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return

    from landscape.flops import matmul_peak

    peaks = [matmul_peak()]
    res = {"main": run_fresh(args.grid, args.repeats)}
    peaks.append(matmul_peak())            # the machine is shared: the ratio uses the best
    if not args.no_big:
        res["big"] = run_fresh(401, 1)
        peaks.append(matmul_peak())
    top = max(p["peak_gflops"] for p in peaks)
    res["peaks_gflops"] = [p["peak_gflops"] for p in peaks]
    res["peak_gflops"] = top
    for r in res.values():
        if not isinstance(r, dict) or "runs" not in r:
            continue
        pps = sorted(x["points_per_second"] for x in r["runs"])
        r["points_per_second_best"], r["points_per_second_median"] = pps[-1], pps[len(pps) // 2]
        for kind in ("executed", "plain_forward"):
            g = r["points_per_second_median"] * r["flops"][kind] / 1e9
            r[f"{kind}_gflops"], r[f"{kind}_ratio_to_peak"] = g, g / top
    if args.json:
        print(json.dumps(res, indent=2))
        return
    m = res["main"]
    fl = m["flops"]
    print(f"devices: {len(m['devices'])} × {m['devices'][0]}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine: figures are noisy)")
    print(f"matmul peak (float32, 2048², best of numpy and jit): "
          f"{', '.join(f'{p:.0f}' for p in res['peaks_gflops'])} GFLOP/s in this run; ratios "
          f"use the best, {top:.0f}")
    print(f"FLOPs per grid point: executed {fl['executed'] / 1e6:.1f} M (XLA counts "
          f"{m['xla_flops_per_point'] / 1e6:.1f} M, with the elementwise work); plain-forward "
          f"equivalent {fl['plain_forward'] / 1e6:.1f} M; first-layer precompute "
          f"{fl['precompute'] / 1e6:.1f} M once per grid")
    for key, r in res.items():
        if not isinstance(r, dict) or "runs" not in r:
            continue
        g = r["grid"]
        print(f"surface {g}×{g} (fresh process): {r['points_per_second_median']:,.0f} points/s "
              f"median of {len(r['runs'])} (best {r['points_per_second_best']:,.0f}); "
              f"executed {r['executed_gflops']:.0f} GFLOP/s = {r['executed_ratio_to_peak']:.2f} "
              f"of peak; plain-forward equivalent {r['plain_forward_gflops']:.0f} GFLOP/s = "
              f"{r['plain_forward_ratio_to_peak']:.2f}; peak RSS {r['peak_rss_mib']:.0f} MiB")
        for x in r["runs"]:
            print(f"    run: {x['points_per_second']:,.0f} points/s, compile+first block "
                  f"{x['compile_and_first_block']:.2f} s, grid {x['grid']:.2f} s")


if __name__ == "__main__":
    main()
