"""``landscape surface``: train a network, pick a plane, compute its loss surface."""

from __future__ import annotations

import time

from landscape.cli._common import (
    add_model_args,
    add_output_args,
    check_output,
    config_from_args,
    human_flops,
    info,
    print_json,
)
from landscape.errors import LandscapeError


def register(sub) -> None:
    p = sub.add_parser("surface", help="compute a loss surface and save it (.npz)",
                       description="Train a network on bundled data, pick two directions and "
                                   "evaluate the loss on an N×N grid of the plane they span.")
    add_model_args(p)
    add_eval_args(p)
    add_output_args(p, "surface")
    p.add_argument("--peak", action="store_true",
                   help="with --json: also measure this machine's float32 matmul peak (a few "
                        "seconds) and report the achieved FLOP rates as ratios to it")
    p.set_defaults(func=run)


def add_eval_args(p) -> None:
    """Evaluation-set size, batching and resumable jobs."""
    g = p.add_argument_group("evaluation")
    g.add_argument("--eval-samples", type=int, default=None,
                   help="evaluate on a fixed random subset of N samples (seed-derived; stamped "
                        "in the file)")
    g.add_argument("--eval-batch", type=int, default=None,
                   help="samples per evaluation batch (default: chosen from free memory)")
    g.add_argument("--job-dir", default=None,
                   help="checkpoint completed blocks here; the same command resumes after an "
                        "interruption (default: in the cache; none with --no-cache)")
    g.add_argument("--embed-eval", default=None, action="store_true",
                   help="embed the evaluation set in the output file even when large "
                        "(default: embedded up to 32 MiB, else stored by content hash)")
    g.add_argument("--no-embed-eval", dest="embed_eval", action="store_false",
                   help="store only the evaluation set's content hash and how to regenerate it")


def run(args) -> int:
    t_start = time.perf_counter()
    cfg = config_from_args(args).replace(eval_samples=args.eval_samples,
                                        eval_batch=args.eval_batch).validate()
    out = check_output(args.output)
    if args.peak and not args.json:
        raise LandscapeError("--peak adds ratios to the --json summary; add --json or drop it")
    from landscape.flops import surface_flops
    from landscape.pipeline import build_surface

    d = cfg.build_data()
    m = cfg.build_model(d)
    if d.subset and not args.quiet:
        info(f"landscape: evaluating on a fixed random subset of {d.subset['size']:,} of "
             f"{d.subset['of']:,} samples (seed {d.subset['seed']})")
    n_pts = cfg.grid * cfg.grid
    per_point = surface_flops(m, int(d.x_eval.shape[0]))
    flops = n_pts * per_point["plain_forward"]
    if not args.quiet and n_pts >= 10_000:
        info(f"landscape: {cfg.grid}×{cfg.grid} = {n_pts:,} points × "
             f"{human_flops(2 * m.macs_per_sample * d.x_eval.shape[0])} = {human_flops(flops)}")
    s, timings = build_surface(cfg, cache=not args.no_cache, progress=None if not args.quiet else False,
                               log=(lambda line: None) if args.quiet else info,
                               job_dir=args.job_dir)
    if out:
        t0 = time.perf_counter()
        s.save(out, embed_eval=args.embed_eval)
        timings["save"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    summary = s.summary()
    pps = s.meta.get("points_per_second")
    rates = {}
    if pps and not timings.get("cached"):
        # FLOPs executed after the first-layer precompute, beside the plain-forward equivalent
        rates = {f"{k}_gflops": pps * per_point[k] / 1e9 for k in ("executed", "plain_forward")}
        if args.peak:
            from landscape.flops import matmul_peak

            peak = matmul_peak()["peak_gflops"]
            rates.update({"peak_gflops": peak,
                          **{f"{k}_ratio_to_peak": rates[f"{k}_gflops"] / peak
                             for k in ("executed", "plain_forward")}})
    summary.update({"config_hash": s.meta.get("config_hash"), "output": out,
                    "timings": timings, "surface_seconds": s.meta.get("seconds"),
                    "points_per_second": pps, "n_devices": s.meta.get("n_devices"),
                    "flops": {"total_plain_forward": flops,
                              "total_executed": n_pts * per_point["executed"]
                              + per_point["precompute"],
                              "per_point": per_point, **rates},
                    "resume": s.meta.get("resume"), "eval_set": s.meta.get("eval_set")})
    if args.json:
        print_json(summary)
    elif not args.quiet:
        src = "cache" if timings.get("cached") else f"{timings['total']:.1f} s"
        print(f"{summary['grid'][0]}×{summary['grid'][1]} surface ({src}): "
              f"center loss {summary['center_loss']:.4g}, min {summary['min_loss']:.4g}, "
              f"max {summary['max_loss']:.4g}, non-finite {summary['n_nonfinite']}"
              + (f" -> {out}" if out else ""))
    return 0
