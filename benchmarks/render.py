"""Offscreen rendering throughput of the stage (prints, never asserts).

    python benchmarks/render.py                 # 201×201 synthetic surface, 200/1000/5000 balls
    python benchmarks/render.py --real          # a real 201×201 surface (computed once, cached)

For each ball count: frames/s of the whole per-frame loop at 1280×720 (update balls, trails,
panel and HUD; orbit the camera; render; read the pixels back), with trails and the gradient
panel on. Then mp4 throughput: the H.264 encoder alone on pre-rendered frames, and the full
render + encode loop. Wall time and process CPU time are both shown: this 2-core machine is
shared, and CPU time per frame is the steadier figure when other work is running.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))  # synthetic surfaces live with the tests

from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.render import Stage, VideoWriter  # noqa: E402


def surface(real: bool):
    if not real:
        return bowl_surface(201), "synthetic bowl 201×201"
    from landscape.pipeline import LandscapeConfig, build_surface

    s, _ = build_surface(LandscapeConfig(grid=201, train_steps=200))
    return (s.alphas, s.betas, s.loss, s.accuracy), "MLP 64-64-64 digits 201×201"


def loop(stage, view, traj, n_frames, writer=None):
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(n_frames):
        view.update(traj.frame(k % traj.n_frames))
        stage.orbit(0.5)
        if writer is None:
            stage.screenshot()
        else:
            writer.write(stage)
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", action="store_true", help="use a real 201×201 surface")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--balls", type=int, nargs="*", default=[200, 1000, 5000])
    args = ap.parse_args()
    (a, b, loss, acc), name = surface(args.real)
    print(f"surface: {name}; 1280×720 offscreen; trails and panel on; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    layers = ["dense0", "dense1", "dense2", "dense3", "out"]
    keep = None
    for n in args.balls:
        traj = spiral_trajectory(a, b, loss, n_balls=n, n_frames=120, layers=layers,
                                 n_groups=3)
        st = Stage(1, size=(1280, 720), off_screen=True)
        v = st.view(0)
        v.set_surface((a, b, loss, acc))
        v.set_balls(traj.groups, traj.group, traj.layers, title=f"{n} balls")
        st.camera("iso")
        loop(st, v, traj, 5)                                   # warm up
        wall, cpu = loop(st, v, traj, args.frames)
        print(f"  {n:5d} balls: {args.frames / wall:5.1f} frames/s wall "
              f"({1000 * wall / args.frames:5.1f} ms/frame, {1000 * cpu / args.frames:5.1f} ms "
              f"CPU/frame)")
        if n == 1000:
            keep = (st, v, traj)
        else:
            st.close()
    if keep is None:
        return
    st, v, traj = keep
    frames = [st.screenshot() for _ in range(1)]
    with tempfile.TemporaryDirectory() as d:
        n = args.frames
        with VideoWriter(os.path.join(d, "enc.mp4"), fps=30, size=st.size,
                         progress=False) as w:
            t0 = time.perf_counter()
            for k in range(n):
                w.write(np.roll(frames[0], 4 * k, axis=1))     # moving content, like a video
            enc = time.perf_counter() - t0
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with VideoWriter(os.path.join(d, "full.mp4"), fps=30, size=st.size,
                         progress=False) as w:
            wall, cpu = loop(st, v, traj, n, writer=w)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ff = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / n
        print(f"mp4 (H.264 ultrafast, crf 20), 1280×720: encoder alone {n / enc:5.1f} frames/s; "
              f"render + encode with 1000 balls {n / wall:5.1f} frames/s "
              f"({1000 * cpu / n:5.1f} ms CPU/frame here + {1000 * ff:4.1f} ms in ffmpeg)")
    st.close()


if __name__ == "__main__":
    main()
