"""What each ingredient of the cinematic look costs a frame (prints, never asserts).

    python benchmarks/look.py [--frames 40] [--size 1280x720]

One view, a 121×121 synthetic surface, 300 balls with trails and the gradient panel, the
per-frame loop of a video (update balls, orbit, render, read the pixels back). Each variant is
the ``plain`` look plus one ingredient, then the whole ``cinematic`` look, then shadows (which
the cinematic look leaves out). Each is measured in a fresh Stage after 5 warm-up frames; ms a
frame is the median of the frames, wall clock and process CPU (the machine is shared: CPU time
is the steadier figure).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))  # synthetic surfaces live with the tests

from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.render import (
    Stage,  # noqa: E402
    get_look,  # noqa: E402
)

PLAIN = get_look("plain")
CINE = get_look("cinematic")
VARIANTS = [
    ("plain", PLAIN, False),
    ("+ FXAA (EGL: SSAA)", dataclasses.replace(PLAIN, anti_aliasing="fxaa"), False),
    ("+ SSAA (4 samples)", dataclasses.replace(PLAIN, anti_aliasing="ssaa"), False),
    ("+ SSAO", dataclasses.replace(PLAIN, ssao=True), False),
    ("+ glossy surface", dataclasses.replace(PLAIN, surface_specular=CINE.surface_specular,
                                             surface_specular_power=CINE.surface_specular_power),
     False),
    ("+ ball highlights", dataclasses.replace(PLAIN, ball_specular=CINE.ball_specular), False),
    ("+ thick lifted trails", dataclasses.replace(PLAIN, trail_width=CINE.trail_width,
                                                  trail_lift=CINE.trail_lift), False),
    ("cinematic", CINE, False),
    ("cinematic + shadows", CINE, True),
]


def measure(look, shadows, size, n_frames, traj, surf):
    st = Stage(1, size=size, off_screen=True, look=look)
    if shadows:
        st.plotter.enable_shadows()
    v = st.view(0)
    v.set_surface(surf)
    v.set_balls(traj.groups, traj.group, traj.layers, title="look benchmark")
    times, cpus = [], []
    for k in range(n_frames + 5):
        t0, c0 = time.perf_counter(), time.process_time()
        v.update(traj.frame(k % traj.n_frames))
        st.orbit(0.5)
        img = st.screenshot()
        if k >= 5:
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    st.close()
    return 1e3 * float(np.median(times)), 1e3 * float(np.median(cpus)), img


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--stills", help="a folder to save each variant's last frame in (PNG)")
    args = ap.parse_args()
    size = tuple(int(x) for x in args.size.lower().split("x"))
    a, b, loss, acc = bowl_surface(121)
    traj = spiral_trajectory(a, b, loss, n_balls=300, n_frames=60)
    print(f"one view {size[0]}×{size[1]} offscreen, 121×121 surface, 300 balls with trails, "
          f"panel on; median of {args.frames} frames")
    base = None
    for name, look, shadows in VARIANTS:
        wall, cpu, img = measure(look, shadows, size, args.frames, traj, (a, b, loss, acc))
        base = base or wall
        print(f"  {name:24s} {wall:7.1f} ms/frame wall ({1e3 / wall:5.1f} fps, "
              f"{wall / base:4.2f}× plain)   {cpu:7.1f} ms CPU")
        if args.stills:
            import imageio

            os.makedirs(args.stills, exist_ok=True)
            slug = name.strip("+ ").replace(" ", "_").replace("(", "").replace(")", "")
            imageio.imwrite(os.path.join(args.stills, f"{slug}.png"), img)


if __name__ == "__main__":
    main()
