"""Resumable grid jobs: completed blocks checkpointed in a folder, so an interrupted surface
(Ctrl-C, ``kill -9``, a reboot) resumes where it stopped and finishes bit for bit as an
uninterrupted run would (the blocks and the compiled program are the same).

A job folder holds ``job.json`` (format ``landscape.job/1``: the job's hash, block count and
block size, and a ``checksum`` of those fields: an altered file is a foreign job's) and one ``block-NNNNNN.npz`` (format ``landscape.block/1``: ``block``, float32
``[block_points, k]``, and the file's own checksum) per completed block, each written
atomically; a block whose checksum does not match is recomputed. (``block-NNNNNN.npy``, a bare
array without a checksum, is what earlier versions wrote; it is still read.) The hash covers everything that determines the numbers (model, θ,
directions, evaluation set, grid, block layout, software versions): a folder left by a different
job is reported and its blocks discarded.

Several hosts (``jax.distributed``): process 0 alone reads and writes the folder; the list of
missing blocks is broadcast from it, so every process computes the same blocks in the same
order, and the finished grid is broadcast back so every process returns the same surface.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import jax
import numpy as np

from landscape.errors import LandscapeError
from landscape.files import (
    atomic_savez,
    atomic_write,
    cache_warning,
    json_default,
    read_npy,
    read_npz,
)

FORMAT = "landscape.job/1"
BLOCK_FORMAT = "landscape.block/1"


def job_hash(parts: dict) -> str:
    """SHA-256 (first 24 hex digits) of named arrays and JSON-able values, in key order."""
    h = hashlib.sha256()
    for k in sorted(parts):
        v = parts[k]
        h.update(k.encode())
        if isinstance(v, (np.ndarray, jax.Array)):
            a = np.ascontiguousarray(np.asarray(v))
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        else:
            h.update(json.dumps(v, sort_keys=True, default=json_default).encode())
    return h.hexdigest()[:24]


def array_digest(*arrays) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes (the content hash of an evaluation set)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def broadcast(a: np.ndarray) -> np.ndarray:
    """Process 0's value of ``a`` on every process (a no-op on one host)."""
    if jax.process_count() == 1:
        return a
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.broadcast_one_to_all(a))


def info_checksum(info: dict) -> str:
    """Hex SHA-256 of a ``job.json``'s fields but ``checksum``, as sorted compact JSON."""
    text = json.dumps({k: v for k, v in info.items() if k != "checksum"}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

class BlockJob:
    """The completed blocks of one job in ``folder`` (see the module docstring).

    A folder that cannot be written (a full disk, read-only, removed) does not stop the job:
    one ``could not write the cache`` warning (`landscape.files.cache_warning`, to ``log``),
    and the grid is computed without checkpoints (blocks already there are still used).

    Attributes:
      done: bool ``[n_blocks]``, blocks already on disk (the same on every process).
      discarded: a one-line notice when the folder held a different job's blocks, else None.
      writable: False once a write to the folder failed (no more are tried).
    """

    def __init__(self, folder: str, hash_: str, n_blocks: int, block_shape, *, what: str = "",
                 log=None):
        self.folder, self.hash, self.n_blocks = folder, hash_, n_blocks
        self.block_shape = tuple(int(s) for s in block_shape)
        self.primary = jax.process_index() == 0
        self.discarded = None
        self.writable, self.log = True, log
        done = np.zeros(n_blocks, bool)
        if self.primary:
            info = self._read_info()
            if info is not None and info.get("hash") != hash_:
                self.discarded = (f"{folder} holds blocks of a different job (hash {info.get('hash')}, "
                                  f"this one {hash_}): discarding them and recomputing")
            try:
                os.makedirs(folder, exist_ok=True)
                if self.discarded:
                    self._clear()
                if info is None or self.discarded:
                    info = {"format": FORMAT, "hash": hash_, "n_blocks": n_blocks,
                            "block_shape": list(self.block_shape), "what": what}
                    with atomic_write(os.path.join(folder, "job.json"), "w") as fh:
                        json.dump(dict(info, checksum=info_checksum(info)), fh)
            except (OSError, LandscapeError) as e:
                self._write_failed(e, folder)
            if not self.discarded:
                for k in range(n_blocks):
                    done[k] = self.load(k) is not None
        self.done = broadcast(done.astype(np.int32)).astype(bool)

    def _write_failed(self, exc, path) -> None:
        """The folder cannot be written: warn once, write nothing more."""
        self.writable = False
        cache_warning(self.log, exc, path)

    def _read_info(self):
        try:
            with open(os.path.join(self.folder, "job.json")) as fh:
                info = json.load(fh)
            if not isinstance(info, dict) or info.get("format") != FORMAT:
                return {}
            # altered or truncated-and-still-JSON: a foreign job (files before the checksum: trusted)
            if "checksum" in info and info.pop("checksum") != info_checksum(info):
                return {}
            return info
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # unreadable: treated as a foreign job

    def _clear(self):
        for name in os.listdir(self.folder):
            if name.startswith("block-") or name == "job.json":
                os.remove(os.path.join(self.folder, name))

    def path(self, k: int) -> str:
        return os.path.join(self.folder, f"block-{k:06d}.npz")

    def load(self, k: int) -> np.ndarray | None:
        """Block ``k`` from disk (process 0), or None if absent, not whole or damaged (its
        checksum does not match)."""
        path = self.path(k)
        try:
            a = read_npz(path, BLOCK_FORMAT, ("block",))["block"]
        except LandscapeError:
            a = self._load_legacy(k) if not os.path.exists(path) else None
        return a if a is not None and a.shape == self.block_shape and a.dtype == np.float32 else None

    def _load_legacy(self, k: int) -> np.ndarray | None:
        """Block ``k`` as earlier versions wrote it (a bare ``block-NNNNNN.npy``), or None."""
        try:
            return read_npy(self.path(k)[:-4] + ".npy")
        except (LandscapeError, OSError):
            return None

    def save(self, k: int, a: np.ndarray) -> None:
        """Write block ``k`` atomically (process 0 only; others return at once)."""
        if not self.primary or not self.writable:
            return
        try:
            atomic_savez(self.path(k), {"format": np.array(BLOCK_FORMAT),
                                        "block": np.asarray(a, np.float32)})
        except (OSError, LandscapeError) as e:   # a full disk: the grid goes on without it
            self._write_failed(e, self.path(k))

    def remove(self) -> None:
        """Delete the folder once its result is safely elsewhere (process 0)."""
        if self.primary:
            shutil.rmtree(self.folder, ignore_errors=True)
