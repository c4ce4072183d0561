"""Surface throughput against this machine's own matmul peak, measured in the same run.

Cases, each in a fresh process (so its peak RSS is the memory of that run alone):

* ``reference``: MLP 64-64-64 ReLU (He init) trained on all 1797 digits, filter-normalized
  random plane, 101×101 (``--grid``), the loss on the whole evaluation set at every point;
* ``big``: the same at 401×401, for memory;
* ``cnn``: the built-in CNN (8, 16 channels) on digits at 31×31 (first conv precomputed);
* ``batched``: a 60,000 × 784 evaluation set (synthetic) through an MLP 784-256-256-10, 9×9,
  accumulated over evaluation batches;
* ``transformer``: the built-in transformer (2 blocks of d = 64, 4 heads, pre-LN) trained on
  ``a + b mod 97`` (all 9,409 pairs evaluated, sequences of 3 tokens), 31×31, attention
  included in the FLOP counts; beside it the same surface computed by a *plain per-point loop*
  (a jitted forward on the whole evaluation set, called once per grid point from Python with
  θ(a, b) formed on the host: what a PyTorch loop over the grid does), on the first 64 points,
  its losses compared with the engine's. (PyTorch itself is not installed here: its wheel
  brings the CUDA libraries.)

Two FLOP counts per grid point (`landscape.flops.surface_flops`), both printed and named:

* *executed*: what runs after the first-layer precompute — forming θ(a, b), combining the three
  precomputed first-layer products, the rest of the network — plus each block's share of the
  precompute itself; XLA's own count of the compiled point function is printed beside;
* *plain-forward equivalent*: 2 × multiply-adds × samples, what a plain forward pass would
  execute (the figure other tools are quoted in).

Ratios use the best matmul peak measured before, between and after the cases.

    python benchmarks/surface.py              # every case
    python benchmarks/surface.py --quick      # the reference case only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def build_case(name: str):
    """``(task, plane, grid, compute_surface kwargs)`` of one case."""
    import jax
    import numpy as np

    from landscape import data, nets, planes, training
    from landscape.pipeline import LandscapeConfig

    if name in ("reference", "big"):
        cfg = LandscapeConfig()
        task = cfg.build_task()
        return task, cfg.build_plane(task), {}
    if name == "cnn":
        cfg = LandscapeConfig(model="cnn", widths=(8, 16), train_steps=100)
        task = cfg.build_task()
        return task, cfg.build_plane(task), {"block": 256}
    if name == "batched":
        rng = np.random.default_rng(0)
        x = rng.standard_normal((60000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 60000).astype(np.int32)
        m = nets.mlp((256, 256), n_in=784, n_out=10)
        task = training.task_from_params(m, data.Dataset("synthetic", x, y, x, y, 10),
                                      m.init(key=jax.random.key(0)))
        # blocks of 27 points, so the rate excludes compilation (the first block)
        return task, planes.random_plane(task, key=jax.random.key(1)), {"block": 27}
    if name == "transformer":
        cfg = LandscapeConfig(model="transformer", dataset="modular", modulus=97,
                              widths=(64, 64), heads=4, train_steps=300)
        task = cfg.build_task()
        # blocks of 62 points, so the rate excludes compilation (the first block)
        return task, cfg.build_plane(task), {"block": 62}
    raise SystemExit(f"unknown case {name}")


GRIDS = {"big": 401, "cnn": 31, "batched": 9, "transformer": 31}


def plain_loop(task, plane, surface, n_points: int = 64) -> dict:
    """The first ``n_points`` of ``surface``'s grid by a plain loop: θ(a, b) on the host, one
    jitted forward of the whole evaluation set per point. Returns its points/s and its largest
    difference from the engine's losses (``surface``) at the same points."""
    import time

    import jax
    import numpy as np

    loss_fn = task.loss_fn()
    x, y = task.data.x_eval, task.data.y_eval
    f = jax.jit(lambda th: loss_fn(th, x, y)[0])
    theta, d1, d2 = (np.asarray(v, np.float32) for v in (task.theta, plane.d1, plane.d2))
    pts = [(a, b) for a in surface.alphas for b in surface.betas][:n_points]
    nb = len(surface.betas)
    f(theta).block_until_ready()                       # compiled before the clock starts
    t0 = time.perf_counter()
    mine = [float(f(theta + a * d1 + b * d2)) for a, b in pts]
    rate = len(pts) / (time.perf_counter() - t0)
    ref = [float(surface.loss[k // nb, k % nb]) for k in range(len(pts))]
    out = {"points_per_second": rate, "n_points": len(pts),
           "max_rel_diff": max(abs(m - r) / max(abs(r), 1e-12) for m, r in zip(mine, ref))}
    return out


def worker(name: str, grid: int, repeats: int) -> dict:
    """One case in this (fresh) process: points/s of each run, FLOP counts and peak RSS."""
    from landscape.cli import configure_devices

    configure_devices()  # one JAX device per core, as the CLI does
    import jax
    import jax.numpy as jnp
    from common import peak_rss_mib

    from landscape.flops import surface_flops, xla_flops
    from landscape.surface import compute_surface, point_fn

    task, plane, kw = build_case(name)
    runs = []
    for _ in range(repeats):
        s = compute_surface(task, plane, span=1.0, resolution=grid, progress=False, **kw)
        runs.append({"points_per_second": s.meta["points_per_second"], **s.meta["seconds"]})
    n = int(task.data.x_eval.shape[0])
    out = {"case": name, "grid": grid, "runs": runs, "devices": [str(d) for d in jax.devices()],
           "flops": surface_flops(task.model, n, s.meta.get("block")),
           "batch_size": s.meta.get("batch_size"), "eval_batch": s.meta.get("eval_batch"),
           "peak_rss_mib": peak_rss_mib()}
    if name == "transformer":
        out["plain_loop"] = plain_loop(task, plane, s)
    if name == "reference":
        out["xla_flops_per_point"] = xla_flops(point_fn(task, plane), jnp.zeros(2, jnp.float32))
    return out


def run_fresh(name: str, grid: int, repeats: int) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name,
                          "--grid", str(grid), "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=101, help="the reference case's grid")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="the reference case only")
    ap.add_argument("--case", default=None, help="one case only (reference, cnn, batched, big, "
                    "transformer)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.grid, args.repeats)))
        return

    from landscape.flops import matmul_peak

    peaks = [matmul_peak()["peak_gflops"]]
    if args.case is not None:
        cases = {args.case: run_fresh(args.case, GRIDS.get(args.case, args.grid), args.repeats)}
    else:
        cases = {"reference": run_fresh("reference", args.grid, args.repeats)}
    peaks.append(matmul_peak()["peak_gflops"])
    if not args.quick and args.case is None:
        for name in ("cnn", "batched", "big", "transformer"):
            cases[name] = run_fresh(name, GRIDS[name], 1 if name in ("batched", "big")
                                    else args.repeats)
            peaks.append(matmul_peak()["peak_gflops"])
    top = max(peaks)               # the machine may be shared: the ratio uses the best
    for c in cases.values():
        pps = [r["points_per_second"] for r in c["runs"]]
        c["best"], c["median"] = max(pps), statistics.median(pps)
        for kind in ("executed", "plain_forward"):
            for k in ("best", "median"):
                g = c[k] * c["flops"][kind] / 1e9
                c[f"{kind}_gflops_{k}"], c[f"{kind}_ratio_{k}"] = g, g / top
    res = {"peaks_gflops": peaks, "peak_gflops": top, "load_average": os.getloadavg()[0],
           "cases": cases}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    ref = next(iter(cases.values()))
    print(f"devices: {len(ref['devices'])} × {ref['devices'][0]}; load average "
          f"{res['load_average']:.1f} on {os.cpu_count()} cores")
    print(f"float32 matmul peak (2048², best of numpy and jit): "
          f"{', '.join(f'{p:.0f}' for p in peaks)} GFLOP/s in this run; ratios use the best, "
          f"{top:.0f}")
    if ref.get("xla_flops_per_point"):
        print(f"reference: XLA counts {ref['xla_flops_per_point'] / 1e6:.1f} MFLOP per point "
              f"(the point function, with the elementwise work)")
    for name, c in cases.items():
        fl = c["flops"]
        print(f"{name} {c['grid']}×{c['grid']} (points vmapped {c['batch_size']}, eval batch "
              f"{c['eval_batch']}): best {c['best']:,.0f} points/s, median {c['median']:,.0f}; "
              f"peak RSS {c['peak_rss_mib']:.0f} MiB")
        print(f"  executed ({fl['executed'] / 1e6:.1f} MFLOP/point): "
              f"{c['executed_gflops_median']:.0f} GFLOP/s = {c['executed_ratio_median']:.2f} of "
              f"peak (best {c['executed_ratio_best']:.2f})")
        print(f"  plain-forward equivalent ({fl['plain_forward'] / 1e6:.1f} MFLOP/point): "
              f"{c['plain_forward_gflops_median']:.0f} GFLOP/s = "
              f"{c['plain_forward_ratio_median']:.2f} of peak (best "
              f"{c['plain_forward_ratio_best']:.2f})")
        if "plain_loop" in c:
            pl = c["plain_loop"]
            print(f"  plain per-point loop ({pl['n_points']} points, a jitted forward each): "
                  f"{pl['points_per_second']:,.1f} points/s; the engine is "
                  f"{c['median'] / pl['points_per_second']:.1f}× faster (median); largest "
                  f"relative difference of the losses {pl['max_rel_diff']:.1e}")
        for r in c["runs"]:
            print(f"    run: {r['points_per_second']:,.0f} points/s, compile+first block "
                  f"{r['compile_and_first_block']:.2f} s, rest {r['grid']:.2f} s")


if __name__ == "__main__":
    main()
