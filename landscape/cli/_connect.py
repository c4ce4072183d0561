"""``landscape connect``: mode connectivity (Garipov et al. 2018).

Trains two networks from different seeds (``--seed``, ``--seed-b``), trains a quadratic Bézier
curve between them, and reports the loss along the straight line against the curve; with
``--surface-output`` also the surface of the plane through the two minima and the bend."""

from __future__ import annotations

import json

import numpy as np

from landscape.cli._common import (
    add_model_args,
    add_output_args,
    check_output,
    config_from_args,
    info,
    parse_widths,
    print_json,
)
from landscape.errors import LandscapeError

FORMAT = "landscape.connect/1"


def register(sub) -> None:
    p = sub.add_parser("connect", help="train a Bézier curve between two minima (mode connectivity)",
                       description=__doc__)
    add_model_args(p)
    g = p.add_argument_group("curve")
    g.add_argument("--seed-b", type=int, default=None, help="seed of the second network (default seed+1)")
    g.add_argument("--widths-b", type=parse_widths, default=None,
                   help="hidden widths of the second network (must match: a curve joins equal shapes)")
    g.add_argument("--bend-steps", type=int, default=300, help="training steps of the bend (default 300)")
    g.add_argument("--bend-lr", type=float, default=1e-2)
    g.add_argument("--points", type=int, default=41, help="points along the line and the curve")
    g.add_argument("--surface-output", default=None,
                   help="also compute the plane through A, B and the bend and write it here (.npz)")
    add_output_args(p, "curve")
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = config_from_args(args)
    seed_b = cfg.seed + 1 if args.seed_b is None else args.seed_b
    if seed_b == cfg.seed:
        raise LandscapeError("--seed-b must differ from --seed: the two minima come from two seeds")
    out = check_output(args.output)
    surf_out = check_output(args.surface_output)
    cfg_b = cfg.replace(seed=seed_b, widths=tuple(args.widths_b or cfg.widths))
    from landscape import measures as connect
    from landscape.files import atomic_savez, json_default, versions

    a = cfg.build_task()
    b = cfg_b.build_task()
    connect.check_same_shape(a, b)
    curve = connect.fit_bend(a, a.theta, b.theta, steps=args.bend_steps, lr=args.bend_lr,
                             key=cfg.key("bend"))
    res = connect.compare(a, curve, points=args.points)
    summary = {"seeds": [cfg.seed, seed_b], "points": res["points"],
               "line_max_loss": float(np.nanmax(res["line_loss"])),
               "curve_max_loss": float(np.nanmax(res["curve_loss"])),
               "ends_loss": [float(res["line_loss"][0]), float(res["line_loss"][-1])],
               "bend_train_loss_final": float(curve.train_loss[-1])}
    meta = {**summary, "config": cfg.to_dict(), "bend_steps": args.bend_steps,
            "bend_lr": args.bend_lr, "versions": versions()}
    if out:
        atomic_savez(out, {"format": np.array(FORMAT), "t": res["t"],
                           "line_loss": res["line_loss"], "line_accuracy": res["line_accuracy"],
                           "curve_loss": res["curve_loss"], "curve_accuracy": res["curve_accuracy"],
                           "theta_a": curve.theta_a, "theta_b": curve.theta_b, "bend": curve.bend,
                           "bend_train_loss": curve.train_loss.astype(np.float32),
                           "meta": np.array(json.dumps(meta, default=json_default))})
    if surf_out:
        from landscape.surface import compute_surface
        from landscape.training import Task

        plane, pts = curve.plane()
        bb = pts["bend"][1]
        m = 0.25 * max(1.0, abs(bb))
        span = (-0.25, 1.25, min(0.0, bb) - m, max(0.0, bb) + m)
        ta = Task(model=a.model, data=a.data, theta=curve.theta_a, theta0=a.theta0,
                  bn_stats=a.bn_stats, bn_policy=a.bn_policy, checkpoints=curve.theta_a[None],
                  checkpoint_steps=np.zeros(1, int), train_loss=np.zeros(0, np.float32),
                  config=a.config)
        s = compute_surface(ta, plane, span=span, resolution=cfg.grid,
                            progress=None if not args.quiet else False)
        s.meta["connect"] = {"points": pts, "curve_ab": curve.coordinates(res["t"]).tolist()}
        s.meta["config"] = cfg.to_dict()
        s.save(surf_out)
        summary["surface_output"] = surf_out
    if args.json:
        print_json({**summary, "output": out, "t": res["t"], "line_loss": res["line_loss"],
                    "curve_loss": res["curve_loss"]})
    elif not args.quiet:
        info(f"max loss along the line {summary['line_max_loss']:.4g}, along the curve "
             f"{summary['curve_max_loss']:.4g} (ends {summary['ends_loss'][0]:.4g}, "
             f"{summary['ends_loss'][1]:.4g})" + (f" -> {out}" if out else ""))
    return 0
