"""``landscape play [FILE [SCENE]]``: a scene you steer, in the interactive window.

The views of a scene file (or, with no file, one view of the playground's defaults:
``ls.Playground()``) with a panel of knobs beside them: a key for each knob (listed under
``h``), a click or a drag on the panel. Every change prints one line
(``activation: relu → tanh, surface in 1.3 s``) and is computed on the window's worker while
the old picture stays up; see `landscape.render._play`.
"""

from __future__ import annotations

import os
import time

from landscape.cli._common import info
from landscape.cli._show import leave, window_setup

T_START = time.perf_counter()


def register(sub) -> None:
    from landscape.cli._render import add_look_args

    p = sub.add_parser("play", help="steer a scene live: knobs beside the views",
                       description="Open a scene (or, with no FILE, one view of the "
                                   "playground's defaults) in a window with a panel of knobs: "
                                   "each knob's key steps it (shift: back), a click or a drag "
                                   "on the panel sets it; h lists the keys, q quits.")
    p.add_argument("file", metavar="FILE", nargs="?", default=None,
                   help="a scene script, e.g. scenes/initialization.py (default: one view of "
                        "ls.Playground()'s defaults)")
    p.add_argument("scene", metavar="SCENE", nargs="?", default=None,
                   help="which scene in FILE (needed when it has several)")
    p.add_argument("--seed", type=int, default=None, help="override the scene's seed")
    p.add_argument("-q", "--quality", default="low",
                   help="tiny | low | medium | high: the surface grid (default low: quick "
                        "to recompute)")
    p.add_argument("--size", default="1280x720", metavar="WxH",
                   help="window size in pixels (default 1280x720)")
    add_look_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from landscape.errors import LandscapeError
    from landscape.playground import Live, Playground
    from landscape.render import open_play_window, side_for
    from landscape.scene import build_stage, pick_scene, warm_up

    def check_scene():
        if args.file is not None:
            if not os.path.isfile(args.file):
                raise LandscapeError(f"{args.file}: no such scene file")
            pick_scene(args.file, args.scene)     # a wrong name: one line before any compute
        elif args.scene is not None:
            raise LandscapeError("a SCENE name needs the FILE it is in")

    quality, size, _ = window_setup(args, check_scene)
    what = args.file or "the playground's defaults"
    info(f"landscape: play {what} at quality {quality.name}: building the landscapes…")
    t0 = time.perf_counter()
    pg = Playground(args.file, args.scene, quality=quality.name, seed=args.seed,
                    simulate=False)
    live = Live(pg)
    info(f"landscape: {pg.n_views} view{'s' if pg.n_views > 1 else ''} in "
         f"{time.perf_counter() - t0:.1f} s")
    seconds = warm_up(pg.computed, log=info)
    info(f"landscape: compiled in {seconds:.1f} s; opening the window (h: keys, q: quit)")
    debug = bool(os.environ.get("LANDSCAPE_DEBUG_WINDOW"))
    stage = build_stage(pg.computed, size=size, off_screen=False, side=side_for(size[0]),
                        theme=args.theme, look=args.look)
    stage.caption("press h for the keys · a knob's key steps it")

    def first_frame():
        info(f"landscape: first frame {time.perf_counter() - T_START:.2f} s after start")

    try:
        ctl = open_play_window(stage, live, title="landscape play", home_camera=pg.scene.camera,
                               log=info, on_first_frame=first_frame)
    except KeyboardInterrupt as e:
        ctl = getattr(e, "controller", None)
        if ctl is not None and not ctl.worker.idle:
            from landscape.errors import Terminated

            term = isinstance(e, Terminated)
            info("landscape: terminated" if term else "landscape: interrupted")
            leave(143 if term else 130)
        raise
    if debug:
        info(f"landscape: window closed ({ctl.exit_reason}); {len(ctl.changes)} changes")
    if not ctl.worker.idle:
        leave(0)
    return 0
