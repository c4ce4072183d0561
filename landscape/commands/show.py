"""``landscape show FILE [SCENE]``: open a scene in the interactive window."""

from __future__ import annotations

from landscape.commands.common import info
from landscape.errors import LandscapeError


def register(sub) -> None:
    from landscape.commands.render import add_scene_args

    p = sub.add_parser("show", help="open a scene in an interactive window",
                       description="Compute a scene's landscapes and open them in a window: "
                                   "space plays/pauses, click the surface to drop a ball, h "
                                   "lists the keys.")
    add_scene_args(p)
    p.add_argument("-q", "--quality", default="medium",
                   help="low | medium | high: the surface grid (default medium)")
    p.set_defaults(func=run)


def run(args) -> int:
    from landscape import player
    from landscape.scene import get_quality
    from landscape.scene_loader import build_scene, pick_scene

    quality = get_quality(args.quality)
    cls = pick_scene(args.file, args.scene)
    from landscape.render import default_off_screen

    if default_off_screen():
        raise LandscapeError("the interactive window needs a display and none was found; "
                             f"render a video instead: landscape render {args.file}")
    scene = build_scene(args.file, cls.__name__, seed=args.seed, quality=quality)
    computed = player.compute(scene, log=info, cache=not args.no_cache, simulate=False)
    player.show(computed)
    return 0
