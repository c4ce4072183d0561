"""``landscape list FILE``: the scenes in a file, with their one-line docstrings."""

from __future__ import annotations

import glob
import os

from landscape.commands.common import print_json


def register(sub) -> None:
    p = sub.add_parser("list", help="list the scenes in a file (or a folder of scene files)",
                       description="List the scenes a file defines, one per line with the "
                                   "first line of its docstring. Nothing is computed.")
    p.add_argument("file", metavar="FILE", help="a scene script, or a folder such as scenes/")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from landscape.scene_loader import load_scenes

    if os.path.isdir(args.file):
        files = sorted(glob.glob(os.path.join(args.file, "*.py")))
        files = [f for f in files if not os.path.basename(f).startswith("_")]
    else:
        files = [args.file]
    rows = []
    for f in files:
        for name, cls in load_scenes(f).items():
            rows.append({"file": f, "scene": name, "summary": cls.summary()})
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
