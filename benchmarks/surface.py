"""Surface throughput on the reference case, against this machine's own matmul peak.

Reference: MLP 64-64-64 ReLU (He init) trained on all 1797 digits; filter-normalized random
plane; the loss on the whole evaluation set at every grid point. FLOPs count the *plain*
forward pass: 2 × 12,928 multiply-adds × 1797 samples per point (the first-layer precompute
makes the real work smaller; that is the point of it).

    python benchmarks/surface.py            # 101×101, then a 401×401 memory run
    python benchmarks/surface.py --grid 201 --no-big
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from landscape.cli import configure_devices  # noqa: E402

configure_devices()  # one JAX device per core, as the CLI does

import jax  # noqa: E402

from common import matmul_peak, peak_rss_mib  # noqa: E402
from landscape.config import LandscapeConfig  # noqa: E402
from landscape.surface import compute_surface  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=101)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-big", action="store_true", help="skip the 401×401 memory run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    cfg = LandscapeConfig()
    t0 = time.perf_counter()
    task = cfg.build_task()
    t_train = time.perf_counter() - t0
    plane = cfg.build_plane(task)
    flops_pt = 2 * task.model.macs_per_sample * task.data.x_eval.shape[0]
    peak = matmul_peak()
    res = {"devices": [str(d) for d in jax.devices()], "train_seconds": t_train,
           "flops_per_point": flops_pt, **peak}
    best = None
    for _ in range(args.repeats):
        s = compute_surface(task, plane, span=1.0, resolution=args.grid, progress=False)
        pps = s.meta["points_per_second"]
        best = pps if best is None else max(best, pps)
        res.setdefault("runs", []).append({"points_per_second": pps, **s.meta["seconds"]})
    gflops = best * flops_pt / 1e9
    peak2 = matmul_peak()  # again after: the machine may be shared; the ratio uses the best
    res["peak_gflops_after"] = peak2["peak_gflops"]
    top = max(peak["peak_gflops"], peak2["peak_gflops"])
    res.update({"grid": args.grid, "points_per_second": best, "gflops": gflops,
                "peak_gflops_best": top, "ratio_to_peak": gflops / top})
    if not args.no_big:
        rss0 = peak_rss_mib()
        t = time.perf_counter()
        big = compute_surface(task, plane, span=1.0, resolution=401, progress=False)
        res["big"] = {"grid": 401, "seconds": time.perf_counter() - t,
                      "points_per_second": big.meta["points_per_second"],
                      "peak_rss_mib_before": rss0, "peak_rss_mib": peak_rss_mib()}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"devices: {len(res['devices'])} × {res['devices'][0]}")
    print(f"matmul peak (float32, 2048²): numpy {peak['numpy_gflops']:.0f}, jax {peak['jax_gflops']:.0f} "
          f"GFLOP/s; after the run {res['peak_gflops_after']:.0f} (ratios use the best)")
    print(f"surface {args.grid}×{args.grid}: {best:,.0f} points/s, {gflops:.0f} GFLOP/s "
          f"(plain-forward FLOPs, {flops_pt / 1e6:.1f} MFLOP/point) = {res['ratio_to_peak']:.2f} of peak")
    for r in res["runs"]:
        print(f"  run: {r['points_per_second']:,.0f} points/s, compile+first block "
              f"{r['compile_and_first_block']:.2f} s, grid {r['grid']:.2f} s")
    if "big" in res:
        b = res["big"]
        print(f"surface 401×401: {b['seconds']:.1f} s, {b['points_per_second']:,.0f} points/s, "
              f"peak RSS {b['peak_rss_mib']:.0f} MiB (before: {b['peak_rss_mib_before']:.0f} MiB)")


if __name__ == "__main__":
    main()
