"""Small surface and trajectory files for the export and figure tests: a real (tiny) network,
a non-square grid (so a transposed axis cannot pass), two ball groups."""

from __future__ import annotations

import dataclasses
import os

import jax

from landscape.balls._groups import BallGroup
from landscape.balls._simulator import simulate
from landscape.planes import random_plane
from landscape.surface._compute import compute_surface


@dataclasses.dataclass
class Files:
    surface: object
    trajectory: object
    surface_path: str
    trajectory_path: str
    other_surface_path: str       # same network, other directions
    other_trajectory_path: str    # balls that rolled on the other surface


def make_files(task, directory: str, resolution=(15, 13)) -> Files:
    plane = random_plane(task, key=jax.random.key(0))
    s = compute_surface(task, plane, span=1.0, resolution=resolution, progress=False)
    groups = [BallGroup(name="sgd", optimizer="sgd", lr=0.5, n=10, batch_size=32),
              BallGroup(name="adam", optimizer="adam", lr=0.05, n=6, batch_size=32)]
    t = simulate(task, plane, s, groups, steps=24, key=1)
    other_plane = random_plane(task, key=jax.random.key(5))
    o = compute_surface(task, other_plane, span=1.0, resolution=resolution, progress=False)
    ot = simulate(task, other_plane, o, groups[:1], steps=4, key=2)
    paths = [os.path.join(directory, n) for n in ("surface.npz", "balls.npz", "other.npz",
                                                  "other_balls.npz")]
    s.save(paths[0])
    t.save(paths[1])
    o.save(paths[2])
    ot.save(paths[3])
    return Files(s, t, *paths)
