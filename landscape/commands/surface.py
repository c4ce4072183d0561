"""``landscape surface``: train a network, pick a plane, compute its loss surface."""

from __future__ import annotations

import time

from landscape.commands.common import (add_model_args, add_output_args, check_output,
                                       config_from_args, human_flops, info, print_json)


def register(sub) -> None:
    p = sub.add_parser("surface", help="compute a loss surface and save it (.npz)",
                       description="Train a network on bundled data, pick two directions and "
                                   "evaluate the loss on an N×N grid of the plane they span.")
    add_model_args(p)
    add_output_args(p, "surface")
    p.set_defaults(func=run)


def run(args) -> int:
    t_start = time.perf_counter()
    cfg = config_from_args(args)
    out = check_output(args.output)
    from landscape.config import build_surface

    d = cfg.build_data()
    m = cfg.build_model(d)
    n_pts = cfg.grid * cfg.grid
    flops = n_pts * 2 * m.macs_per_sample * d.x_eval.shape[0]
    if not args.quiet and n_pts >= 10_000:
        info(f"landscape: {cfg.grid}×{cfg.grid} = {n_pts:,} points × "
             f"{human_flops(2 * m.macs_per_sample * d.x_eval.shape[0])} = {human_flops(flops)}")
    s, timings = build_surface(cfg, cache=not args.no_cache, progress=None if not args.quiet else False,
                               log=(lambda line: None) if args.quiet else info)
    if out:
        t0 = time.perf_counter()
        s.save(out)
        timings["save"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    summary = s.summary()
    summary.update({"config_hash": s.meta.get("config_hash"), "output": out,
                    "timings": timings, "surface_seconds": s.meta.get("seconds"),
                    "points_per_second": s.meta.get("points_per_second"),
                    "n_devices": s.meta.get("n_devices"), "flops": flops})
    if args.json:
        print_json(summary)
    elif not args.quiet:
        src = "cache" if timings.get("cached") else f"{timings['total']:.1f} s"
        print(f"{summary['grid'][0]}×{summary['grid'][1]} surface ({src}): "
              f"center loss {summary['center_loss']:.4g}, min {summary['min_loss']:.4g}, "
              f"max {summary['max_loss']:.4g}, non-finite {summary['n_nonfinite']}"
              + (f" -> {out}" if out else ""))
    return 0
