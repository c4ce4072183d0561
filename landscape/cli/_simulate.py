"""``landscape simulate``: roll SGD balls on a loss surface and save their trajectories."""

from __future__ import annotations

import math
import time

from landscape.cli._common import (
    add_model_args,
    add_output_args,
    check_output,
    config_from_args,
    info,
    print_json,
)
from landscape.errors import LandscapeError


def _batch(text: str):
    if text.lower() in ("full", "none", "all"):
        return None
    try:
        return int(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"batch size must be an integer or 'full', got {text!r}")


def _names(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        import argparse

        raise argparse.ArgumentTypeError(f"expected one or more names, got {text!r}")
    return names


def _floats(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()] or [float(text)]
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"expected a number or a comma list of numbers, got {text!r}")


OPTIMIZER_FLAGS = ("momentum", "b1", "b2", "eps", "decay")


def register(sub) -> None:
    from landscape.balls import START_HELP, BallGroup
    from landscape.cli._common import parse_float
    from landscape.optimizers import OPTIMIZERS

    p = sub.add_parser("simulate", help="roll SGD balls on a loss surface (.npz trajectories)",
                       description="Build (or load from the cache) a loss surface, then let "
                                   "balls follow real minibatch gradients on it. In slice mode "
                                   "(the default) each ball moves on the plane along the "
                                   "projection of the network's gradient; in projected mode "
                                   "each ball is a real weight-space training run, shown at "
                                   "its projection. An option that cannot apply to the chosen "
                                   "optimizer or mode is an error.")
    add_model_args(p)
    g = p.add_argument_group("balls")
    d = BallGroup()                     # the group's defaults are the CLI's
    g.add_argument("--balls", type=int, default=d.n_balls,
                   help=f"number of balls (default {d.n_balls})")
    g.add_argument("--optimizer", type=_names, default=[d.optimizer],
                   help=" | ".join(OPTIMIZERS) + f" (default {d.optimizer}); "
                        "in slice mode adam, rmsprop and adagrad adapt per plane coordinate, "
                        "not per weight (use --mode projected for the real thing); a comma "
                        "list (sgd,adam) makes one group of --balls balls each, all starting "
                        "from the same points")
    g.add_argument("--lr", type=_floats, default=[d.lr],
                   help=f"learning rate (default {d.lr:g}); a comma list gives one per optimizer")
    g.add_argument("--batch-size", type=_batch, default=d.batch_size,
                   help=f"minibatch per ball per step, or 'full' (default {d.batch_size})")
    g.add_argument("--clip-norm", type=parse_float, default=None,
                   help="clip the network's weight-space gradient to this global norm (over all "
                        "parameters) before projecting it onto the plane")
    g.add_argument("--clip-value", type=parse_float, default=None,
                   help="clip each entry of the weight-space gradient to ±this (after "
                        "--clip-norm)")
    g.add_argument("--momentum", type=parse_float, default=None,
                   help="momentum and nesterov only (default 0.9)")
    g.add_argument("--b1", type=parse_float, default=None, help="adam only (default 0.9)")
    g.add_argument("--b2", type=parse_float, default=None, help="adam only (default 0.999)")
    g.add_argument("--eps", type=parse_float, default=None,
                   help="adam, rmsprop, adagrad only (default: optax's)")
    g.add_argument("--decay", type=parse_float, default=None, help="rmsprop only (default 0.9)")
    g.add_argument("--start", default=d.start,
                   help=("; ".join(f"{k}: {v}" for k, v in START_HELP.items() if k != "points")
                         + f" (default {d.start})").replace("%", "%%"))
    g.add_argument("--radius", type=parse_float, default=None,
                   help="fraction of the half-span the start shape fills (default 0.9)")
    g.add_argument("--steps", type=int, default=200, help="steps to simulate (default 200)")
    g.add_argument("--record-every", type=int, default=1, help="keep every k-th frame")
    g.add_argument("--mode", default="slice", help="slice | projected (default slice)")
    g.add_argument("--origin", default=None,
                   help="projected mode only: start on the plane (default) or from a fresh "
                        "initialization (plane | init)")
    add_output_args(p, "trajectory")
    p.set_defaults(func=run)


