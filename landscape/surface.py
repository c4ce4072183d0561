"""The loss surface: ``loss[i, j] = L(θ* + alphas[i]·d1 + betas[j]·d2)`` on the whole
evaluation set, with the accuracy on the same grid.

How it is computed. Grid points are cut into fixed-size blocks (one compilation for any grid
size); each block is split evenly over all JAX devices with ``shard_map`` (a multi-GPU host, or
several hosts after ``jax.distributed.initialize()``), and each device walks its share with
``lax.map`` over small vmapped batches, so memory stays bounded whatever the grid. The first
layer is linear in the weights, so ``first(θ*+a·d1+b·d2) = first(θ*) + a·first(d1) +
b·first(d2)``: its three products with the evaluation set are computed once for the whole grid.
Non-finite losses (an exploding network) are kept as they are and counted in ``meta``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from landscape.directions import Plane
from landscape.errors import LandscapeError
from landscape.files import atomic_savez, check_writable, read_npz, versions
from landscape.interp import bilinear
from landscape.layout import Layout
from landscape.models import loss_and_accuracy
from landscape.progress import progress_bar
from landscape.serial import json_default
from landscape.train import Task

FORMAT = "landscape.surface/1"
MAX_POINTS = 50_000_000  # 7071² points; beyond this a grid is a typo, not a picture


@dataclasses.dataclass(eq=False)
class Surface:
    """A computed loss surface and everything needed to recompute any point of it.

    Attributes:
      alphas: float32 ``[Ra]``, coordinates along d1.
      betas: float32 ``[Rb]``, coordinates along d2.
      loss: float32 ``[Ra, Rb]``, mean cross-entropy (nats) on the evaluation set.
      accuracy: float32 ``[Ra, Rb]``, in [0, 1].
      theta, d1, d2: float32 ``[P]``, θ* and the two directions.
      spec: the network spec (JSON-able); layout: the flat-vector `Layout`.
      x_eval: float32 ``[n, d]``, y_eval: int32 ``[n]``: the evaluation data.
      bn_stats: float32 ``[n_bn, 2, width]`` running (mean, var) at θ*, or empty.
      meta: dataset, seeds, direction method, normalization, batch-norm policy, timings, ...
    """

    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    theta: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    spec: dict
    layout: Layout
    x_eval: np.ndarray
    y_eval: np.ndarray
    bn_stats: np.ndarray
    meta: dict

    @property
    def shape(self) -> tuple[int, int]:
        return self.loss.shape

    @property
    def span(self) -> tuple[float, float, float, float]:
        return (float(self.alphas[0]), float(self.alphas[-1]),
                float(self.betas[0]), float(self.betas[-1]))

    @property
    def center_loss(self) -> float:
        """The surface at (0, 0) when the grid contains it (it does for odd resolutions)."""
        return float(self.meta["center_loss"])

    def summary(self) -> dict:
        finite = self.loss[np.isfinite(self.loss)]
        return {"grid": list(self.shape), "span": list(self.span),
                "min_loss": float(finite.min()) if finite.size else None,
                "max_loss": float(finite.max()) if finite.size else None,
                "center_loss": self.meta.get("center_loss"),
                "center_accuracy": self.meta.get("center_accuracy"),
                "n_nonfinite": int(self.meta.get("n_nonfinite", 0)),
                "direction": self.meta.get("direction"), "norm": self.meta.get("norm"),
                "bn_policy": self.meta.get("bn_policy")}

    def __repr__(self) -> str:
        s = self.summary()
        lo, hi = s["min_loss"], s["max_loss"]
        rng = f"{lo:.3g}–{hi:.3g}" if lo is not None else "none finite"
        net = self.spec.get("kind", "net")
        widths = self.spec.get("widths")
        if widths:
            net += " " + "-".join(map(str, widths)) + f" {self.spec.get('activation', '')}"
        extra = f", {s['n_nonfinite']} non-finite" if s["n_nonfinite"] else ""
        center = self.meta.get("center_loss")
        return (f"Surface({s['grid'][0]}×{s['grid'][1]} grid, a ∈ [{s['span'][0]:g}, "
                f"{s['span'][1]:g}], b ∈ [{s['span'][2]:g}, {s['span'][3]:g}], loss {rng}"
                + (f", at θ* {center:.3g}" if center is not None else "") + extra
                + f"; {net.strip()}, {s['direction']} directions, {self.theta.size:,} params)")

    def interpolate(self, ab, field: str = "loss") -> np.ndarray:
        """Bilinear interpolation of ``loss`` (or ``accuracy``) at points ``ab`` ``[..., 2]``;
        points outside the grid take the nearest edge value."""
        return bilinear(self.alphas, self.betas, getattr(self, field), ab)

    # ------------------------------------------------------------ file format

    def save(self, path: str) -> str:
        """Write an ``.npz`` (no pickle) atomically: a temporary file renamed when complete."""
        path = os.fspath(path)
        check_writable(path)
        arrays = {
            "format": np.array(FORMAT),
            "alphas": self.alphas.astype(np.float32), "betas": self.betas.astype(np.float32),
            "loss": self.loss.astype(np.float32), "accuracy": self.accuracy.astype(np.float32),
            "theta": self.theta.astype(np.float32), "d1": self.d1.astype(np.float32),
            "d2": self.d2.astype(np.float32),
            "x_eval": self.x_eval.astype(np.float32), "y_eval": self.y_eval.astype(np.int32),
            "bn_stats": self.bn_stats.astype(np.float32),
            "spec": np.array(json.dumps(self.spec)),
            "layout": np.array(json.dumps(self.layout.to_json())),
            "meta": np.array(json.dumps(self.meta, default=json_default)),
        }
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str) -> "Surface":
        """Read a file written by `save`; a missing, unreadable or foreign file raises a
        `LandscapeError` naming it."""
        arrays = read_npz(path, FORMAT, ("alphas", "betas", "loss", "accuracy", "theta", "d1",
                                         "d2", "x_eval", "y_eval", "bn_stats", "spec", "layout",
                                         "meta"))
        try:
            return cls(arrays["alphas"], arrays["betas"], arrays["loss"], arrays["accuracy"],
                       arrays["theta"], arrays["d1"], arrays["d2"],
                       json.loads(str(arrays["spec"])),
                       Layout.from_json(json.loads(str(arrays["layout"]))),
                       arrays["x_eval"], arrays["y_eval"], arrays["bn_stats"],
                       json.loads(str(arrays["meta"])))
        except (ValueError, KeyError, TypeError) as e:
            raise LandscapeError(f"{path}: not a valid landscape surface file ({e})") from None


# ---------------------------------------------------------------- computation

def grid(span=1.0, resolution=51) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``alphas, betas`` of a grid. ``span`` is S (a, b ∈ [-S, S]) or
    ``(a_min, a_max, b_min, b_max)``; ``resolution`` is N (N×N) or ``(Na, Nb)``."""
    if np.ndim(span) == 0:
        span = (-float(span), float(span), -float(span), float(span))
        if not (math.isfinite(span[1]) and span[1] > 0):
            raise LandscapeError(f"span must be a positive finite number, got {span[1]}")
    span = tuple(float(s) for s in span)
    if len(span) != 4 or not all(math.isfinite(s) for s in span) or span[0] >= span[1] \
            or span[2] >= span[3]:
        raise LandscapeError(f"span must be S > 0 or (a_min, a_max, b_min, b_max) with min < max, "
                             f"got {span}")
    ra, rb = (resolution, resolution) if np.ndim(resolution) == 0 else resolution
    if int(ra) != ra or int(rb) != rb or ra < 2 or rb < 2:
        raise LandscapeError(f"grid resolution must be at least 2, got {resolution}")
    if ra * rb > MAX_POINTS:
        raise LandscapeError(f"a {ra}×{rb} grid ({ra * rb:,} points) is too large; "
                             f"use at most {MAX_POINTS:,} points")
    return (np.linspace(span[0], span[1], int(ra), dtype=np.float32),
            np.linspace(span[2], span[3], int(rb), dtype=np.float32))


