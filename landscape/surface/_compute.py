"""Computing surfaces: the grid, and the loss and accuracy of a network on it.

How: `landscape.surface._engine` (blocks of grid points sharded over every device, the
evaluation set in batches, the first layer precomputed); resumable jobs:
`landscape.surface._jobs`. Non-finite losses (an exploding network) are kept as they are and
counted in ``meta``.
"""

from __future__ import annotations

import contextlib
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError
from landscape.files import entry_lock, versions
from landscape.planes import Plane
from landscape.surface._surface import FORMAT, Surface
from landscape.training import Task

_F32_MAX = float(np.finfo(np.float32).max)  # the grid is float32: a larger span is inf
MAX_POINTS = 50_000_000  # 7071² points; beyond this a grid is a typo, not a picture


def grid(span=1.0, resolution=51) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``alphas, betas`` of a grid. ``span`` is S (a, b ∈ [-S, S]) or
    ``(a_min, a_max, b_min, b_max)``; ``resolution`` is N (N×N) or ``(Na, Nb)``."""
    if np.ndim(span) == 0:
        span = (-float(span), float(span), -float(span), float(span))
        if not (math.isfinite(span[1]) and span[1] > 0):
            raise LandscapeError(f"span must be a positive finite number, got {span[1]}")
    span = tuple(float(s) for s in span)
    if len(span) != 4 or not all(math.isfinite(s) and abs(s) <= _F32_MAX for s in span) \
            or span[0] >= span[1] \
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
    """``f(ab [2]) -> [loss, accuracy]`` of one plane point on the whole evaluation set, in one
    batch, with the first-layer products precomputed as the engine does (for FLOP counting with
    XLA and for tests; `compute_surface` runs the batched, sharded version of the same math)."""
    from landscape.nets import loss_and_accuracy

    model, policy = task.model, task.bn_policy
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)
    th, d1, d2 = (jnp.asarray(v, jnp.float32) for v in (task.theta, plane.d1, plane.d2))
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats] or None
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


def compute_surface(task: Task, plane: Plane, *, span=1.0, resolution=51,
                    batch_size: int | None = None, eval_batch: int | None = None,
                    block: int = 4096, devices=None, progress: bool | None = None,
                    job_dir: str | None = None, keep_job: bool = False, log=None,
                    callback=None, events=None) -> Surface:
    """Evaluate the loss and accuracy of ``task`` on a grid of the ``plane`` through θ*.

    Args:
      span: S for a, b ∈ [-S, S], or ``(a_min, a_max, b_min, b_max)`` (units of d1, d2).
      resolution: N for an N×N grid, or ``(Na, Nb)``.
      batch_size: grid points vmapped together inside ``lax.map`` (default: by memory, ≤ 8).
      eval_batch: samples per evaluation batch; the loss is accumulated over batches (default:
        chosen from the memory available; the whole set when it is small).
      block: at most this many grid points per compiled call (progress and checkpoint
        granularity); the grid is cut into equal blocks, rounded to the devices and batch size.
      devices: JAX devices to shard over (default: all of ``jax.devices()``).
      progress: show a progress bar (default: only on a terminal, for runs over ~2 s).
      job_dir: checkpoint completed blocks here and resume from what is there (see
        `landscape.surface._jobs`); the folder is removed when the surface is done unless ``keep_job``.
      log: a callable taking one line, for notices (resuming, a foreign job folder).
      callback: called with the block counts after every computed block.
      events: an `landscape.progress.Events` (or one listener) that hears the ``"blocks"``
        phase's start, advance and end; the progress bar is a listener of the same events.

    Returns:
      A `Surface`; ``meta`` records timings, FLOPs (plain forward and executed), device
      count, batch sizes, resume counts and the non-finite count.

    See `compute_surfaces` for several planes or θ in one compiled job.
    """
    return compute_surfaces(task, [(task.theta, plane)], span=span, resolution=resolution,
                            batch_size=batch_size, eval_batch=eval_batch, block=block,
                            devices=devices, progress=progress, job_dir=job_dir,
                            keep_job=keep_job, log=log, callback=callback, events=events)[0]


def compute_surfaces(task: Task, items, *, span=1.0, resolution=51, batch_size=None,
                     eval_batch=None, block: int = 4096, devices=None, progress=None,
                     job_dir: str | None = None, keep_job: bool = False, log=None,
                     callback=None, events=None) -> list[Surface]:
    """Grids for many ``(θ, plane)`` pairs or ``(θ, d1, d2)`` triples (e.g. one per training
    checkpoint) in one job: one compiled program, one progress bar, one resumable job folder.
    Each result equals `compute_surface` of the same θ and plane bit for bit.
    """
    from landscape.surface._engine import Evaluator
    from landscape.surface._jobs import array_digest

    alphas, betas = grid(span, resolution)
    t0 = time.perf_counter()
    planes = [_as_plane(it) for it in items]
    if not planes:
        raise LandscapeError("no planes to evaluate")
    P = task.model.n_params
    for th, pl in planes:
        if th.shape != (P,) or pl.d1.shape != (P,) or pl.d2.shape != (P,):
            raise LandscapeError(f"θ and directions must have {P} entries (the model's "
                                 f"parameters), got {th.shape[0]}, {pl.d1.shape[0]}, {pl.d2.shape[0]}")
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    ab = np.stack([A.ravel(), B.ravel()], 1).astype(np.float32)
    x, y = task.data.x_eval, task.data.y_eval
    ev = Evaluator(task.model, x, y, bn_policy=task.bn_policy, bn_stats=task.bn_stats,
                   n_points=ab.shape[0], batch_size=batch_size, eval_batch=eval_batch,
                   block=block, devices=devices)
    eval_hash = array_digest(np.asarray(x, np.float32), np.asarray(y, np.int32))
    # A job folder is used by one process at a time (its lock beside it, released by the OS if
    # the holder dies); a second process on the same folder waits, then resumes from its blocks.
    lock = (entry_lock(job_dir) if job_dir is not None and jax.process_count() == 1
            else contextlib.nullcontext())
    with lock:
        return _run_job(task, planes, alphas, betas, ab, ev, eval_hash, t0, job_dir=job_dir,
                        keep_job=keep_job, log=log, progress=progress, callback=callback,
                        events=events)


def _run_job(task, planes, alphas, betas, ab, ev, eval_hash, t0, *, job_dir, keep_job, log,
             progress, callback, events=None):
    """Evaluate the grid (resuming from ``job_dir`` when given) and assemble the surfaces."""
    from landscape.surface._engine import executed_flops_per_point, run_blocks

    job = None if job_dir is None else _open_job(task, planes, alphas, betas, ev, eval_hash,
                                                 job_dir, log)
    desc = f"surface {len(alphas)}×{len(betas)}" + (f" × {len(planes)}" if len(planes) > 1 else "")
    out, st = run_blocks(ev, ab, [(th, pl.d1, pl.d2) for th, pl in planes], job=job,
                         progress=progress, desc=desc, callback=callback, events=events)
    if job is not None and not keep_job:
        job.remove()
    x, y = task.data.x_eval, task.data.y_eval
    n_eval = int(np.shape(x)[0])
    flops = (2 * task.model.macs_per_sample * n_eval,
             executed_flops_per_point(task.model, n_eval, ev.block_points))
    bn = _bn_array(task.bn_stats)
    results = []
    for (th, pl), o in zip(planes, out):
        loss = o[:, 0].reshape(len(alphas), len(betas))
        acc = o[:, 1].reshape(len(alphas), len(betas))
        l0, a0 = _center(ev, alphas, betas, loss, acc, th, pl)
        meta = _surface_meta(task, pl, ev, st, eval_hash, flops, loss, l0, a0, t0)
        results.append(Surface(
            alphas=alphas, betas=betas, loss=loss, accuracy=acc, theta=np.asarray(th, np.float32),
            d1=np.asarray(pl.d1, np.float32), d2=np.asarray(pl.d2, np.float32),
            spec=dict(task.model.spec), layout=task.model.layout, x_eval=np.asarray(x, np.float32),
            y_eval=np.asarray(y, np.int32), bn_stats=bn, meta=meta))
    return results


def _job_hash(task, planes, alphas, betas, ev, eval_hash) -> str:
    """The hash of everything that determines a job's blocks (see `landscape.surface._jobs`)."""
    from landscape.surface._jobs import job_hash

    return job_hash({"format": FORMAT, "spec": task.model.spec,
                     "layout": task.model.layout.to_json(), "bn_policy": task.bn_policy,
                     "bn_stats": [np.asarray(v, np.float32) for mv in task.bn_stats for v in mv],
                     "eval": eval_hash, "alphas": alphas, "betas": betas,
                     "planes": [np.stack([th, pl.d1, pl.d2]) for th, pl in planes],
                     "layout_of_blocks": [ev.block_points, ev.batch_size, ev.eval_batch,
                                          ev.n_devices, ev.devices[0].platform],
                     "versions": versions()})


