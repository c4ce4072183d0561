"""Surface throughput against this machine's own matmul peak, measured in the same run.

Reference: MLP 64-64-64 ReLU (He init) trained on all 1797 digits; filter-normalized random
plane; the loss on the whole evaluation set at every grid point. Two FLOP counts, both printed:

* plain-forward: 2 × 12,928 multiply-adds × 1797 samples per point (what a naive per-point loop
  would execute);
* executed: what actually runs after the first-layer precompute, 2 × (12,928 − 4,096) multiply-adds
  per sample per point, plus the three first-layer products once per block.

Also: the built-in CNN (8, 16 channels) on digits at 31×31 (first conv precomputed, one point per
conv call), and a batched evaluation set (60,000 × 784 synthetic, MLP 784-256-256-10).

    python benchmarks/surface.py            # 101×101 reference ×3, CNN 31×31 ×3, 60k batched 9×9
    python benchmarks/surface.py --grid 201 --quick
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from landscape.cli import configure_devices  # noqa: E402

configure_devices()  # one JAX device per core, as the CLI does

import jax  # noqa: E402
import numpy as np  # noqa: E402

from common import matmul_peak, peak_rss_mib  # noqa: E402
from landscape import data, directions, models, train  # noqa: E402
from landscape.config import LandscapeConfig  # noqa: E402
from landscape.surface import compute_surface  # noqa: E402


def measure(task, plane, grid, repeats, **kw):
    runs = []
    for _ in range(repeats):
        s = compute_surface(task, plane, span=1.0, resolution=grid, progress=False, **kw)
        runs.append({"points_per_second": s.meta["points_per_second"], **s.meta["seconds"]})
    pps = [r["points_per_second"] for r in runs]
    return {"grid": grid, "runs": runs, "best": max(pps), "median": statistics.median(pps),
            "flops_plain": s.meta["flops_per_point"], "flops_executed": s.meta["executed_flops_per_point"],
            "batch_size": s.meta["batch_size"], "eval_batch": s.meta["eval_batch"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=101)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="reference case only")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    peaks = [matmul_peak()["peak_gflops"]]
    cfg = LandscapeConfig()
    task = cfg.build_task()
    plane = cfg.build_plane(task)
    res = {"devices": [str(d) for d in jax.devices()], "cases": {}}
    res["cases"]["reference"] = measure(task, plane, args.grid, args.repeats)
    if not args.quick:
        c = LandscapeConfig(model="cnn", widths=(8, 16), train_steps=100)
        ct = c.build_task()
        res["cases"]["cnn_31"] = measure(ct, c.build_plane(ct), 31, args.repeats, block=256)
        rng = np.random.default_rng(0)
        x = rng.standard_normal((60000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 60000).astype(np.int32)
        m = models.mlp((256, 256), n_in=784, n_out=10)
        bt = train.task_from_params(m, data.Dataset("synthetic", x, y, x, y, 10),
                                    m.init(key=jax.random.key(0)))
        # 9×9 in blocks of 27 points, so the rate excludes compilation (the first block)
        res["cases"]["batched_60k"] = measure(bt, directions.random_plane(bt, key=jax.random.key(1)),
                                              9, 1, block=27)
        res["cases"]["batched_60k"]["peak_rss_mib"] = peak_rss_mib()
    peaks.append(matmul_peak()["peak_gflops"])
    top = max(peaks)
    res["peak_gflops"] = peaks
    for name, c in res["cases"].items():
        for k in ("best", "median"):
            c[f"gflops_executed_{k}"] = c[k] * c["flops_executed"] / 1e9
            c[f"gflops_plain_{k}"] = c[k] * c["flops_plain"] / 1e9
            c[f"ratio_executed_{k}"] = c[f"gflops_executed_{k}"] / top
            c[f"ratio_plain_{k}"] = c[f"gflops_plain_{k}"] / top
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"devices: {len(res['devices'])} × {res['devices'][0]}")
    print(f"float32 matmul peak (2048², best of numpy/jax): before {peaks[0]:.0f}, after "
          f"{peaks[1]:.0f} GFLOP/s; ratios use the best, {top:.0f}")
    for name, c in res["cases"].items():
        print(f"{name} {c['grid']}×{c['grid']} (points vmapped {c['batch_size']}, eval batch "
              f"{c['eval_batch']}): best {c['best']:,.0f} points/s, median {c['median']:,.0f}")
        print(f"  executed FLOPs ({c['flops_executed'] / 1e6:.1f} MFLOP/point): best "
              f"{c['gflops_executed_best']:.0f} GFLOP/s = {c['ratio_executed_best']:.2f} of peak, "
              f"median {c['ratio_executed_median']:.2f}")
        print(f"  plain-forward FLOPs ({c['flops_plain'] / 1e6:.1f} MFLOP/point): best "
              f"{c['gflops_plain_best']:.0f} GFLOP/s = {c['ratio_plain_best']:.2f} of peak, "
              f"median {c['ratio_plain_median']:.2f}")
        for r in c["runs"]:
            print(f"    run: {r['points_per_second']:,.0f} points/s, compile+first block "
                  f"{r['compile_and_first_block']:.2f} s, rest {r['grid']:.2f} s, total {r['total']:.2f} s")
        if "peak_rss_mib" in c:
            print(f"  peak RSS of the benchmark process: {c['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