def point_fn(task: Task, plane: Plane):
    """``f(ab [2]) -> (loss, accuracy)`` on the whole evaluation set, with the first-layer
    products precomputed when the model exposes its first layer."""
    model = task.model
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)
    th, d1, d2 = jnp.asarray(task.theta), jnp.asarray(plane.d1), jnp.asarray(plane.d2)
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats] or None
    policy = task.bn_policy
    if model.first_fn is not None:
        P0, P1, P2 = (jax.jit(model.first)(v, x) for v in (th, d1, d2))

        def f(ab):
            a, b = ab[0], ab[1]
            logits = model.head(th + a * d1 + b * d2, P0 + a * P1 + b * P2, stats, policy)
            return jnp.stack(loss_and_accuracy(logits, y, model.output))
    else:
        def f(ab):
            logits = model.apply(th + ab[0] * d1 + ab[1] * d2, x, stats, policy)
            return jnp.stack(loss_and_accuracy(logits, y, model.output))
    return f


def _batch_size(task: Task) -> int:
    # keep one vmapped batch's activations near 64 MiB whatever the data size
    width = max([p.shape[-1] for p in task.model.layout.params if p.role == "weight"] + [1])
    per_point = task.data.x_eval.shape[0] * max(width, task.data.n_features) * 4 * 4
    return int(max(1, min(8, (64 << 20) // max(per_point, 1))))


def compute_surface(task: Task, plane: Plane, *, span=1.0, resolution=51,
                    batch_size: int | None = None, block: int = 4096, devices=None,
                    progress: bool | None = None) -> Surface:
    """Evaluate the loss and accuracy of ``task`` on a grid of the ``plane``.

    Args:
      span: S for a, b ∈ [-S, S], or ``(a_min, a_max, b_min, b_max)`` (units of d1, d2).
      resolution: N for an N×N grid, or ``(Na, Nb)``.
      batch_size: grid points vmapped together inside ``lax.map`` (default: by memory, ≤ 16).
      block: at most this many grid points per compiled call (progress granularity); the
        grid is cut into equal blocks, rounded to the devices and batch size.
      devices: JAX devices to shard over (default: all of ``jax.devices()``).
      progress: show a progress bar (default: only on a terminal, for runs over ~2 s).

    Returns:
      A `Surface`; ``meta`` records timings, FLOPs, device count and non-finite count.
    """
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as Ps

    alphas, betas = grid(span, resolution)
    t0 = time.perf_counter()
    devices = list(devices) if devices is not None else jax.devices()
    n_dev = len(devices)
    bs = batch_size or _batch_size(task)
    f = point_fn(task, plane)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    ab = np.stack([A.ravel(), B.ravel()], 1).astype(np.float32)
    n = ab.shape[0]
    # as few blocks of at most `block` points as cover the grid, sized evenly so the last one
    # is not mostly padding (10,201 points: 3 × 3,408, not 3 × 4,096)
    n_blk = -(-n // block)
    per_dev = max(bs, -(-n // (n_blk * n_dev)))
    per_dev = -(-per_dev // bs) * bs
    blk = per_dev * n_dev
    n_blocks = -(-n // blk)
    ab_pad = np.concatenate([ab, np.zeros((n_blocks * blk - n, 2), np.float32)])
    mesh = Mesh(np.array(devices), ("grid",))

    def local(ab_local):
        return jax.lax.map(f, ab_local, batch_size=bs)

    run = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=Ps("grid"), out_specs=Ps("grid")))
    sharding = NamedSharding(mesh, Ps("grid"))
    out = np.empty((n_blocks * blk, 2), np.float32)
    flops_pt = 2 * task.model.macs_per_sample * task.data.x_eval.shape[0]
    t_compile = time.perf_counter()
    first = run(_put(ab_pad[:blk], sharding))
    out[:blk] = _fetch(first)
    t_compile = time.perf_counter() - t_compile
    bar = progress_bar(n_blocks, progress, est_seconds=t_compile * n_blocks,
                    desc=f"surface {len(alphas)}×{len(betas)}")
    if bar is not None:
        bar.update(1)
    t_run = time.perf_counter()
    pending = []  # keep one block in flight while the previous one is copied back
    for k in range(1, n_blocks):
        pending.append((k, run(_put(ab_pad[k * blk:(k + 1) * blk], sharding))))
        if len(pending) > 1:
            j, res = pending.pop(0)
            out[j * blk:(j + 1) * blk] = _fetch(res)
            if bar is not None:
                bar.update(1)
    for j, res in pending:
        out[j * blk:(j + 1) * blk] = _fetch(res)
        if bar is not None:
            bar.update(1)
    t_run = time.perf_counter() - t_run
    if bar is not None:
        bar.close()
    out = out[:n]
    loss = out[:, 0].reshape(len(alphas), len(betas))
    acc = out[:, 1].reshape(len(alphas), len(betas))
    l0, a0 = jax.jit(f)(jnp.zeros(2, jnp.float32))
    rate = (n - min(n, blk)) / t_run if n_blocks > 1 and t_run > 0 else n / (t_compile + 1e-9)
    meta = {
        "format": FORMAT,
        "dataset": task.data.describe(),
        "train": task.config,
        "direction": plane.method, "norm": plane.norm,
        "direction_meta": {k: v for k, v in plane.meta.items() if k != "path"},
        "pca_path": plane.meta.get("path"),
        "bn_policy": task.bn_policy if task.model.n_bn else None,
        "center_loss": float(l0), "center_accuracy": float(a0),
        "n_nonfinite": int((~np.isfinite(loss)).sum()),
        "n_devices": n_dev, "batch_size": bs, "block": blk,
        "flops_per_point": flops_pt,
        "seconds": {"compile_and_first_block": t_compile, "grid": t_run,
                    "total": time.perf_counter() - t0},
        "points_per_second": rate,
        "versions": versions(),
    }
    bn = np.stack([np.stack([m, v]) for m, v in task.bn_stats]).astype(np.float32) \
        if task.bn_stats else np.zeros((0, 2, 0), np.float32)
    return Surface(alphas, betas, loss, acc, np.asarray(task.theta, np.float32),
                   np.asarray(plane.d1, np.float32), np.asarray(plane.d2, np.float32),
                   dict(task.model.spec), task.model.layout,
                   np.asarray(task.data.x_eval, np.float32), np.asarray(task.data.y_eval, np.int32),
                   bn, meta)


def _put(block: np.ndarray, sharding):
    """Place a block of grid points on the mesh. Every process holds the whole (tiny) grid, so
    each one supplies the rows of its own devices: this works unchanged across hosts after
    ``jax.distributed.initialize()``."""
    return jax.make_array_from_callback(block.shape, sharding, lambda idx: block[idx])


def _fetch(arr) -> np.ndarray:
    """Bring a result back to this host; across hosts, gather every process's rows."""
    if arr.is_fully_addressable:
        return np.asarray(arr)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(arr, tiled=True))


def surface_from_fn(loss_fn, *, span=1.0, resolution=51) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a plain ``loss_fn(a, b) -> scalar`` on a grid (for toy and analytic surfaces):
    returns ``alphas, betas, loss [Ra, Rb]``."""
    alphas, betas = grid(span, resolution)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    Z = jax.jit(jax.vmap(jax.vmap(loss_fn)))(jnp.asarray(A), jnp.asarray(B))
    return alphas, betas, np.asarray(Z, np.float32)
