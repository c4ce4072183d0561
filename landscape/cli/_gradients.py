"""``landscape gradients``: per-layer gradient norms at initialization and at θ*."""

from __future__ import annotations

import time

from landscape.cli._common import add_model_args, config_from_args, print_json
from landscape.errors import LandscapeError


def register(sub) -> None:
    p = sub.add_parser("gradients", help="per-layer gradient norms at init and after training",
                       description="Full-batch gradient norms of each layer's weights (input → "
                                   "output) at initialization, averaged over K seeds, and at "
                                   "the trained minimizer θ*.")
    add_model_args(p)
    p.add_argument("--seeds", type=int, default=5, help="initializations to average (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    t0 = time.perf_counter()
    cfg = config_from_args(args)
    if args.seeds < 1:
        raise LandscapeError(f"--seeds must be at least 1, got {args.seeds}")
    from landscape.measures import gradient_report

    rep = gradient_report(cfg, args.seeds)
    rep["seconds"] = time.perf_counter() - t0
    if args.json:
        print_json(rep)
        return 0
    w = max(len(n) for n in rep["layers"])
    print(f"{'layer':<{w}}  {'at init (mean of ' + str(args.seeds) + ')':>22}  {'at θ*':>12}")
    for name, a, b in zip(rep["layers"], rep["at_init"], rep["at_minimum"]):
        fa = "inf (overflow)" if a is None else f"{a:.4g}"
        fb = "inf (overflow)" if b is None else f"{b:.4g}"
        print(f"{name:<{w}}  {fa:>22}  {fb:>12}")
    return 0
