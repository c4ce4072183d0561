"""``landscape render FILE [SCENE]``: compute a scene and write it as a video (or dry-run it)."""

from __future__ import annotations

import os
import time

from landscape.cli._common import info, print_json
from landscape.errors import LandscapeError, choice
from landscape.picture import VIDEO_FORMATS

FORMATS = tuple(VIDEO_FORMATS.values())


def register(sub) -> None:
    p = sub.add_parser("render", help="render a scene to a video (mp4, gif or png frames)",
                       description="Compute a scene's landscapes and ball trajectories and "
                                   "render them to a video. Surfaces come from the cache when "
                                   "nothing that determines them changed.")
    add_scene_args(p)
    p.add_argument("-o", "--output", default=None,
                   help="output file (default: <scene>.<format> in the current directory; "
                        "png: a folder of frames)")
    p.add_argument("-q", "--quality", default="medium",
                   help="low (854×480, 15 fps) | medium (1280×720, 30 fps) | high "
                        "(1920×1080, 60 fps); also l, m, h")
    p.add_argument("--format", default=None, help="mp4 | gif | png (default: from -o, else mp4)")
    p.add_argument("--dry-run", action="store_true",
                   help="compute surfaces and ball trajectories, print what happened, render "
                        "nothing")
    add_look_args(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def add_look_args(p) -> None:
    p.add_argument("--theme", default=None,
                   help="dark (default: screens, video) | light (slides, print)")
    p.add_argument("--look", default=None,
                   help="plain (default up to medium: fast) | cinematic (default at high: "
                        "anti-aliased, glossy surface, highlighted balls, lifted trails)")


def check_look_args(args) -> None:
    """Fail at once on an unknown theme or look."""
    from landscape.picture import THEMES
    from landscape.render import LOOKS

    if args.theme is not None:
        choice("theme", args.theme, tuple(THEMES))
    if args.look is not None:
        choice("look", args.look, LOOKS)


def add_scene_args(p) -> None:
    p.add_argument("file", metavar="FILE", help="a scene script, e.g. scenes/local_minima.py")
    p.add_argument("scene", metavar="SCENE", nargs="?", default=None,
                   help="which scene in FILE (needed when it has several; see landscape list)")
    p.add_argument("--seed", type=int, default=None, help="override the scene's seed")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def output_path(out: str | None, fmt: str | None, default_stem: str) -> tuple[str, str]:
    """Resolve ``-o`` and ``--format`` into (path, format); raise on a bad combination."""
    if fmt is not None:
        fmt = choice("format", fmt.lower().lstrip("."), FORMATS)
    if out is None:
        fmt = fmt or "mp4"
        return os.path.join(os.getcwd(), default_stem + ("_frames" if fmt == "png" else
                                                         f".{fmt}")), fmt
    ext = os.path.splitext(out)[1].lower().lstrip(".")
    if ext in FORMATS:
        if fmt is not None and fmt != ext:
            raise LandscapeError(f"output {out} ends in .{ext} but --format is {fmt}; "
                                 f"make them agree")
        fmt = ext
    elif ext:
        raise LandscapeError(f"output {out}: unknown format .{ext}; "
                             f"use .mp4, .gif or .png (or a folder with --format png)")
    else:
        fmt = fmt or "mp4"
        if fmt != "png":
            out = f"{out}.{fmt}"
    return out, fmt


def check_writable_output(path: str, fmt: str) -> None:
    """Fail before any compute when the output cannot be written (a missing, read-only or
    full folder; a folder where a file is wanted)."""
    from landscape.files import check_writable

    check_writable(path, allow_directory=fmt == "png")


def run(args) -> int:
    t_start = time.perf_counter()
    from landscape.scene import (
        build_scene,
        compute_scene,
        get_quality,
        pick_scene,
        render,
        snake,
    )

    quality = get_quality(args.quality)
    check_look_args(args)
    cls = pick_scene(args.file, args.scene)
    out = fmt = None
    if args.dry_run and (args.theme is not None or args.look is not None):
        raise LandscapeError("--theme and --look choose how frames are drawn; --dry-run draws "
                             "none: drop them or --dry-run")
    if not args.dry_run:
        out, fmt = output_path(args.output, args.format, snake(cls.__name__))
        check_writable_output(out, fmt)
        import warnings

        from landscape.render import check_rendering

        with warnings.catch_warnings():  # the probe forks once; JAX's fork warning is noise here
            warnings.simplefilter("ignore", RuntimeWarning)
            check_rendering()
    elif args.format is not None:
        output_path(args.output, args.format, "x")
    log = (lambda line: None) if args.quiet else info
    scene = build_scene(args.file, cls.__name__, seed=args.seed, quality=quality)
    computed = compute_scene(scene, log=log, cache=not args.no_cache)
    summary = computed.summary()
    if not args.dry_run:
        summary["render"] = render(computed, out, fmt=fmt, log=log, theme=args.theme,
                                          look=args.look)
    summary["total_seconds"] = round(time.perf_counter() - t_start, 2)
    if args.json:
        print_json(summary)
    elif not args.quiet:
        print_summary(summary)
        if out:
            print(f"wrote {out} in {summary['total_seconds']:.1f} s")
    return 0


def print_summary(s: dict) -> None:
    print(f"{s['scene']} (seed {s['seed']}, quality {s['quality']}, {s['run_time']:g} s of video)")
    for land in s["landscapes"]:
        print(f"  {land['title']}  [{land['grid'][0]}×{land['grid'][1]}, "
              f"{'cached' if land['cached'] else 'computed'}; loss at θ* "
              f"{land['center_loss']:.3g}, {land['steps']} steps]")
        for g in land["groups"]:
            ls, le = g["loss_start"], g["loss_end"]
            gn = g["grad_norms_start"]
            if len(gn) > 1 and None in (gn[0], gn[-1]):
                ratio = ", |grad| overflowed (inf)"
            else:
                ratio = (f", |grad| input/output {gn[0] / gn[-1]:.2g}"
                         if len(gn) > 1 and gn[-1] and gn[-1] > 0 else "")
            true = (f" (true loss {_num(g['true_loss_start'])} -> {_num(g['true_loss_end'])}, "
                    f"off-plane {_num(g['off_plane_end'])})" if "true_loss_end" in g else "")
            print(f"    {g['name']:<24} {g['n_balls']:>4} balls  {g['optimizer']}  loss "
                  f"{_num(ls)} -> {_num(le)}{true}  escaped {g['escaped']}  settled "
                  f"{g['settled']}" + ratio)
        if land["census"]:
            mins = ", ".join(f"{c.get('loss', float('nan')):.3g} ({c.get('share', 0):.0%})"
                             for c in land["census"][:6])
            print(f"    minima found: {len(land['census'])}: loss (share) {mins}")


def _num(v) -> str:
    return "—" if v is None else f"{v:.3g}"
