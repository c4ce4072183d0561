"""The grid engine: loss and accuracy of a network at many points ``θ + a·d1 + b·d2``.

Protocol. `Evaluator` compiles one program per (model, evaluation set, block size) that takes
the grid points of a block, ``θ``, ``d1``, ``d2`` as *arguments*: the same compiled program
serves any plane and any θ (a training time-lapse evaluates one plane per checkpoint with it).

How a block is computed. The points of a block are split evenly over all JAX devices with
``shard_map`` (several GPUs, or several hosts after ``jax.distributed.initialize()``); each
device scans the evaluation set in batches of ``eval_batch`` samples and, per batch, walks its
points with ``lax.map`` over ``batch_size`` vmapped points, adding each point's summed loss and
correct count; the sums are divided by the number of samples at the end. So memory is bounded by
one evaluation batch, whatever the size of the evaluation set, and the result equals the one-shot
mean to float32 rounding. The first layer is linear in the weights, ``first(θ+a·d1+b·d2) =
first(θ) + a·first(d1) + b·first(d2)``: per evaluation batch its three products are computed once
and shared by every point of the block.
"""

from __future__ import annotations

import functools
import math
import os

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError, raise_if_signalled
from landscape.nets import Model, sample_losses

#: target bytes of live activations per device (one vmapped batch of points on one eval batch)
ACTIVATION_BUDGET = 64 << 20


