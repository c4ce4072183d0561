"""``landscape export SOURCE [SCENE] -o OUT``: a web page, glTF, VTK or mesh file of a scene or a
surface (see `landscape.exports`)."""

from __future__ import annotations

from landscape.cli._common import add_scale_args, info, print_json


def register(sub) -> None:
    from landscape.exports import FORMATS

    p = sub.add_parser(
        "export", help="export a scene or surface as an interactive web page or a 3D file",
        description="Export a scene (computed as `render --dry-run` computes it) or a surface "
                    "file (with the balls of a trajectory file) to a file others can open: "
                    "an offline interactive web page (.html), glTF for Blender and three.js "
                    "(.glb, .gltf), VTK for ParaView (.vtp, .vtk), or a mesh (.obj, .ply, "
                    ".stl). The extension of -o picks the format.")
    p.add_argument("source", metavar="SOURCE",
                   help="a scene script (e.g. scenes/local_minima.py) or a surface file (.npz "
                        "from landscape surface -o)")
    p.add_argument("scene", metavar="SCENE", nargs="?", default=None,
                   help="which scene in a scene file (needed when it has several)")
    p.add_argument("-o", "--output", required=True,
                   help=f"the file to write; its extension is the format: {', '.join(FORMATS)}")
    p.add_argument("--trajectory", metavar="TRAJ.npz", default=None,
                   help="balls to show on a surface file (from landscape simulate -o); they "
                        "must have rolled on that surface")
    p.add_argument("-q", "--quality", default=None,
                   help="a scene's quality: low | medium | high (default medium): the grid")
    p.add_argument("--seed", type=int, default=None, help="override a scene's seed")
    p.add_argument("--view", type=int, default=None, metavar="K",
                   help="export only landscape K (1-based) of a multi-view scene; needed for "
                        ".vtp, .vtk, .obj, .ply and .stl, which hold one surface")
    p.add_argument("--frames", type=int, default=None, metavar="N",
                   help="keep N keyframes of a 3D file's animation (.glb, .gltf), spread evenly, "
                        "the first and last kept (default: every video frame of a scene)")
    p.add_argument("--theme", default=None,
                   help="dark (default) | light: the page's colours (.html)")
    add_scale_args(p)
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    from landscape.errors import LandscapeError
    from landscape.exports import export

    if args.view is not None and args.view < 1:
        raise LandscapeError(f"--view counts from 1, got {args.view}")
    log = (lambda line: None) if args.quiet else info
    summary = export(args.source, args.output, scene=args.scene, trajectory=args.trajectory,
                     quality=args.quality, seed=args.seed,
                     view=None if args.view is None else args.view - 1, theme=args.theme,
                     log_scale=args.log_scale, cache=not args.no_cache, frames=args.frames,
                     log=log)
    if args.json:
        print_json(summary)
    elif not args.quiet:
        keys = (f", {summary['keyframes']} keyframes" if summary.get("keyframes") else "")
        print(f"wrote {summary['output']} ({summary['bytes']:,} bytes{keys}) in "
              f"{summary['seconds']:.1f} s")
    return 0
