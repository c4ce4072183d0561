"""``landscape line``: the loss and accuracy along a straight line in weight space.

Trains the network the surface options describe (the same command options as ``surface``), then
evaluates exactly at every point of ``θ0 → θ*`` (``--from init``), of a filter-normalized random
direction through θ* (``--from direction``, t ∈ [-span, span]), or between the minima of two
seeds (``--from seed --seed-b N``). Writes ``landscape.line/1`` (.npz) or a JSON summary."""

from __future__ import annotations

import numpy as np

from landscape.cli._common import (
    add_model_args,
    add_output_args,
    check_output,
    config_from_args,
    info,
    print_json,
)
from landscape.errors import LandscapeError, choice

SOURCES = ("init", "direction", "seed")


def register(sub) -> None:
    p = sub.add_parser("line", help="loss and accuracy along a line (θ0 → θ*, θA → θB, or a direction)",
                       description=__doc__)
    add_model_args(p)
    g = p.add_argument_group("line")
    g.add_argument("--from", dest="source", default="init", help="init | direction | seed")
    g.add_argument("--seed-b", type=int, default=None, help="with --from seed: the second network's seed")
    g.add_argument("--points", type=int, default=51, help="points on the line (default 51)")
    g.add_argument("--extend", type=float, default=0.25,
                   help="init/seed: also evaluate t in [-E, 0) and (1, 1+E] (default 0.25)")
    add_output_args(p, "line")
    p.set_defaults(func=run)


def run(args) -> int:
    choice("line source", args.source, SOURCES)
    if args.seed_b is not None and args.source != "seed":
        raise LandscapeError("--seed-b applies only with --from seed")
    if args.source == "seed" and (args.seed_b is None or args.seed_b == args.seed):
        raise LandscapeError("--from seed needs --seed-b, a seed different from --seed")
    cfg = config_from_args(args)
    out = check_output(args.output)
    from landscape.measures import line

    task = cfg.build_task()
    meta = {"source": args.source, "config": cfg.to_dict()}
    if args.source == "init":
        ln = line(task, task.theta0, task.theta, points=args.points, extend=args.extend,
                  meta={**meta, "start": "θ0 (initialization)", "end": "θ*"})
    elif args.source == "seed":
        task_b = cfg.replace(seed=args.seed_b).build_task()
        ln = line(task, task.theta, task_b.theta, points=args.points, extend=args.extend,
                  meta={**meta, "start": f"θA (seed {cfg.seed})", "end": f"θB (seed {args.seed_b})"})
    else:
        plane = cfg.build_plane(task)
        ln = line(task, task.theta, task.theta + plane.d1, points=args.points,
                  t_range=(-cfg.span, cfg.span),
                  meta={**meta, "start": "θ*", "end": "θ* + d1", "norm": plane.norm})
    if out:
        ln.save(out)
    if args.json:
        print_json({**ln.summary(), "output": out})
    elif not args.quiet:
        k0, k1 = int(np.argmin(np.abs(ln.t))), int(np.argmin(np.abs(ln.t - 1)))
        info(f"line {ln.meta['start']} → {ln.meta['end']}: loss {ln.loss[k0]:.4g} at t=0, "
             f"{ln.loss[k1]:.4g} at t=1, max {np.nanmax(ln.loss):.4g}" + (f" -> {out}" if out else ""))
    return 0