def _open_job(task, planes, alphas, betas, ev, eval_hash, job_dir, log):
    """The job folder's completed blocks, with a notice for a foreign folder or a resume."""
    from landscape.surface._jobs import BlockJob

    job = BlockJob(job_dir, _job_hash(task, planes, alphas, betas, ev, eval_hash),
                   len(planes) * ev.n_blocks, (ev.block_points, 2),
                   what=f"surface {len(alphas)}×{len(betas)} × {len(planes)}", log=log)
    if log is not None and job.discarded:
        log(f"landscape: {job.discarded}")
    if log is not None and job.done.any():
        log(f"landscape: resuming {job_dir}: {int(job.done.sum())} of {job.n_blocks} "
            f"blocks done, computing {int((~job.done).sum())}")
    return job


def _center(ev, alphas, betas, loss, acc, th, pl) -> tuple[float, float]:
    """Loss and accuracy at θ (a = b = 0): read off the grid, or evaluated when off it."""
    from landscape.surface._engine import run_blocks

    i0, j0 = np.flatnonzero(alphas == 0), np.flatnonzero(betas == 0)
    if i0.size and j0.size:
        return float(loss[i0[0], j0[0]]), float(acc[i0[0], j0[0]])
    c = run_blocks(ev, np.zeros((1, 2), np.float32), [(th, pl.d1, pl.d2)])[0][0, 0]
    return float(c[0]), float(c[1])


