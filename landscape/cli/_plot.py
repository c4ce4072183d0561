"""``landscape plot SURFACE.npz --kind contour|surface|line -o FIG.pdf``: figures for papers
(see `landscape.figures`)."""

from __future__ import annotations

import argparse

from landscape.cli._common import add_scale_args, print_json


def _point(text: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a point is a,b (two numbers), got {text!r}")
    return a, b


def _inches(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of inches: {text!r}")


def register(sub) -> None:
    from landscape.figures import COLUMN, FORMATS, KINDS

    p = sub.add_parser(
        "plot", help="draw a publication figure of a surface (pdf, svg or png)",
        description="Draw a figure of a surface file: contour (filled contours, θ*, the balls' "
                    "paths), surface (a 3D still) or line (loss and accuracy along a line "
                    "through θ*). Sized for a paper column; vector output by default.")
    p.add_argument("surface", metavar="SURFACE.npz", help="a surface file (landscape surface -o)")
    p.add_argument("-o", "--output", required=True,
                   help=f"the figure; its extension is the format: {', '.join(FORMATS)}")
    p.add_argument("--kind", default="contour", help=f"{' | '.join(KINDS)} (default contour)")
    p.add_argument("--trajectory", metavar="TRAJ.npz", default=None,
                   help="balls simulated on this surface (landscape simulate -o): their paths "
                        "(contour) or final positions (surface)")
    p.add_argument("--width", type=_inches, default=COLUMN,
                   help=f"inches (default {COLUMN}, one paper column)")
    p.add_argument("--height", type=_inches, default=None, help="inches (default: from --kind)")
    p.add_argument("--theme", default="light", help="light (default) | dark")
    add_scale_args(p)
    g = p.add_argument_group("line (--kind line)")
    g.add_argument("--along", default=None,
                   help="a | b: the grid's centre row (b = 0) or column (a = 0); default a")
    g.add_argument("--from", dest="start", type=_point, default=None, metavar="A,B",
                   help="start of the line, e.g. -1,-1")
    g.add_argument("--to", dest="end", type=_point, default=None, metavar="A,B",
                   help="end of the line, e.g. 1,1")
    e = g.add_mutually_exclusive_group()
    e.add_argument("--exact", dest="exact", action="store_const", const=True, default=None,
                   help="recompute the values from the network (the default when possible)")
    e.add_argument("--interpolate", dest="exact", action="store_const", const=False,
                   help="interpolate the values on the surface grid instead")
    p.add_argument("--title", default=None, help="a title above the axes (default none)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from landscape.errors import LandscapeError
    from landscape.figures import plot

    if args.along is not None and (args.start is not None or args.end is not None):
        raise LandscapeError("--along and --from/--to are two ways to choose the line; give one")
    fig = plot(args.surface, args.output, kind=args.kind, trajectory=args.trajectory,
               width=args.width, height=args.height, theme=args.theme,
               log_scale=args.log_scale, along=args.along, start=args.start,
               end=args.end, exact=args.exact, title=args.title)
    w, h = fig.get_size_inches()
    summary = {"output": args.output, "kind": args.kind, "bytes": os.path.getsize(args.output),
               "size_inches": [round(float(w), 3), round(float(h), 3)]}
    method = fig.line_values
    if method:
        summary["line_values"] = method
    if args.json:
        print_json(summary)
    elif not args.quiet:
        print(f"wrote {args.output} ({args.kind}, {w:.2f}×{h:.2f} in"
              + (f", values {method}" if method else "") + ")")
    return 0
