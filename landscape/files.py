"""Files: every output `landscape` writes goes through here, and the JSON forms of what files
record (PRNG keys, numpy values).

Writes are atomic (a temporary name beside the destination, renamed when complete), so an
error or Ctrl-C never leaves a partial file; reads of our ``.npz`` formats never unpickle and
check the format tag. `versions` is what every file records about the software that made it.
"""

from __future__ import annotations

import contextlib
import os
import zipfile

import numpy as np

from landscape.errors import LandscapeError


def versions() -> dict:
    """Versions of the packages that determine the numbers in a file."""
    import importlib.metadata as md

    out = {}
    for pkg in ("landscape", "jax", "jaxlib", "numpy", "optax"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def entry_lock(path: str, timeout: float = -1):
    """An exclusive lock for the cache entry or job folder ``path``: ``with entry_lock(p): ...``.

    The lock file is ``path + ".lock"`` beside it (never inside a folder that may be removed). It
    is an OS lock (``flock`` / ``LockFileEx``, through `filelock`), so the kernel releases it when
    its holder dies, ``kill -9`` included: a lock left by a killed process is broken by the next
    ``acquire``, and a stale lock file on disk means nothing. ``timeout`` -1 waits as long as it
    takes. Where the lock file cannot be created (a read-only or missing directory) the lock is a
    no-op: nothing can be written there, so nothing can be overwritten either."""
    import filelock

    d = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(d, exist_ok=True)
        with open(path + ".lock", "a"):
            pass
    except OSError:
        return contextlib.nullcontext()
    return filelock.FileLock(path + ".lock", timeout=timeout)


def check_writable(path: str, allow_directory: bool = False) -> None:
    """Raise a one-line `LandscapeError` unless ``path``'s directory exists and is writable
    (and ``path`` is not a directory, unless ``allow_directory``: a folder of frames)."""
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise LandscapeError(f"output directory {d} does not exist")
    if not os.access(d, os.W_OK):
        raise LandscapeError(f"output directory {d} is not writable")
    if os.path.isdir(path) and not allow_directory:
        raise LandscapeError(f"output path {path} is a directory")


def temporary_path(path: str, suffix: str = ".tmp") -> str:
    """A hidden name beside ``path``, unique to this process, for writing before the rename."""
    d = os.path.dirname(os.path.abspath(path))
    return os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}{suffix}")


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb", suffix: str = ".tmp"):
    """``with atomic_write(path) as fh: fh.write(...)``: the file appears at ``path`` only when
    the block completes; on any exception (Ctrl-C included) the temporary file is removed."""
    tmp = temporary_path(path, suffix)
    try:
        with open(tmp, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str, suffix: str | None = None):
    """``with atomic_path(path) as tmp: writer.save(tmp)``: for writers that want a file name.
    ``tmp`` is a hidden name beside ``path`` ending in ``suffix`` (default: ``path``'s own
    extension, so writers that pick their format by extension still do); it is renamed to
    ``path`` when the block completes and removed on any exception."""
    if suffix is None:
        suffix = ".tmp" + os.path.splitext(path)[1]
    tmp = temporary_path(path, suffix)
    try:
        yield tmp
        if not os.path.isfile(tmp):
            raise OSError(f"the writer did not create {path}")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_savez(path: str, arrays: dict) -> str:
    """``np.savez`` to a temporary name beside ``path``, then rename: never a partial file."""
    with atomic_write(path) as fh:
        np.savez(fh, **arrays)
    return path


def read_npz(path: str, fmt: str, keys, optional=()) -> dict:
    """Read all ``keys`` (and those of ``optional`` that exist) of an ``.npz`` with
    ``allow_pickle=False`` and check its format tag."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise LandscapeError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            tag = str(z["format"]) if "format" in z.files else None
            if tag != fmt:
                raise LandscapeError(f"{path}: not a {fmt} file (format tag {tag!r})")
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise LandscapeError(f"{path}: not a valid {fmt} file (missing {', '.join(missing)})")
            return {k: z[k] for k in list(keys) + [k for k in optional if k in z.files]}
    except LandscapeError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise LandscapeError(f"{path}: cannot read ({type(e).__name__}: {e})".splitlines()[0]) from None


def format_tag(path: str) -> str | None:
    """The ``format`` entry of a landscape ``.npz`` (``None`` if it has none or is unreadable):
    tells a surface file from a trajectory file before loading either."""
    try:
        with np.load(os.fspath(path), allow_pickle=False) as z:
            return str(z["format"]) if "format" in z.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError):
        return None


def key_list(key) -> list[int]:
    """The raw data of a JAX PRNG key (typed, or raw ``uint32`` key data) as a list of ints, so
    the seed that made a file is written into it. Anything else raises a `LandscapeError`: a
    file never records ``null`` for the seed that made it."""
    import jax

    from landscape.errors import LandscapeError

    if hasattr(key, "dtype") and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return [int(v) for v in np.asarray(jax.random.key_data(key)).ravel()]
    arr = np.asarray(key) if not isinstance(key, (bool, str, bytes)) else np.zeros(0)
    if arr.dtype == np.uint32 and arr.size:
        return [int(v) for v in arr.ravel()]
    raise LandscapeError(f"cannot record the seed: {type(key).__name__} is not a JAX PRNG key "
                         f"(use jax.random.key(seed))")


def json_default(o):
    """``json.dumps(..., default=json_default)``: numpy arrays and scalars as plain JSON."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
