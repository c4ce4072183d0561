"""Surfaces from configs, through the cache: the surface of a `LandscapeConfig` is computed
once and read back whenever nothing that changes it changed (its `digest` keys the cache).

The cache lives in ``$LANDSCAPE_CACHE`` (default ``~/.cache/landscape``); writes are atomic,
and a corrupt or truncated cache file is reported in one line and recomputed."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import NamedTuple

import jax

from landscape.errors import LandscapeError
from landscape.files import cache_warning, entry_lock
from landscape.pipeline._cache import cache_dir, cache_limit, keep_under_limit, touch
from landscape.pipeline._config import LandscapeConfig
from landscape.surface import Surface, compute_surface


class BuiltSurface(NamedTuple):
    """What `build_surface` returns: ``.surface`` and ``.timings`` (seconds per phase, and
    ``cached``). A named tuple, so ``surface, timings = build_surface(cfg)`` works too."""

    surface: Surface
    timings: dict


def build_surface(cfg: LandscapeConfig, *, cache: bool = True, progress: bool | None = None,
                  log=None, job_dir: str | None = None) -> BuiltSurface:
    """The surface for ``cfg``, from the cache when possible.

    Returns a `BuiltSurface`: ``.surface``, and ``.timings`` with seconds per phase and
    ``cached``.
    ``log`` (a callable taking one line) receives notices such as a corrupt cache file.
    Completed blocks are checkpointed in ``job_dir`` (default, with the cache: a folder of the
    cache named by the config's digest), so the same call after an interruption resumes.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    cfg.validate()
    limit = cache_limit()[0] if cache else None  # a bad LANDSCAPE_CACHE_MAX fails before work
    path = os.path.join(cache_dir(), f"surface-{cfg.digest()}.npz")
    # One process computes a cache entry; others wait for its lock, then read its file. Only on
    # one host: with jax.distributed every process takes part in the one computation.
    lock = entry_lock(path) if cache and jax.process_count() == 1 else contextlib.nullcontext()
    with lock:
        built = _build_surface(cfg, path, cache=cache, progress=progress, log=log,
                               job_dir=job_dir)
    if not built.timings["cached"] and built.timings.get("cache_file") and limit is not None:
        keep_under_limit(path, limit, log)
    return built


def _build_surface(cfg, path, *, cache, progress, log, job_dir):
    if cache and os.path.exists(path):
        t0 = time.perf_counter()
        try:
            s = Surface.load(path)
            if s.meta.get("config") == cfg.to_dict():
                touch(path)  # its last use, for the cache's least-recently-used eviction
                return BuiltSurface(s, {"cached": True, "load": time.perf_counter() - t0,
                                        "cache_file": path})
            log(f"landscape: cache file {path} does not match its config; recomputing")
        except LandscapeError as e:
            log(f"landscape: cache file is corrupt ({e}); recomputing")
    timings: dict = {"cached": False}
    t0 = time.perf_counter()
    task = cfg.build_task()
    timings["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    plane = cfg.build_plane(task)
    timings["directions"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    span = cfg.span * float(plane.meta.get("span_unit", 1.0))
    for note in plane.meta.get("notes", []):
        log(f"landscape: note: {note}")
    if job_dir is None and cache:
        job_dir = os.path.join(cache_dir(), "jobs", f"surface-{cfg.digest()}")
        try:
            os.makedirs(job_dir, exist_ok=True)
        except OSError as e:  # a read-only or vanished cache: compute without checkpoints
            cache_warning(log, e, job_dir)
            job_dir, cache = None, False
    s = compute_surface(task, plane, span=span, resolution=cfg.grid, progress=progress,
                        eval_batch=cfg.eval_batch, job_dir=job_dir, keep_job=True, log=log)
    s.meta["notes"] = list(plane.meta.get("notes", []))
    timings["surface"] = time.perf_counter() - t0
    s.meta["config"] = cfg.to_dict()
    s.meta["config_hash"] = cfg.digest()
    s.meta["train_loss_final"] = float(task.train_loss[-1]) if task.train_loss.size else None
    timings["resume"] = s.meta.get("resume")
    s.meta["train_records"] = task.records()
    if cache:
        try:
            os.makedirs(cache_dir(), exist_ok=True)
            s.save(path, embed_eval=True)
            timings["cache_file"] = path
        except (OSError, LandscapeError) as e:   # full, read-only, gone: said once
            cache_warning(log, e, path)
    if job_dir is not None:
        import shutil

        if jax.process_index() == 0:
            shutil.rmtree(job_dir, ignore_errors=True)
    return BuiltSurface(s, timings)
