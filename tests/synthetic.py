"""Synthetic surfaces and trajectories (numpy only) for the renderer's tests and
benchmarks/render.py (which puts this folder on its path).

    >>> a, b, loss, acc = bowl_surface(41)
    >>> traj = spiral_trajectory(a, b, loss, n_balls=50, n_frames=30)
    >>> traj.positions.shape
    (30, 50, 2)
"""

from __future__ import annotations

import numpy as np

from landscape.balls._trajectory import Trajectory


def bowl_surface(resolution: int = 101, span: float = 1.0):
    """A two-valley bowl: ``(alphas, betas, loss [R, R], accuracy [R, R])``, loss in nats,
    global minimum near (0, 0) (≈ 0.01), a second valley near (0.55, -0.45)."""
    a = np.linspace(-span, span, resolution).astype(np.float32)
    b = np.linspace(-span, span, resolution).astype(np.float32)
    A, B = np.meshgrid(a, b, indexing="ij")
    loss = (0.01 + 2.2 * (A ** 2 + 0.6 * B ** 2) + 0.4 * np.sin(3 * A) * np.cos(2 * B) ** 2
            - 0.9 * np.exp(-((A - 0.55) ** 2 + (B + 0.45) ** 2) / 0.03))
    loss = np.maximum(loss - loss.min() + 0.01, 1e-4).astype(np.float32)
    acc = np.clip(1.0 - loss / loss.max(), 0, 1).astype(np.float32)
    return a, b, loss, acc


def spiral_trajectory(alphas, betas, loss, n_balls: int = 100, n_frames: int = 60,
                      layers=("dense0", "dense1", "dense2", "out"), n_groups: int = 2,
                      gradients: str = "healthy", seed: int = 0) -> Trajectory:
    """Balls spiralling from random starts into the minimum at (0, 0), settling over the last
    third. ``gradients``: ``"healthy"`` (≈0.1 in every layer), ``"vanishing"`` (each layer ×
    1/8 toward the input) or ``"exploding"`` (×8 toward the input, and some balls escape)."""
    rng = np.random.default_rng(seed)
    T, N, L = n_frames, n_balls, len(layers)
    start = rng.uniform(-0.85, 0.85, (N, 2)) * [alphas[-1], betas[-1]]
    r0 = np.hypot(*start.T)
    th0 = np.arctan2(start[:, 1], start[:, 0])
    s = np.linspace(0, 1, T)[:, None]
    r = r0[None] * np.clip(1 - 1.5 * s, 0, 1) + 0.02 * rng.standard_normal((1, N))
    th = th0[None] + 4.0 * s
    pos = np.stack([r * np.cos(th), r * np.sin(th)], -1).astype(np.float32)
    from landscape.surface._interp import plateau_height

    heights = plateau_height(alphas, betas, loss, pos.reshape(-1, 2))[0].reshape(T, N)
    depth = np.arange(L)[::-1]          # 0 at the output layer, L-1 at the input
    factor = {"healthy": 1.0, "vanishing": 1 / 8, "exploding": 8.0}[gradients]
    base = 0.1 * factor ** depth        # [L]
    decay = (1.0 - 0.9 * s)[..., None]  # gradients shrink as balls settle
    noise = np.exp(0.3 * rng.standard_normal((T, N, L)))
    grad = (base[None, None] * decay * noise).astype(np.float32)
    escaped = np.zeros((T, N), bool)
    if gradients == "exploding":
        esc = rng.random(N) < 0.3
        escaped[T // 3:, esc] = True
    settled = (s > 0.68) & ~escaped
    group = (np.arange(N) % n_groups).astype(np.int32)
    groups = [{"name": nm, "optimizer": opt, "lr": lr} for nm, opt, lr in
              [("SGD", "sgd", 0.1), ("Adam", "adam", 0.01), ("Momentum", "momentum", 0.05),
               ("RMSProp", "rmsprop", 0.001)][:n_groups]]
    return Trajectory(np.arange(T, dtype=np.int32) * 5, pos, heights.astype(np.float32),
                      heights.astype(np.float32), grad, grad * 0.1, list(layers), escaped,
                      settled, group, groups)



def two_weight_world(task_cls, x, surface_fn, name: str):
    """A ``task_cls`` (a `landscape.training.Task` subclass with its own loss) over the two
    weights of a linear sigmoid model on the samples ``x [n, 2]`` (labels 0), at θ = 0; the plane
    of those weights' axes; and the surface ``surface_fn(a, b)`` on it (41 × 41, span 1).
    ``name``: the dataset's name and the surface's config hash."""
    from landscape import data, nets, planes, surface

    y = np.zeros(len(x), np.int32)
    ds = data.Dataset(name, x, y, x, y, 2)
    m = nets.from_apply_fn(lambda p, x: x @ p["w"], {"w": np.zeros((2, 1), np.float32)},
                           output="sigmoid")
    th = np.zeros(2, np.float32)
    task = task_cls(model=m, data=ds, theta=th, theta0=th, bn_stats=[], bn_policy="batch",
                    checkpoints=th[None], checkpoint_steps=np.zeros(1, int),
                    train_loss=np.zeros(0, np.float32), config={})
    d1, d2 = np.eye(2, dtype=np.float32)
    plane = planes.Plane(d1, d2, "axes", "none", {})
    al, be, Z = surface.surface_from_fn(surface_fn, span=1.0, resolution=41)
    surf = surface.Surface(alphas=al, betas=be, loss=Z, accuracy=np.zeros_like(Z), theta=th,
                           d1=d1, d2=d2, spec=m.spec, layout=m.layout, x_eval=x, y_eval=y,
                           bn_stats=np.zeros((0, 2, 0), np.float32), meta={"config_hash": name})
    return task, plane, surf