def available_memory(device=None) -> int:
    """Bytes free for this computation: an accelerator's reported free memory, else the host's
    available RAM (``MemAvailable``)."""
    device = device or jax.devices()[0]
    try:
        st = device.memory_stats()
    except Exception:
        st = None
    if st and "bytes_limit" in st:
        return int(st["bytes_limit"] - st.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def activation_bytes(model: Model, sample_shape) -> int:
    """Rough bytes of live activations per sample and grid point (float32, a few copies of the
    widest layer: pre-activation, activation, gradients are not taken)."""
    widest = max([p.shape[_out(p)] for p in model.layout.params if p.role == "weight"] + [1])
    per = max(widest, int(math.prod(sample_shape)))
    if model.spec.get("kind") == "cnn":
        # feature maps: height × width × channels of the first conv layer dominate
        h, w = model.spec["image_shape"]
        per = max(per, h * w * max(model.spec["channels"]))
    if model.spec.get("kind") == "transformer":
        # the feed-forward layer's hidden units and every head's attention scores, per position
        t, d = model.spec["seq_len"], model.spec["widths"][0]
        per = max(per, t * (model.spec["ffn_mult"] * d + model.spec["heads"] * t + 4 * d))
    return 4 * 4 * per


def _out(p) -> int:
    return getattr(p, "out_axis", -1)


def plan_batches(model: Model, n_eval: int, sample_shape, *, n_points_per_device: int,
                 batch_size: int | None, eval_batch: int | None, bn_policy: str,
                 device=None) -> tuple[int, int]:
    """Choose ``(batch_size, eval_batch)``: points vmapped together, samples per evaluation
    batch. Given values are checked against the memory available; missing ones are chosen so
    one vmapped batch's activations stay near `ACTIVATION_BUDGET` on a CPU (cache-sized, at most
    8 points), or within an eighth of the free memory on an accelerator (at most 256 points;
    untested here: no GPU was available)."""
    per = activation_bytes(model, sample_shape)
    free = available_memory(device)
    batch_norm_batch = model.n_bn and bn_policy == "batch"
    if eval_batch is not None:
        eval_batch = int(eval_batch)
        if eval_batch < 1:
            raise LandscapeError(f"the evaluation batch must be at least 1 sample, got {eval_batch}")
        eval_batch = min(eval_batch, n_eval)
        need = eval_batch * per * (batch_size or 1) + eval_batch * int(math.prod(sample_shape)) * 4 * 3
        if need > free:
            raise LandscapeError(
                f"an evaluation batch of {eval_batch:,} samples needs about {need / 2**30:.1f} GiB "
                f"and {free / 2**30:.1f} GiB is free; use a smaller --eval-batch")
    if batch_norm_batch:
        # batch statistics are those of the whole evaluation set: it is one batch
        if eval_batch is not None and eval_batch < n_eval:
            raise LandscapeError(
                f"batch norm with policy 'batch' uses the statistics of the whole evaluation set, "
                f"so it cannot be evaluated in batches of {eval_batch}; use bn policy 'eval' or "
                f"a smaller evaluation set (--eval-samples)")
        if n_eval * per > free:
            raise LandscapeError(
                f"batch norm with policy 'batch' needs the whole evaluation set ({n_eval:,} "
                f"samples, about {n_eval * per / 2**30:.1f} GiB) in one batch and "
                f"{free / 2**30:.1f} GiB is free; use bn policy 'eval' or --eval-samples")
        eval_batch = n_eval
    accelerator = device is not None and getattr(device, "platform", "cpu") != "cpu"
    # CPU: small vmapped batches that stay in cache; GPU/TPU: wide ones that fill the device
    budget = min(ACTIVATION_BUDGET if not accelerator else 4 << 30, free // 8)
    max_points = 8 if not accelerator else 256
    if eval_batch is None:
        eval_batch = int(max(1, min(n_eval, budget // per)))
        # as few equal batches as cover the set, so the last is not mostly padding
        nb = -(-n_eval // eval_batch)
        eval_batch = -(-n_eval // nb)
    if batch_size is None:
        batch_size = int(max(1, min(max_points, budget // max(1, eval_batch * per))))
        if any(len(p.shape) >= 3 for p in model.layout.params if p.role == "weight"):
            # vmapping points with their own conv kernels makes grouped convolutions, which
            # XLA:CPU runs ~3× slower than one point at a time (31×31 CNN on digits: 10 s → 4 s)
            batch_size = 1 if not accelerator else batch_size
    batch_size = int(max(1, min(int(batch_size), n_points_per_device)))
    return batch_size, eval_batch


def split_eval(x: np.ndarray, y: np.ndarray, eval_batch: int):
    """``[n, ...]`` → ``[nb, eval_batch, ...]`` zero-padded, with a float32 weight ``[nb, eb]``
    that is 1 on real samples and 0 on padding."""
    n = x.shape[0]
    nb = -(-n // eval_batch)
    pad = nb * eval_batch - n
    w = np.ones(n, np.float32)
    if pad:
        x = np.concatenate([x, np.zeros((pad,) + x.shape[1:], x.dtype)])
        y = np.concatenate([y, np.zeros((pad,) + y.shape[1:], y.dtype)])
        w = np.concatenate([w, np.zeros(pad, np.float32)])
    return (x.reshape((nb, eval_batch) + x.shape[1:]), y.reshape((nb, eval_batch) + y.shape[1:]),
            w.reshape(nb, eval_batch))


class Evaluator:
    """Loss and accuracy at blocks of plane points, one compiled program for any ``θ, d1, d2``.

    Args:
      model: the network; ``bn_policy`` and ``bn_stats`` as in `landscape.training.Task`.
      x, y: the evaluation set, ``[n, ...]`` float32 and ``[n]`` int.
      n_points: how many points the whole job has (sizes the blocks).
      batch_size: points vmapped together (default: by memory, at most 8).
      eval_batch: samples per evaluation batch (default: by memory; the whole set when small).
      block: at most this many points per compiled call; the job is cut into equal blocks
        rounded to the devices and batch size.
      devices: JAX devices to shard over (default: all of ``jax.devices()``, every host's).

    ``evaluator.block(ab, θ, d1, d2)`` with ``ab`` float32 ``[block_points, 2]`` returns
    float32 ``[block_points, 2]`` (loss, accuracy).
    """

    def __init__(self, model: Model, x, y, *, bn_policy: str = "eval", bn_stats=(),
                 n_points: int, batch_size: int | None = None, eval_batch: int | None = None,
                 block: int = 4096, devices=None):
        from jax.sharding import Mesh, NamedSharding
        from jax.sharding import PartitionSpec as Ps

        self.model = model
        self.devices = list(devices) if devices is not None else jax.devices()
        n_dev = len(self.devices)
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.int32)
        self.n_eval = int(x.shape[0])
        if self.n_eval < 1:
            raise LandscapeError("the evaluation set is empty")
        n_blk = -(-n_points // block)
        per_dev_guess = max(1, -(-n_points // (n_blk * n_dev)))
        bs, eb = plan_batches(model, self.n_eval, x.shape[1:], n_points_per_device=per_dev_guess,
                              batch_size=batch_size, eval_batch=eval_batch, bn_policy=bn_policy,
                              device=self.devices[0])
        per_dev = -(-per_dev_guess // bs) * bs
        self.batch_size, self.eval_batch = bs, eb
        self.block_points = per_dev * n_dev
        self.n_blocks = -(-n_points // self.block_points)
        self.n_devices = n_dev
        mesh = Mesh(np.array(self.devices), ("grid",))
        self.grid_sharding = NamedSharding(mesh, Ps("grid"))
        self.replicated = NamedSharding(mesh, Ps())
        xb, yb, wb = split_eval(x, y, eb)
        self.data = tuple(self.replicate(v) for v in (xb, yb, wb))
        stats = tuple((np.asarray(m, np.float32), np.asarray(v, np.float32))
                      for m, v in (bn_stats or ()))
        self.stats = tuple((self.replicate(m), self.replicate(v)) for m, v in stats)
        self.run = compiled_program(model, bn_policy, bs, self.n_eval, tuple(self.devices))

    def replicate(self, a):
        """Put a host array on every device (each process supplies its own devices' copies)."""
        a = np.asarray(a)
        return jax.make_array_from_callback(a.shape, self.replicated, lambda idx: a[idx])

    def put_params(self, theta, d1, d2):
        return tuple(self.replicate(np.asarray(v, np.float32)) for v in (theta, d1, d2))

    def dispatch(self, ab_block: np.ndarray, params):
        """Start one block (asynchronous); `fetch` its result."""
        ab = np.ascontiguousarray(ab_block, np.float32)
        ab = jax.make_array_from_callback(ab.shape, self.grid_sharding, lambda idx: ab[idx])
        return self.run(ab, *params, *self.data, self.stats)

    def block(self, ab_block, theta, d1, d2) -> np.ndarray:
        return fetch(self.dispatch(ab_block, self.put_params(theta, d1, d2)))


@functools.lru_cache(maxsize=16)
def compiled_program(model: Model, bn_policy: str, batch_size: int, n_eval: int, devices: tuple):
    """The jitted, sharded block program, kept per (model, policy, sizes, devices): later
    surfaces of the same model and evaluation-set size reuse its compilations."""
    from jax.sharding import Mesh
    from jax.sharding import PartitionSpec as Ps

    mesh = Mesh(np.array(devices), ("grid",))
    local = block_program(model, bn_policy, batch_size, n_eval)
    spec = (Ps("grid"),) + (Ps(),) * 7
    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=spec, out_specs=Ps("grid"), check_vma=False))


def block_program(model: Model, bn_policy: str, batch_size: int, n_eval: int):
    """The per-device program: ``(ab [g, 2], θ, d1, d2, xb, yb, wb, stats) -> [g, 2]``."""
    stats_mode = bn_policy

    def local(ab, theta, d1, d2, xb, yb, wb, stats):
        stats = list(stats) or None

        def per_batch(acc, batch):
            x, y, w = batch
            if model.first_fn is not None:
                P0, P1, P2 = (model.first(v, x) for v in (theta, d1, d2))

                def point(p):
                    a, b = p[0], p[1]
                    logits = model.head(theta + a * d1 + b * d2, P0 + a * P1 + b * P2, stats,
                                        stats_mode)
                    return sums(logits, y, w)
            else:
                def point(p):
                    logits = model.apply(theta + p[0] * d1 + p[1] * d2, x, stats, stats_mode)
                    return sums(logits, y, w)
            return acc + jax.lax.map(point, ab, batch_size=batch_size), None

        def sums(logits, y, w):
            loss, correct = sample_losses(logits, y, model.output)
            return jnp.stack([jnp.sum(loss * w), jnp.sum(correct * w)])

        tot, _ = jax.lax.scan(per_batch, jnp.zeros_like(ab), (xb, yb, wb))  # [g, 2], sharded like ab
        return tot / jnp.float32(n_eval)

    return local


def fetch(arr) -> np.ndarray:
    """Bring a result back to this host; across hosts, gather every process's rows."""
    if arr.is_fully_addressable:
        return np.asarray(arr)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(arr, tiled=True))


def executed_flops_per_point(model: Model, n_eval: int, block_points: int) -> float:
    """FLOPs one grid point actually costs (`landscape.flops.surface_flops`, with the first
    layer's products shared by a block's points)."""
    from landscape.flops import surface_flops

    return float(surface_flops(model, n_eval, block_points)["executed"])


def run_blocks(ev: Evaluator, ab: np.ndarray, params_list, *, job=None, progress=None,
               desc: str = "grid", callback=None, events=None) -> tuple[np.ndarray, dict]:
    """Evaluate the points ``ab`` ``[n, 2]`` for every ``(θ, d1, d2)`` of ``params_list`` with one
    compiled program. Blocks already in ``job`` (a `landscape.surface._jobs.BlockJob`) are read back,
    the others computed and checkpointed. Returns float32 ``[len(params_list), n, 2]`` and
    counts/timings: ``blocks``, ``reused``, ``computed``, ``seconds_first`` (compile and first
    block), ``seconds_rest``, ``points_per_second``.

    Progress is reported as events (`landscape.progress`) of the phase ``"blocks"``: ``start``
    after the first block (compiled) with the blocks left as ``total`` and their estimated
    seconds, ``advance`` per block, ``end``. ``events`` (an `Events` or a listener) hears them;
    the terminal's bar (``progress``, see `landscape.progress.progress_bar`) is one listener.
    """
    import time

    from landscape.progress import with_bars
    from landscape.surface._jobs import broadcast

    n = ab.shape[0]
    blk, nbk = ev.block_points, ev.n_blocks
    ab_pad = np.concatenate([np.asarray(ab, np.float32), np.zeros((nbk * blk - n, 2), np.float32)])
    total = len(params_list) * nbk
    out = np.zeros((len(params_list), nbk * blk, 2), np.float32)
    done = job.done if job is not None else np.zeros(total, bool)
    if job is not None and job.primary:
        for i in np.flatnonzero(done):
            p, k = divmod(int(i), nbk)
            out[p, k * blk:(k + 1) * blk] = job.load(int(i))
    todo = [i for i in range(total) if not done[i]]
    stats = {"blocks": total, "reused": total - len(todo), "computed": 0,
             "seconds_first": 0.0, "seconds_rest": 0.0}
    events = with_bars(events, progress)
    started = False
    placed: dict = {}

    def params(p):
        if p not in placed:
            placed.clear()  # one (θ, d1, d2) on the devices at a time
            placed[p] = ev.put_params(*params_list[p])
        return placed[p]

    def complete(i, res):
        a = fetch(res)
        raise_if_signalled()   # a signal a finalizer swallowed stops the job between blocks
        p, k = divmod(i, nbk)
        out[p, k * blk:(k + 1) * blk] = a
        if job is not None:
            job.save(i, a)
        stats["computed"] += 1
        if started:
            events.advance("blocks", label=label, done=stats["computed"] - 1,
                           total=len(todo) - 1, unit="block")
        if callback is not None:
            callback(dict(stats))

    t0 = time.perf_counter()
    if todo:
        complete(todo[0], ev.dispatch(ab_pad[(todo[0] % nbk) * blk:][:blk], params(todo[0] // nbk)))
    stats["seconds_first"] = time.perf_counter() - t0
    note = f" (resuming: {stats['reused']} of {total} blocks done)" if stats["reused"] else ""
    label = desc + note
    if len(todo) > 1:
        events.start("blocks", label=label, done=0, total=len(todo) - 1, unit="block",
                     estimate=stats["seconds_first"] * (len(todo) - 1))
        started = True
    t1 = time.perf_counter()
    pending = []  # one block in flight while the previous one is copied back and saved
    for i in todo[1:]:
        pending.append((i, ev.dispatch(ab_pad[(i % nbk) * blk:][:blk], params(i // nbk))))
        if len(pending) > 1:
            complete(*pending.pop(0))
    for i, res in pending:
        complete(i, res)
    stats["seconds_rest"] = time.perf_counter() - t1
    if started:
        events.end("blocks", label=label, done=len(todo) - 1, total=len(todo) - 1, unit="block")
    n_rest = (len(todo) - 1) * blk
    stats["points_per_second"] = (n_rest / stats["seconds_rest"] if n_rest and stats["seconds_rest"] > 0
                                  else len(todo) * blk / max(stats["seconds_first"], 1e-9))
    if job is not None:
        out = broadcast(out)
    return out[:, :n], stats