def _surface_meta(task, pl, ev, st, eval_hash, flops, loss, l0, a0, t0) -> dict:
    """A surface's ``meta`` (docs/FORMAT.md): provenance, batching, FLOPs (plain forward,
    executed), timings."""
    x = task.data.x_eval
    n_eval = int(np.shape(x)[0])
    return {
        "format": FORMAT,
        "dataset": task.data.describe(),
        "eval_set": {"n": n_eval, "shape": list(np.shape(x)), "sha256": eval_hash,
                     **task.data.eval_source(), **task.data.arrays_info()},
        "train": task.config,
        "direction": pl.method, "norm": pl.norm,
        "direction_meta": {k: v for k, v in pl.meta.items() if k != "path"},
        "pca_path": pl.meta.get("path"),
        "bn_policy": task.bn_policy if task.model.n_bn else None,
        "center_loss": l0, "center_accuracy": a0,
        "n_nonfinite": int((~np.isfinite(loss)).sum()),
        "n_devices": ev.n_devices, "batch_size": ev.batch_size, "eval_batch": ev.eval_batch,
        "block": ev.block_points,
        "flops_per_point": flops[0],
        "executed_flops_per_point": flops[1],
        "resume": {k: st[k] for k in ("blocks", "reused", "computed")},
        "seconds": {"compile_and_first_block": st["seconds_first"], "grid": st["seconds_rest"],
                    "total": time.perf_counter() - t0},
        "points_per_second": st["points_per_second"],
        "versions": versions(),
    }


def _as_plane(item) -> tuple[np.ndarray, Plane]:
    if len(item) == 2:
        th, pl = item
    elif len(item) == 3:
        th, d1, d2 = item
        pl = Plane(np.asarray(d1, np.float32), np.asarray(d2, np.float32), "custom", "none", {})
    else:
        raise LandscapeError("each item is (θ, plane) or (θ, d1, d2)")
    return np.asarray(th, np.float32).reshape(-1), pl


def _bn_array(bn_stats) -> np.ndarray:
    """``[(mean, var), ...]`` → float32 ``[n_bn, 2, width]``; layers narrower than the widest are
    padded with NaN (the layout gives each layer's width)."""
    if not bn_stats:
        return np.zeros((0, 2, 0), np.float32)
    w = max(np.size(m) for m, _ in bn_stats)
    out = np.full((len(bn_stats), 2, w), np.nan, np.float32)
    for i, (m, v) in enumerate(bn_stats):
        out[i, 0, :np.size(m)] = np.ravel(m)
        out[i, 1, :np.size(v)] = np.ravel(v)
    return out


def surface_from_fn(loss_fn, *, span=1.0, resolution=51) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a plain ``loss_fn(a, b) -> scalar`` on a grid (for toy and analytic surfaces):
    returns ``alphas, betas, loss [Ra, Rb]``."""
    alphas, betas = grid(span, resolution)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    Z = jax.jit(jax.vmap(jax.vmap(loss_fn)))(jnp.asarray(A), jnp.asarray(B))
    return alphas, betas, np.asarray(Z, np.float32)
