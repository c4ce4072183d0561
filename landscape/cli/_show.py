"""``landscape show FILE [SCENE]``: open a scene in the interactive window.

Order of work, so that nothing is silent and every mistake is reported before the long part:
load and construct the scene; check the display (a dead ``DISPLAY`` is one line, status 2);
start the render probe in the background; compute the surfaces (progress bars on a terminal);
compile the ball simulation (one line per landscape); collect the probe; open the window.
"""

from __future__ import annotations

import os
import sys
import time

from landscape.cli._common import info

T_START = time.perf_counter()


def register(sub) -> None:
    from landscape.cli._render import add_look_args, add_scene_args

    p = sub.add_parser("show", help="open a scene in an interactive window",
                       description="Compute a scene's landscapes and open them in a window: "
                                   "space plays/pauses, click the surface to drop a ball, drag "
                                   "to turn the camera, h lists the keys, q quits.")
    add_scene_args(p)
    p.add_argument("-q", "--quality", default="medium",
                   help="low | medium | high: the surface grid (default medium)")
    p.add_argument("--size", default="1280x720", metavar="WxH",
                   help="window size in pixels (default 1280x720)")
    add_look_args(p)
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int]:
    from landscape.errors import LandscapeError

    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise LandscapeError(f"--size must look like 1280x720, not {text!r}") from None
    if w < 320 or h < 240 or w > 16384 or h > 16384:
        raise LandscapeError(f"--size {w}x{h} is out of range (320x240 to 16384x16384)")
    return w, h


def window_setup(args, check_scene):
    """What a window command checks before any compute, each failure one line: the quality,
    ``--size``, the look, then ``check_scene()`` (its result is returned), then a display that
    answers; starts the render probe (it runs while the surfaces compute). Returns
    ``(quality, size, check_scene's result)``."""
    from landscape.cli._render import check_look_args
    from landscape.render import require_display, start_probe
    from landscape.scene import get_quality

    quality = get_quality(args.quality)
    size = parse_size(args.size)
    check_look_args(args)
    picked = check_scene()
    require_display()            # no display, a dead one: one line now, not after the compute
    start_probe(off_screen=False)
    return quality, size, picked


def run(args) -> int:
    from landscape.scene import build_scene, compute_scene, pick_scene, show, warm_up

    quality, size, cls = window_setup(args, lambda: pick_scene(args.file, args.scene))
    info(f"landscape: {cls.__name__} at quality {quality.name}: building the landscapes…")
    scene = build_scene(args.file, cls.__name__, seed=args.seed, quality=quality)
    computed = compute_scene(scene, log=info, cache=not args.no_cache, simulate=False,
                              progress=None)
    seconds = warm_up(computed, log=info)
    info(f"landscape: compiled in {seconds:.1f} s; opening the window (h: keys, q: quit)")
    debug = bool(os.environ.get("LANDSCAPE_DEBUG_WINDOW"))

    def first_frame():
        if debug:
            info(f"landscape: first frame {time.perf_counter() - T_START:.2f} s after start")

    try:
        ctl = show(computed, size=size, log=info, on_first_frame=first_frame,
                          theme=args.theme, look=args.look)
    except KeyboardInterrupt as e:
        ctl = getattr(e, "controller", None)
        if ctl is not None and not ctl.worker.idle:
            from landscape.errors import Terminated

            term = isinstance(e, Terminated)   # SIGTERM: as Ctrl-C, with its own status
            info("landscape: terminated" if term else "landscape: interrupted")
            leave(143 if term else 130)
        raise
    if debug:
        info(f"landscape: window closed ({ctl.exit_reason})")
    if debug and ctl.play_seconds and ctl.play_wall:
        info(f"landscape: played {ctl.steps_played} steps in {ctl.play_wall:.2f} s "
             f"({ctl.steps_played / ctl.play_wall:.1f} steps/s shown; the simulation took "
             f"{ctl.play_seconds:.2f} s of it, {ctl.steps_played / ctl.play_seconds:.1f} steps/s)")
    if not ctl.worker.idle:
        leave(0)
    return 0


def leave(status: int) -> None:
    """End now. A step still computing on the worker thread would be torn down under JAX by
    the interpreter's shutdown; nothing is being written, so leaving at once is safe."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
