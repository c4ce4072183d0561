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


def free_bytes(path: str) -> int | None:
    """Bytes that can still be written on the file system holding ``path`` (or its nearest
    existing parent); None where the system does not say (no ``statvfs``, or a file system
    that reports no capacity)."""
    d = os.path.abspath(path)
    while not os.path.exists(d) and os.path.dirname(d) != d:
        d = os.path.dirname(d)
    try:
        st = os.statvfs(d)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return None
    if st.f_blocks == 0:   # no capacity reported (an unlimited tmpfs, some FUSE mounts)
        return None
    # root may also use the blocks a file system reserves for it (ext4: 5 %)
    blocks = st.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else st.f_bavail
    return int(blocks) * int(st.f_frsize)


def size_text(n: int | None) -> str:
    """``n`` bytes in words: ``0 bytes``, ``12 kB``, ``3.4 MB``, ``1.2 GB``."""
    if n is None:
        return "an unknown amount"
    if n < 1000:
        return f"{n} bytes"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        if n < scale * 1000 or unit == "TB":
            v = n / scale
            return f"{v:.0f} {unit}" if v >= 10 else f"{v:.1f} {unit}"
    return f"{n} bytes"  # not reached


def _read_only(d: str) -> bool:
    try:
        return bool(os.statvfs(d).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def write_error(path: str, exc: OSError, written: int | None = None) -> LandscapeError:
    """The one-line `LandscapeError` for ``exc``, met while writing ``path``: names the path
    and what is needed (free space, a writable or existing folder). ``written``: bytes written
    before the failure, if known (said as what the file needs at least)."""
    import errno

    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = "no space left on the device" if code == errno.ENOSPC else "disk quota exceeded"
        need = f"; the file needs more than {size_text(written)}" if written else ""
        return LandscapeError(f"{path}: cannot write: {what} ({size_text(free_bytes(d))} free "
                              f"in {d}{need}): free some space or write elsewhere")
    if code == errno.EROFS or (code in (errno.EACCES, errno.EPERM) and _read_only(d)):
        return LandscapeError(f"{path}: cannot write: folder {d} is not writable (a read-only "
                              f"file system): write elsewhere")
    if code in (errno.EACCES, errno.EPERM):
        return LandscapeError(f"{path}: cannot write: folder {d} is not writable (permission "
                              f"denied): write elsewhere")
    if not os.path.isdir(d):
        return LandscapeError(f"{path}: cannot write: folder {d} does not exist (removed "
                              f"during the run?): write to a folder that exists")
    reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return LandscapeError(f"{path}: cannot write ({reason})")


_CACHE_WARNED: list = []


def cache_warning(log, exc, path: str | None = None) -> None:
    """Say once per process that the cache could not be written and the job goes on without
    it: ``landscape: warning: could not write the cache (<path>: <why>); continuing without
    it``. ``exc``: the `OSError` (met writing ``path``), or a `LandscapeError` or text that
    names its path; ``log``: a callable taking the line (None: stderr). Once, because one full
    disk fails every later write too (blocks, the surface, compiled programs)."""
    import sys

    if _CACHE_WARNED:
        return
    _CACHE_WARNED.append(True)
    if isinstance(exc, OSError) and path is not None:
        exc = write_error(path, exc)
    text = (str(exc).splitlines() or [type(exc).__name__])[0]
    line = f"landscape: warning: could not write the cache ({text}); continuing without it"
    if log is None:
        print(line, file=sys.stderr)
    else:
        log(line)


def check_writable(path: str, allow_directory: bool = False) -> None:
    """Raise a one-line `LandscapeError` unless ``path``'s directory exists, is writable and
    has room (and ``path`` is not a directory, unless ``allow_directory``: a folder of frames)."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise LandscapeError(f"{path}: cannot write: output directory {d} does not exist")
    if not os.access(d, os.W_OK) or _read_only(d):
        ro = " (a read-only file system)" if _read_only(d) else ""
        raise LandscapeError(f"{path}: cannot write: output directory {d} is not writable{ro}")
    if os.path.isdir(path) and not allow_directory:
        raise LandscapeError(f"{path}: cannot write: the output path is a directory")
    if free_bytes(d) == 0:
        raise LandscapeError(f"{path}: cannot write: no space left on the device (0 bytes free "
                             f"in {d}): free some space or write elsewhere")


def temporary_path(path: str, suffix: str = ".tmp") -> str:
    """A hidden name beside ``path``, unique to this process, for writing before the rename."""
    d = os.path.dirname(os.path.abspath(path))
    return os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}{suffix}")


def _size(p: str) -> int | None:
    try:
        return os.path.getsize(p) if os.path.isfile(p) else None
    except OSError:
        return None


def remove_quietly(p: str) -> None:
    """Remove the file or folder ``p`` if it exists (a temporary output being abandoned)."""
    import shutil

    try:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.remove(p)
    except OSError:
        pass


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb", suffix: str = ".tmp"):
    """``with atomic_write(path) as fh: fh.write(...)``: the file appears at ``path`` only when
    the block completes; on any exception (Ctrl-C included) the temporary file is removed. An
    `OSError` of the system (a full disk, a read-only or removed folder) becomes the one-line
    `LandscapeError` of `write_error`."""
    tmp = temporary_path(path, suffix)
    try:
        with open(tmp, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        written = _size(tmp)
        remove_quietly(tmp)
        raise write_error(path, e, written) from None
    except BaseException:
        remove_quietly(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str, suffix: str | None = None):
    """``with atomic_path(path) as tmp: writer.save(tmp)``: for writers that want a file name.
    ``tmp`` is a hidden name beside ``path`` ending in ``suffix`` (default: ``path``'s own
    extension, so writers that pick their format by extension still do); it is renamed to
    ``path`` when the block completes and removed on any exception (an `OSError` becomes
    `write_error`'s one line)."""
    if suffix is None:
        suffix = ".tmp" + os.path.splitext(path)[1]
    tmp = temporary_path(path, suffix)
    try:
        yield tmp
        if not os.path.isfile(tmp):
            raise LandscapeError(f"{path}: the writer did not create the file")
        os.replace(tmp, path)
    except OSError as e:
        written = _size(tmp)
        remove_quietly(tmp)
        raise write_error(path, e, written) from None
    except BaseException:
        remove_quietly(tmp)
        raise


#: the entry of every landscape ``.npz`` that holds `content_checksum` of the others
CHECKSUM = "checksum"
#: dtype kinds a landscape file may hold: bool, integers, floats, complex, strings, bytes
_KINDS = "biufcUS"


def content_checksum(arrays: dict) -> str:
    """Hex SHA-256 of named arrays' own content: for each name but ``checksum``, in sorted
    order, the UTF-8 text ``f"{name}\0{a.dtype.str}\0{a.shape}\0"`` then the C-order bytes
    (docs/FORMAT.md). Independent of the zip container, so an altered array whose zip entry
    was rewritten with a valid CRC is still caught."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(arrays):
        if name == CHECKSUM:
            continue
        a = np.asanyarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        c = np.ascontiguousarray(a)
        try:
            h.update(c)          # the array's own buffer: no copy
        except (TypeError, ValueError, BufferError):
            h.update(c.tobytes())
    return h.hexdigest()


@contextlib.contextmanager
def memory_file(path: str, suffix: str):
    """``with memory_file(path, ".vtp") as (name, read): writer(name); data = read()``: a file
    name for writers that cannot be trusted with a full disk (VTK's truncate the file silently
    or crash), leading to memory: a hidden symbolic link beside ``path``, ending in ``suffix``,
    to an anonymous memory file (Linux ``memfd``). The caller then writes ``read()``'s bytes
    with `atomic_write`, which reports a full disk in one line. Where there is no ``memfd``,
    ``name`` is a temporary file beside ``path``. The name is removed when the block ends."""
    name = temporary_path(path, ".mem" + suffix)
    fd = None
    try:
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            fd = os.memfd_create("landscape-output")
            try:
                os.symlink(f"/proc/self/fd/{fd}", name)
            except OSError as e:
                raise write_error(path, e) from None

        def read() -> bytes:
            if fd is None:
                with open(name, "rb") as fh:
                    return fh.read()
            with os.fdopen(os.dup(fd), "rb") as fh:
                fh.seek(0)
                return fh.read()

        yield name, read
    finally:
        remove_quietly(name)
        if fd is not None:
            os.close(fd)


def atomic_savez(path: str, arrays: dict) -> str:
    """``np.savez`` to a temporary name beside ``path``, then rename: never a partial file.
    A ``checksum`` entry (`content_checksum` of the others) is added; `read_npz` verifies it."""
    if CHECKSUM in arrays:
        raise ValueError(f"{CHECKSUM!r} is reserved for the file's own checksum")
    arrays = {k: np.asanyarray(v) for k, v in arrays.items()}
    arrays[CHECKSUM] = np.array(content_checksum(arrays))
    with atomic_write(path) as fh:
        np.savez(fh, **arrays)
    return path


class _Bad(Exception):
    """A member that cannot be read: the message says why (becomes one `LandscapeError`)."""


def _read_npy(fh, size: int, name: str) -> np.ndarray:
    """The array of a ``.npy`` stream ``fh`` holding exactly ``size`` bytes, checked before
    anything is allocated: version 1.0 or 2.0 header, no object or structured dtype, a shape of
    non-negative ints whose bytes are exactly what the stream holds after the header."""
    from numpy.lib import format as npf

    try:
        version = npf.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npf.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = npf.read_array_header_2_0(fh)
        else:
            raise _Bad(f"{name} is a .npy of version {version[0]}.{version[1]} (1.0 or 2.0 expected)")
    except _Bad:
        raise
    except Exception as e:  # numpy's header parser on hostile text: ValueError, SyntaxError,
        # tokenize.TokenError (a header like "{'shape': )5, 6)"), ...: all mean "not a header"
        raise _Bad(f"{name} has no valid .npy header ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
    if dtype.hasobject:
        raise _Bad(f"{name} holds Python objects (object arrays are never read)")
    if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _Bad(f"{name} has dtype {dtype.str}, which no landscape file holds")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise _Bad(f"{name} has an invalid shape {shape}")
    count = 1
    for n in shape:
        count *= n
    need, have = count * dtype.itemsize, size - fh.tell()
    if need != have:
        raise _Bad(f"{name}'s header claims {need:,} bytes ({dtype.str} {shape}) but it holds "
                   f"{have:,}")
    try:
        a = np.empty(count, dtype)
    except MemoryError:
        raise _Bad(f"{name} needs {need:,} bytes of memory, more than is free") from None
    buf, got = a.view(np.uint8), 0
    while got < need:
        chunk = fh.read(min(need - got, 1 << 24))
        if not chunk:
            raise _Bad(f"{name} is truncated ({got:,} of {need:,} bytes)")
        buf[got:got + len(chunk)] = np.frombuffer(chunk, np.uint8)
        got += len(chunk)
    if fh.read(1):  # also makes the zip check the member's CRC
        raise _Bad(f"{name} holds more bytes than its header says")
    return a.reshape(shape, order="F" if fortran else "C")


def _read_members(path: str, only=None) -> dict:
    """Every ``.npy`` member of the zip at ``path`` (or those named in ``only``), each checked
    by `_read_npy` against its uncompressed size in the zip directory before it is read."""
    out, seen = {}, set()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".npy"):
                raise _Bad(f"it holds {info.filename!r}, which is not a .npy array")
            key = info.filename[:-4]
            if key in seen:
                raise _Bad(f"it holds {key!r} twice")
            seen.add(key)
            if only is not None and key not in only:
                continue
            if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1100 * info.compress_size + (1 << 16):
                raise _Bad(f"{key}'s zip entry claims more data than its compressed size can hold")
            with zf.open(info) as fh:
                out[key] = _read_npy(fh, info.file_size, key)
    return out


def read_npy(path: str) -> np.ndarray:
    """The array of a bare ``.npy`` file, its header checked as `read_npz` checks each entry
    (no object arrays, nothing allocated beyond what the file holds); one `LandscapeError`."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            return _read_npy(fh, os.fstat(fh.fileno()).st_size, os.path.basename(path))
    except _Bad as e:
        raise LandscapeError(f"{path}: not a valid .npy file ({e})") from None
    except OSError as e:
        raise LandscapeError(f"{path}: cannot read ({e.strerror or e})") from None


def read_npz(path: str, fmt: str, keys, optional=(), dtypes=None) -> dict:
    """All arrays of a landscape ``.npz`` (never unpickled), after checking that ``keys`` are
    there, the format tag is ``fmt`` and the ``checksum`` entry matches (files written before
    checksums, without one, are accepted). Every member's ``.npy`` header is checked against the
    bytes it holds before anything is allocated (`_read_npy`). ``optional`` names entries a
    file may lack (every entry is returned anyway; the name documents the caller's format).
    ``dtypes``: ``{key: (kinds,
    ndim)}`` for keys that must have a dtype of one of ``kinds`` (e.g. ``"f"``, ``"iu"``,
    ``"U"``) and ``ndim`` dimensions (``None``: any). Anything else raises one `LandscapeError`
    naming the file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise LandscapeError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LandscapeError(f"{path} is a directory, not a {fmt} file")
    try:
        z = _read_members(path)
    except _Bad as e:
        raise LandscapeError(f"{path}: not a valid {fmt} file ({e})") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, NotImplementedError,
            RuntimeError) as e:
        raise LandscapeError(f"{path}: cannot read ({type(e).__name__}: {e})".splitlines()[0]) from None
    tag = z.get("format")
    tag = str(tag) if tag is not None and tag.dtype.kind == "U" and tag.ndim == 0 else None
    if tag != fmt:
        raise LandscapeError(f"{path}: not a {fmt} file (format tag {tag!r})")
    if CHECKSUM in z:
        c = z[CHECKSUM]
        if not (c.dtype.kind == "U" and c.ndim == 0 and str(c) == content_checksum(z)):
            raise LandscapeError(f"{path}: damaged (checksum mismatch): recompute it or restore it "
                                 f"from a copy")
    missing = [k for k in keys if k not in z]
    if missing:
        raise LandscapeError(f"{path}: not a valid {fmt} file (missing {', '.join(missing)})")
    for k, (kinds, ndim) in (dtypes or {}).items():
        a = z.get(k)
        if a is None:
            continue
        if a.dtype.kind not in kinds or (ndim is not None and a.ndim != ndim):
            want = "/".join({"f": "float", "i": "int", "u": "uint", "b": "bool", "U": "str"}.get(c, c)
                            for c in kinds)
            dims = "" if ndim is None else f" with {ndim} dimension{'s' if ndim != 1 else ''}"
            raise LandscapeError(f"{path}: not a valid {fmt} file ({k} is {a.dtype.str} "
                                 f"{list(a.shape)}; expected {want}{dims})")
    return z


def format_tag(path: str) -> str | None:
    """The ``format`` entry of a landscape ``.npz`` (``None`` if it has none or is unreadable):
    tells a surface file from a trajectory file before loading either. Reads that entry alone,
    checked as `read_npz` checks every entry."""
    try:
        tag = _read_members(os.fspath(path), only=("format",)).get("format")
    except (_Bad, OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError,
            NotImplementedError, RuntimeError):
        return None
    return str(tag) if tag is not None and tag.dtype.kind == "U" and tag.ndim == 0 else None


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
