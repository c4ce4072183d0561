"""``landscape sharpness SURFACE.npz``: the top Hessian eigenvalue (Lanczos on exact
Hessian-vector products) over a coarse grid of a saved surface's plane, and per layer at θ*.
Writes the surface again with the extra field ``sharpness`` (``-o``) or prints JSON."""

from __future__ import annotations

import numpy as np

from landscape.cli._common import add_output_args, check_output, info, print_json
from landscape.errors import LandscapeError


def register(sub) -> None:
    p = sub.add_parser("sharpness", help="top Hessian eigenvalue over a surface's plane and per layer",
                       description=__doc__)
    p.add_argument("surface", help="a surface file (.npz) from `landscape surface -o`")
    p.add_argument("--grid", type=int, default=11, help="N for the coarse N×N grid (default 11)")
    p.add_argument("--iters", type=int, default=30, help="Lanczos steps per point (default 30)")
    p.add_argument("--no-grid", action="store_true", help="only the per-layer values at θ*")
    add_output_args(p, "surface with its sharpness field")
    p.set_defaults(func=run)


def run(args) -> int:
    out = check_output(args.output)
    if args.grid < 2 or args.iters < 1:
        raise LandscapeError("--grid must be at least 2 and --iters at least 1")
    from landscape.measures import Sharpness
    from landscape.pipeline import plane_from_surface, task_from_surface
    from landscape.surface import Surface

    s = Surface.load(args.surface)
    task = task_from_surface(s)
    sh = Sharpness(task, iters=args.iters, eval_batch=s.meta.get("eval_batch"))
    per_layer = sh.per_layer()
    res = {"top_eigenvalue": sh.top(task.theta), "per_layer": per_layer, "iters": sh.iters}
    if not args.no_grid:
        a = np.linspace(s.alphas[0], s.alphas[-1], args.grid, dtype=np.float32)
        b = np.linspace(s.betas[0], s.betas[-1], args.grid, dtype=np.float32)
        vals = sh.grid(plane_from_surface(s), a, b, progress=None if not args.quiet else False)
        s.extra["sharpness"] = {"alphas": a, "betas": b, "values": vals}
        res["grid"] = [args.grid, args.grid]
        res["min"], res["max"] = float(vals.min()), float(vals.max())
    s.meta["sharpness"] = res
    if out:
        s.save(out)
    if args.json:
        print_json({**res, "output": out})
    elif not args.quiet:
        info(f"top Hessian eigenvalue at θ*: {res['top_eigenvalue']:.4g}; per layer: "
             + ", ".join(f"{k} {v:.3g}" for k, v in per_layer.items()) + (f" -> {out}" if out else ""))
    return 0
