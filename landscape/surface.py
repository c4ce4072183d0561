"""The loss surface: ``loss[i, j] = L(θ* + alphas[i]·d1 + betas[j]·d2)`` on the whole
evaluation set, with the accuracy on the same grid.

How it is computed: `landscape.engine` (blocks of grid points sharded over every device,
the evaluation set in batches, the first layer precomputed); resumable jobs: `landscape.jobs`.
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
from landscape.serial import json_default
from landscape.train import Task

FORMAT = "landscape.surface/1"
#: evaluation sets up to this size are embedded in surface files; larger ones are stored by
#: content hash and regenerated (or supplied) when needed, unless ``embed_eval=True``
EMBED_LIMIT_BYTES = 32 << 20
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
      extra: further fields over (possibly coarser) grids of the same plane, by name:
        ``{"sharpness": {"alphas": [Ka], "betas": [Kb], "values": [Ka, Kb]}}``.
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
    extra: dict = dataclasses.field(default_factory=dict)

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

    def eval_data(self, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation set ``(x, y)``: the embedded one, else ``x, y`` given by the caller,
        else regenerated from ``meta["eval_set"]["source"]``; the last two are checked against
        the stored content hash (a mismatch raises `LandscapeError`)."""
        from landscape.jobs import array_digest

        info = self.meta.get("eval_set", {})
        if x is None and self.x_eval.shape[0] == info.get("n", self.x_eval.shape[0]):
            return self.x_eval, self.y_eval
        if x is None:
            src = info.get("source")
            if not src:
                raise LandscapeError("this surface file does not embed its evaluation set and "
                                     "it cannot be regenerated; pass x, y")
            from landscape import data as data_mod

            d = data_mod.load(src["dataset"], seed=src.get("seed") or 0, n=src.get("n"),
                              classes=src.get("classes"))
            if info.get("subset"):
                sub = info["subset"]
                d = data_mod.eval_subset(d, sub["size"], seed=sub["seed"])
            x, y = d.x_eval, d.y_eval
        x, y = np.asarray(x, np.float32), np.asarray(y, np.int32)
        want = info.get("sha256")
        if want and array_digest(x, y) != want:
            raise LandscapeError(f"the evaluation set given does not match this surface's "
                                 f"(sha256 {want[:12]}…); it was computed on other data")
        return x, y

    def fingerprint(self) -> str:
        """A short hash of the grid (``alphas``, ``betas``) and the plane (θ*, d1, d2): two
        surfaces with the same fingerprint put the same (a, b) at the same weights.
        Trajectories record it (``meta["surface_fingerprint"]``), so balls are never drawn
        on a surface they did not roll on."""
        import hashlib

        h = hashlib.sha256()
        for v in (self.alphas, self.betas, self.theta, self.d1, self.d2):
            h.update(np.ascontiguousarray(v, np.float32).tobytes())
            h.update(b"|")
        return h.hexdigest()[:20]

    # ------------------------------------------------------------ file format

    def save(self, path: str, *, embed_eval: bool | None = None) -> str:
        """Write an ``.npz`` (no pickle) atomically: a temporary file renamed when complete.

        ``embed_eval``: store the evaluation set in the file (default: when it is at most
        `EMBED_LIMIT_BYTES`); otherwise only its content hash and how to regenerate it are kept
        in ``meta["eval_set"]`` and ``x_eval``/``y_eval`` are saved empty."""
        path = os.fspath(path)
        check_writable(path)
        nbytes = self.x_eval.size * 4 + self.y_eval.size * 4
        embed = nbytes <= EMBED_LIMIT_BYTES if embed_eval is None else bool(embed_eval)
        if self.x_eval.shape[0] == 0 and self.meta.get("eval_set", {}).get("n"):
            embed = False  # loaded without its data: nothing to embed
        meta = dict(self.meta)
        meta["eval_set"] = {**self.meta.get("eval_set", {}), "embedded": embed}
        x = self.x_eval if embed else self.x_eval[:0]
        y = self.y_eval if embed else self.y_eval[:0]
        arrays = {
            "format": np.array(FORMAT),
            "alphas": self.alphas.astype(np.float32), "betas": self.betas.astype(np.float32),
            "loss": self.loss.astype(np.float32), "accuracy": self.accuracy.astype(np.float32),
            "theta": self.theta.astype(np.float32), "d1": self.d1.astype(np.float32),
            "d2": self.d2.astype(np.float32),
            "x_eval": x.astype(np.float32), "y_eval": y.astype(np.int32),
            "bn_stats": self.bn_stats.astype(np.float32),
            "spec": np.array(json.dumps(self.spec)),
            "layout": np.array(json.dumps(self.layout.to_json())),
            "meta": np.array(json.dumps(meta, default=json_default)),
        }
        for name, f in self.extra.items():
            for k in ("alphas", "betas", "values"):
                arrays[f"extra_{name}_{k}"] = np.asarray(f[k], np.float32)
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str) -> "Surface":
        """Read a file written by `save`; a missing, unreadable or foreign file raises a
        `LandscapeError` naming it."""
        arrays = read_npz(path, FORMAT, ("alphas", "betas", "loss", "accuracy", "theta", "d1",
                                         "d2", "x_eval", "y_eval", "bn_stats", "spec", "layout",
                                         "meta"))
        with np.load(os.fspath(path), allow_pickle=False) as z:
            extra_keys = [k for k in z.files if k.startswith("extra_") and k.endswith("_values")]
            extra = {k[6:-7]: {f: z[f"{k[:-7]}_{f}"] for f in ("alphas", "betas", "values")}
                     for k in extra_keys}
        try:
            return cls(arrays["alphas"], arrays["betas"], arrays["loss"], arrays["accuracy"],
                       arrays["theta"], arrays["d1"], arrays["d2"],
                       json.loads(str(arrays["spec"])),
                       Layout.from_json(json.loads(str(arrays["layout"]))),
                       arrays["x_eval"], arrays["y_eval"], arrays["bn_stats"],
                       json.loads(str(arrays["meta"])), extra)
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
    """``f(ab [2]) -> [loss, accuracy]`` of one plane point on the whole evaluation set, in one
    batch, with the first-layer products precomputed as the engine does (for FLOP counting with
    XLA and for tests; `compute_surface` runs the batched, sharded version of the same math)."""
    from landscape.models import loss_and_accuracy

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
                    callback=None) -> Surface:
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
        `landscape.jobs`); the folder is removed when the surface is done unless ``keep_job``.
      log: a callable taking one line, for notices (resuming, a foreign job folder).
      callback: called with the block counts after every computed block.

    Returns:
      A `Surface`; ``meta`` records timings, FLOPs (plain forward and executed), device
      count, batch sizes, resume counts and the non-finite count.

    See `compute_surfaces` for several planes or θ in one compiled job.
    """
    return compute_surfaces(task, [(task.theta, plane)], span=span, resolution=resolution,
                            batch_size=batch_size, eval_batch=eval_batch, block=block,
                            devices=devices, progress=progress, job_dir=job_dir,
                            keep_job=keep_job, log=log, callback=callback)[0]


def compute_surfaces(task: Task, items, *, span=1.0, resolution=51, batch_size=None,
                     eval_batch=None, block: int = 4096, devices=None, progress=None,
                     job_dir: str | None = None, keep_job: bool = False, log=None,
                     callback=None) -> list[Surface]:
    """Grids for many ``(θ, plane)`` pairs or ``(θ, d1, d2)`` triples (e.g. one per training
    checkpoint) in one job: one compiled program, one progress bar, one resumable job folder.
    Each result equals `compute_surface` of the same θ and plane bit for bit.
    """
    from landscape.engine import Evaluator, executed_flops_per_point, run_blocks
    from landscape.jobs import BlockJob, array_digest, job_hash

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
    job = None
    if job_dir is not None:
        h = job_hash({"format": FORMAT, "spec": task.model.spec,
                      "layout": task.model.layout.to_json(), "bn_policy": task.bn_policy,
                      "bn_stats": [np.asarray(v, np.float32) for mv in task.bn_stats for v in mv],
                      "eval": eval_hash, "alphas": alphas, "betas": betas,
                      "planes": [np.stack([th, pl.d1, pl.d2]) for th, pl in planes],
                      "layout_of_blocks": [ev.block_points, ev.batch_size, ev.eval_batch,
                                           ev.n_devices, ev.devices[0].platform],
                      "versions": versions()})
        job = BlockJob(job_dir, h, len(planes) * ev.n_blocks, (ev.block_points, 2),
                       what=f"surface {len(alphas)}×{len(betas)} × {len(planes)}")
        if log is not None and job.discarded:
            log(f"landscape: {job.discarded}")
        if log is not None and job.done.any():
            log(f"landscape: resuming {job_dir}: {int(job.done.sum())} of {job.n_blocks} "
                f"blocks done, computing {int((~job.done).sum())}")
    desc = f"surface {len(alphas)}×{len(betas)}" + (f" × {len(planes)}" if len(planes) > 1 else "")
    out, st = run_blocks(ev, ab, [(th, pl.d1, pl.d2) for th, pl in planes], job=job,
                         progress=progress, desc=desc, callback=callback)
    if job is not None and not keep_job:
        job.remove()
    n_eval = int(np.shape(x)[0])
    flops_plain = 2 * task.model.macs_per_sample * n_eval
    flops_exec = executed_flops_per_point(task.model, n_eval, ev.block_points)
    bn = _bn_array(task.bn_stats)
    results = []
    for (th, pl), o in zip(planes, out):
        loss = o[:, 0].reshape(len(alphas), len(betas))
        acc = o[:, 1].reshape(len(alphas), len(betas))
        i0, j0 = np.flatnonzero(alphas == 0), np.flatnonzero(betas == 0)
        if i0.size and j0.size:
            l0, a0 = float(loss[i0[0], j0[0]]), float(acc[i0[0], j0[0]])
        else:
            c = run_blocks(ev, np.zeros((1, 2), np.float32), [(th, pl.d1, pl.d2)])[0][0, 0]
            l0, a0 = float(c[0]), float(c[1])
        meta = {
            "format": FORMAT,
            "dataset": task.data.describe(),
            "eval_set": {"n": n_eval, "shape": list(np.shape(x)), "sha256": eval_hash,
                         **task.data.eval_source()},
            "train": task.config,
            "direction": pl.method, "norm": pl.norm,
            "direction_meta": {k: v for k, v in pl.meta.items() if k != "path"},
            "pca_path": pl.meta.get("path"),
            "bn_policy": task.bn_policy if task.model.n_bn else None,
            "center_loss": l0, "center_accuracy": a0,
            "n_nonfinite": int((~np.isfinite(loss)).sum()),
            "n_devices": ev.n_devices, "batch_size": ev.batch_size, "eval_batch": ev.eval_batch,
            "block": ev.block_points,
            "flops_per_point": flops_plain,
            "executed_flops_per_point": flops_exec,
            "resume": {k: st[k] for k in ("blocks", "reused", "computed")},
            "seconds": {"compile_and_first_block": st["seconds_first"], "grid": st["seconds_rest"],
                        "total": time.perf_counter() - t0},
            "points_per_second": st["points_per_second"],
            "versions": versions(),
        }
        results.append(Surface(alphas, betas, loss, acc, np.asarray(th, np.float32),
                               np.asarray(pl.d1, np.float32), np.asarray(pl.d2, np.float32),
                               dict(task.model.spec), task.model.layout,
                               np.asarray(x, np.float32), np.asarray(y, np.int32), bn, meta))
    return results


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