def groups_from_args(args, cfg) -> list:
    """The ball groups the options ask for, every option checked (one line each) before any
    training or compilation: an option that cannot apply is an error."""
    from landscape.balls import MODES, OPTIMIZER_OPTIONS, BallGroup, check_steps
    from landscape.errors import choice

    choice("mode", args.mode, MODES)
    check_steps(args.steps, "--steps")
    check_steps(args.record_every, "--record-every")
    if args.balls < 1:
        raise LandscapeError(f"--balls must be at least 1, got {args.balls}")
    if args.start == "points":
        raise LandscapeError("--start points is only available from Python (BallGroup.points)")
    if args.origin is not None and args.mode != "projected":
        raise LandscapeError("--origin applies to --mode projected only; drop it")
    opts, lrs = args.optimizer, args.lr
    if len(lrs) not in (1, len(opts)):
        raise LandscapeError(f"--lr has {len(lrs)} values for {len(opts)} optimizers; give one, "
                             f"or one per optimizer")
    for flag in OPTIMIZER_FLAGS:
        applies = OPTIMIZER_OPTIONS[flag][0]
        if getattr(args, flag) is not None and not any(o in applies for o in opts):
            raise LandscapeError(f"--{flag} applies to {', '.join(applies)}, not to "
                                 f"{', '.join(opts)}; drop it")
    lrs = lrs * len(opts) if len(lrs) == 1 else lrs
    groups = [BallGroup(name=f"{o} lr {lr:g}" if len(opts) > 1 else o, optimizer=o, lr=lr,
                        batch_size=args.batch_size, clip_norm=args.clip_norm,
                        clip_value=args.clip_value, n=args.balls, start=args.start,
                        radius=args.radius, origin=args.origin,
                        **{f: getattr(args, f) for f in OPTIMIZER_FLAGS
                           if o in OPTIMIZER_OPTIONS[f][0]})
              for o, lr in zip(opts, lrs)]
    n_data = cfg.build_data().x_eval.shape[0]
    for group in groups:
        group.check(n_data)
    return groups


def run(args) -> int:
    t_start = time.perf_counter()
    # everything a user can get wrong is checked before any training or compilation
    cfg = config_from_args(args)
    out = check_output(args.output)
    groups = groups_from_args(args, cfg)

    from landscape.balls import simulate
    from landscape.pipeline import build_surface, plane_from_surface, task_from_surface

    quiet = args.quiet
    s, timings = build_surface(cfg, cache=not args.no_cache, progress=False if quiet else None,
                               log=(lambda line: None) if quiet else info)
    task, plane = task_from_surface(s), plane_from_surface(s)
    if len(groups) > 1:  # a fair race: every group starts from the first group's points
        import dataclasses

        from landscape.balls import group_start_points

        pts = group_start_points(groups[0], s.span, key=cfg.key("starts"))
        groups = [dataclasses.replace(g, start="points", n=None, radius=None,
                                      points=tuple(map(tuple, pts.tolist())))
                  for g in groups]
    t0 = time.perf_counter()
    traj = simulate(task, plane, s, groups, steps=args.steps, mode=args.mode,
                    record_every=args.record_every, key=cfg.key("balls"))
    timings["simulate"] = time.perf_counter() - t0
    traj.meta["config"] = cfg.to_dict()
    if out:
        t0 = time.perf_counter()
        traj.save(out)
        timings["save"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    if args.json:
        print_json(_finite(summary_of(traj, s, timings, out)))
    elif not quiet:
        what = ", ".join(f"{g['optimizer_label']} lr {g['lr']:g}" for g in traj.groups)
        print(f"{traj.n_balls} balls × {args.steps} steps ({traj.mode}, {what}): "
              f"{traj.meta['n_settled']} settled, {traj.meta['n_escaped']} "
              f"escaped, {len(traj.census)} minima in {timings['simulate']:.1f} s"
              + (f" -> {out}" if out else ""))
    return 0


def summary_of(traj, s, timings: dict, out) -> dict:
    """What ``--json`` prints: the trajectory's summary, the output, timings and counts."""
    summary = traj.summary()
    summary.update({"output": out, "timings": timings, "config_hash": s.meta.get("config_hash"),
                    "ball_steps_per_second": traj.meta.get("ball_steps_per_second"),
                    "n_escaped": traj.meta["n_escaped"], "n_settled": traj.meta["n_settled"],
                    "stacked": traj.meta["stacked"], "batch_norm": traj.meta["batch_norm"]})
    if traj.mode == "projected":
        last = traj.n_frames - 1
        summary["mean_off_plane"] = _mean(traj.off_plane[last])
        summary["mean_true_loss"] = _mean(traj.true_loss[last])
    return summary


def _mean(v):
    import numpy as np

    v = np.asarray(v, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def _finite(o):
    """JSON has no NaN/inf: replace them with null."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o
