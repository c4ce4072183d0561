"""Render one still frame of every scene in scenes/ into docs/gallery/<scene>.png.

    python docs/make_gallery.py                 # all scenes, low-quality grid, 1280×720 stills
    python docs/make_gallery.py vanishing_gradient optimizers   # just these
    python docs/make_gallery.py --quality medium --at 0.8

Each still shows the scene at a fraction ``--at`` of its run time (default 0.75: balls well on
their way, the last caption showing). Surfaces come from the landscape cache, so a second run is
quick.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main(argv=None) -> int:
    from landscape.cli import configure_devices, enable_compile_cache

    configure_devices()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenes", nargs="*", help="scene file stems (default: every scene)")
    p.add_argument("--quality", default="low", help="surface grid and ball counts (default low)")
    p.add_argument("--at", type=float, default=0.75, help="fraction of the run time to show")
    p.add_argument("--size", default="1280x720", help="image size (default 1280x720)")
    p.add_argument("--out", default=os.path.join(HERE, "gallery"), help="output folder")
    args = p.parse_args(argv)
    enable_compile_cache()

    from landscape.scene import build_scene, compute_scene, load_scenes, still

    files = sorted(glob.glob(os.path.join(ROOT, "scenes", "*.py")))
    if args.scenes:
        files = [f for f in files if os.path.splitext(os.path.basename(f))[0] in args.scenes]
    size = tuple(int(v) for v in args.size.lower().split("x"))
    os.makedirs(args.out, exist_ok=True)
    for f in files:
        stem = os.path.splitext(os.path.basename(f))[0]
        for name in load_scenes(f):
            t0 = time.perf_counter()
            scene = build_scene(f, name, quality=args.quality)
            computed = compute_scene(scene)
            out = os.path.join(args.out, f"{stem}.png")
            still(computed, out, at=args.at, size=size)
            print(f"{out}  ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
            break  # one image per file
    return 0


if __name__ == "__main__":
    sys.exit(main())
