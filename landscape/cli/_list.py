"""``landscape list FILE``: the scenes in a file, with their one-line docstrings."""

from __future__ import annotations

import glob
import os

from landscape.cli._common import print_json
from landscape.errors import LandscapeError


def register(sub) -> None:
    p = sub.add_parser("list", help="list the scenes in a file (or a folder of scene files)",
                       description="List the scenes a file defines, one per line with the "
                                   "first line of its docstring. Nothing is computed.")
    p.add_argument("file", metavar="FILE", help="a scene script, or a folder such as scenes/")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from landscape.scene import load_scenes

    folder = os.path.isdir(args.file)
    if folder:
        files = sorted(glob.glob(os.path.join(args.file, "*.py")))
        files = [f for f in files if not os.path.basename(f).startswith("_")]
    else:
        files = [args.file]
    rows = []
    for f in files:  # in a folder, helper modules without scenes are passed over
        for name, cls in load_scenes(f, allow_none=folder).items():
            rows.append({"file": f, "scene": name, "summary": cls.summary()})
    if not rows:
        raise LandscapeError(f"{args.file} has no scene files (*.py defining a Scene)")
    files = [f for f in files if any(r["file"] == f for r in rows)]
    if args.json:
        print_json(rows)
        return 0
    width = max(len(r["scene"]) for r in rows)
    for f in files:
        if len(files) > 1:
            print(f)
        for r in rows:
            if r["file"] == f:
                print(f"{'  ' if len(files) > 1 else ''}{r['scene']:<{width}}  {r['summary']}")
    return 0
