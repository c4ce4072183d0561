"""What is in the cache, how big it is, and keeping it under its cap.

The cache folder (`cache_dir`: ``$LANDSCAPE_CACHE``, default ``~/.cache/landscape``) holds
*entries* of these kinds (`ENTRY_KINDS`):

* ``surface``: ``surface-<digest>.npz``, one surface of a config (`build_surface`);
* ``timelapse``: ``timelapse-<tag>.npz`` (`build_timelapse`);
* ``job``: ``jobs/<name>/``, the checkpointed blocks of an unfinished surface;
* ``xla``: ``xla/<key>-cache`` (with its ``<key>-atime``), one program of JAX's persistent
  compilation cache;
* ``partial``: what a killed writer left: ``.<name>.<pid>.tmp`` beside an entry, and
  ``jobs/.trash-*`` folders of a removal that was interrupted;
* ``other``: anything else; never written, counted against the cap or removed by us.

Lock files (``*.lock``, ``xla/.lockfile``) are counted apart and never deleted: deleting the lock
file of an entry races with a process that has just opened it (docs/DEVELOPING.md).

*Last use* is an entry's mtime, set when it is written and again on every cache hit
(`touch`): access times are unreliable (``noatime``/``relatime`` mounts). A job folder's last
use is its newest file's; a compiled program's is the mtime of its ``-atime`` file, which JAX
rewrites on every use.

An entry is *in use* while another process holds its lock (`landscape.files.entry_lock`;
compiled programs: JAX's ``xla/.lockfile``). `remove_entry` takes the lock with no wait and
skips an entry in use; it removes a file with one ``unlink`` and a job folder by renaming it out
of the way first, so no entry is ever seen half removed.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import sys
import time

from landscape.errors import LandscapeError

ENTRY_KINDS = ("surface", "timelapse", "job", "xla", "partial", "other")
EVICTABLE = ("surface", "timelapse", "job", "xla", "partial")
DEFAULT_LIMIT = 5 * 2**30
UNBOUNDED = ("0", "none", "off", "unlimited")
_UNITS = {"": 1, "b": 1, "k": 2**10, "kib": 2**10, "kb": 10**3, "m": 2**20, "mib": 2**20,
          "mb": 10**6, "g": 2**30, "gib": 2**30, "gb": 10**9, "t": 2**40, "tib": 2**40,
          "tb": 10**12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_TEMP = re.compile(r"^\.(.+)\.(\d+)\.tmp(\.[^.]*)?$")   # files.temporary_path's names
_TRASH = ".trash-"
XLA_LOCK = ".lockfile"                                   # jax._src.lru_cache's lock


def cache_dir() -> str:
    """The cache folder: ``$LANDSCAPE_CACHE``, else ``$XDG_CACHE_HOME/landscape``, else
    ``~/.cache/landscape``."""
    d = os.environ.get("LANDSCAPE_CACHE")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "landscape")
    return d


def parse_size(text: str) -> int | None:
    """Bytes from ``500M``, ``2G``, ``1.5GiB``, ``800MB``, ``1000`` (K/M/G/T and KiB… are
    powers of 1024, KB/MB/GB/TB of 1000); ``None`` (no cap) for ``0``, ``none``, ``off``,
    ``unlimited``. Anything else raises a one-line `LandscapeError`."""
    t = str(text).strip()
    if t.lower() in UNBOUNDED:
        return None
    m = _SIZE.match(t)
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise LandscapeError(f"LANDSCAPE_CACHE_MAX={text!r} is not a size; give bytes or a "
                             f"size such as 500M, 2G or 1.5GiB (or none for no cap)")
    n = float(m.group(1)) * _UNITS[unit]
    if n == 0:
        return None
    if not math.isfinite(n) or n < 1:
        raise LandscapeError(f"LANDSCAPE_CACHE_MAX={text!r} is under one byte; give a size "
                             f"such as 500M (or none for no cap)")
    return None if n == 0 else int(n)


def cache_limit() -> tuple[int | None, str]:
    """The cap on the cache's size in bytes (``None``: unbounded) and how it was set:
    ``LANDSCAPE_CACHE_MAX=...``, else the default, `DEFAULT_LIMIT` (5 GiB)."""
    v = os.environ.get("LANDSCAPE_CACHE_MAX")
    if v is None or v.strip() == "":
        return DEFAULT_LIMIT, "default"
    return parse_size(v), f"LANDSCAPE_CACHE_MAX={v}"


def human_size(n: float) -> str:
    """``1.5 GiB``, ``340.1 MiB``, ``12 B``."""
    for unit, k in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{int(n)} B"


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """One entry: ``kind`` (one of `ENTRY_KINDS`), ``path`` (its file or folder), ``size`` in
    bytes (a folder: its files'), ``last_used`` (seconds since the epoch), ``files``: more
    files that go with it (a program's ``-atime``), ``locks``: the lock files that must all be
    free to remove it."""

    kind: str
    path: str
    size: int
    last_used: float
    files: tuple = ()
    locks: tuple = ()


@dataclasses.dataclass
class CacheScan:
    """`scan_cache`'s answer: the entries, the lock files, and whether the folder exists."""

    root: str
    exists: bool
    entries: list
    lock_files: list

    def by_kind(self) -> dict:
        out = {k: {"count": 0, "bytes": 0} for k in ENTRY_KINDS}
        for e in self.entries:
            out[e.kind]["count"] += 1
            out[e.kind]["bytes"] += e.size
        return out

    @property
    def total(self) -> int:
        """Bytes of everything in the folder."""
        return sum(e.size for e in self.entries)

    @property
    def counted(self) -> int:
        """Bytes that count against the cap: all but ``other``."""
        return sum(e.size for e in self.entries if e.kind != "other")


def _stat(entry):
    """``os.DirEntry.stat`` (no symlinks followed), or None when it is gone since it was
    listed (another process removed it)."""
    try:
        return entry.stat(follow_symlinks=False)
    except OSError:
        return None


def _isdir(entry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _listdir(path) -> list:
    """The ``os.DirEntry`` items of ``path`` by name (none if it is not a folder)."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda d: d.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _folder(path) -> tuple[int, float]:
    """Bytes and newest mtime of a folder's files (an empty folder: its own mtime)."""
    size, newest = 0, None
    for d in _listdir(path):
        if _isdir(d):
            n, t = _folder(d.path)
            size += n
            newest = t if newest is None else max(newest, t)
            continue
        st = _stat(d)
        if st is not None:
            size += st.st_size
            newest = st.st_mtime if newest is None else max(newest, st.st_mtime)
    if newest is None:
        try:
            newest = os.stat(path).st_mtime
        except OSError:
            newest = 0.0
    return size, newest


def scan_cache(root: str | None = None) -> CacheScan:
    """Everything in the cache folder ``root`` (default `cache_dir`), classified. Read only."""
    root = os.path.abspath(root or cache_dir())
    entries, locks = [], []
    if not os.path.isdir(root):
        return CacheScan(root, False, [], [])
    for d in _listdir(root):
        name, p = d.name, d.path
        if name.endswith(".lock"):
            locks.append(p)
            continue
        if name in ("jobs", "xla") and _isdir(d):
            (_scan_jobs if name == "jobs" else _scan_xla)(root, p, entries, locks)
            continue
        if _isdir(d):
            entries.append(CacheEntry("other", p, *_folder(p)))
            continue
        st = _stat(d)
        if st is None:
            continue
        m = _TEMP.match(name)
        if name.endswith(".npz") and name.startswith(("surface-", "timelapse-")):
            entries.append(CacheEntry(name.split("-", 1)[0], p, st.st_size, st.st_mtime,
                                      locks=(p + ".lock",)))
        elif m and m.group(1).startswith(("surface-", "timelapse-")):
            entries.append(CacheEntry("partial", p, st.st_size, st.st_mtime,
                                      locks=(os.path.join(root, m.group(1)) + ".lock",)))
        else:
            entries.append(CacheEntry("other", p, st.st_size, st.st_mtime))
    return CacheScan(root, True, entries, locks)


def _scan_jobs(root, jobs, entries, locks):
    for d in _listdir(jobs):
        name, p = d.name, d.path
        if name.endswith(".lock"):
            locks.append(p)
        elif _isdir(d):
            size, newest = _folder(p)
            if name.startswith(_TRASH):
                entries.append(CacheEntry("partial", p, size, newest))
            else:  # a surface's job is also in use while its entry's lock is held
                own = ((os.path.join(root, name + ".npz") + ".lock",)
                       if name.startswith("surface-") else ())
                entries.append(CacheEntry("job", p, size, newest, locks=own + (p + ".lock",)))
        else:
            st = _stat(d)
            if st is not None:
                entries.append(CacheEntry("other", p, st.st_size, st.st_mtime))


def _scan_xla(root, xla, entries, locks):
    """JAX's programs: ``<key>-cache`` and the ``<key>-atime`` JAX rewrites on every use
    (its mtime is that use; its content, the same time in ns, need not be read)."""
    items = {d.name: d for d in _listdir(xla)}
    lock = (os.path.join(xla, XLA_LOCK),)
    for name, d in items.items():
        st = _stat(d)
        if st is None:
            continue
        if name == XLA_LOCK:
            locks.append(d.path)
        elif name.endswith("-cache"):
            a = items.get(name[:-len("-cache")] + "-atime")
            ast = _stat(a) if a is not None else None
            if ast is None:
                entries.append(CacheEntry("xla", d.path, st.st_size, st.st_mtime, locks=lock))
            else:
                entries.append(CacheEntry("xla", d.path, st.st_size + ast.st_size,
                                          max(st.st_mtime, ast.st_mtime), files=(a.path,),
                                          locks=lock))
        elif name.endswith("-atime"):
            if name[:-len("-atime")] + "-cache" not in items:   # its program is gone
                entries.append(CacheEntry("partial", d.path, st.st_size, st.st_mtime,
                                          locks=lock))
        else:
            entries.append(CacheEntry("other", d.path, st.st_size, st.st_mtime))


def touch(path: str) -> None:
    """Record a use of the cache entry ``path`` (its mtime, now). A cache that cannot be
    written cannot be evicted either, so a failure here changes nothing and is passed over."""
    try:
        os.utime(path)
    except OSError:
        pass


class _Locks:
    """Hold every lock of an entry, taken without waiting; ``held`` False when one is busy."""

    def __init__(self, paths):
        self.paths, self.taken, self.held = paths, [], False

    def __enter__(self):
        import filelock

        from landscape.files import entry_lock

        try:
            for p in self.paths:
                # entry_lock: a no-op lock where the lock file cannot be made (read-only)
                lk = (entry_lock(p[:-len(".lock")], timeout=0) if p.endswith(".lock")
                      else filelock.FileLock(p, timeout=0))
                lk.__enter__()
                self.taken.append(lk)
            self.held = True
        except filelock.Timeout:
            self.held = False
        return self

    def __exit__(self, *exc):
        for lk in reversed(self.taken):
            lk.__exit__(None, None, None)


def _rmtree(path) -> None:
    """``shutil.rmtree``, where a file already gone (another ``clear`` on the same trash) is
    fine and anything else (permissions) is raised."""
    def gone(func, p, exc):
        exc = exc[1] if isinstance(exc, tuple) else exc
        if not isinstance(exc, FileNotFoundError):
            raise exc

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=gone)
    else:
        shutil.rmtree(path, onerror=gone)


def remove_entry(e: CacheEntry) -> bool:
    """Remove ``e`` unless it is in use (False then). Never half: a file goes in one unlink; a
    folder is renamed out of the way (``jobs/.trash-...``) before its files are deleted.
    Raises `OSError` when it cannot be removed (permissions)."""
    if e.kind == "other":
        raise ValueError("entries of kind 'other' are not landscape's to remove")
    with _Locks(e.locks) as held:
        if not held.held:
            return False
        if os.path.isdir(e.path):
            trash = e.path
            if not os.path.basename(e.path).startswith(_TRASH):
                trash = os.path.join(os.path.dirname(e.path),
                                     f"{_TRASH}{os.path.basename(e.path)}.{os.getpid()}")
                os.replace(e.path, trash)
            _rmtree(trash)
        else:
            try:
                os.remove(e.path)
            except FileNotFoundError:
                pass  # removed by another process meanwhile: the same end
            for f in e.files:
                try:
                    os.remove(f)
                except FileNotFoundError:
                    pass
    return True


@dataclasses.dataclass
class Removal:
    """What `clear_cache` or `enforce_limit` did: ``removed`` and ``in_use`` entries,
    ``failed`` ``(entry, reason)`` pairs, ``kept``: entries it was not asked to remove."""

    removed: list = dataclasses.field(default_factory=list)
    in_use: list = dataclasses.field(default_factory=list)
    failed: list = dataclasses.field(default_factory=list)
    kept: list = dataclasses.field(default_factory=list)

    @property
    def freed(self) -> int:
        return sum(e.size for e in self.removed)


def _remove_all(entries, out: Removal) -> Removal:
    for e in entries:
        try:
            (out.removed if remove_entry(e) else out.in_use).append(e)
        except OSError as err:
            out.failed.append((e, f"{type(err).__name__}: {err.strerror or err}"))
    return out


def clear_cache(older_than_days: float | None = None, root: str | None = None) -> Removal:
    """Remove the cache's entries (all, or those last used more than ``older_than_days``
    ago), skipping those in use; ``other`` files are never removed (they are listed in
    ``kept``)."""
    if older_than_days is not None and not (math.isfinite(older_than_days)
                                            and older_than_days >= 0):
        raise LandscapeError(f"--older-than must be a number of days ≥ 0, got {older_than_days}")
    scan = scan_cache(root)
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400.0
    out = Removal()
    todo = []
    for e in scan.entries:
        if e.kind == "other" or (cutoff is not None and e.last_used >= cutoff):
            out.kept.append(e)
        else:
            todo.append(e)
    return _remove_all(sorted(todo, key=lambda e: e.last_used), out)


def enforce_limit(keep: str | None = None, *, limit: int | None = None,
                  root: str | None = None, log=None) -> Removal:
    """Evict the least recently used entries until what counts against the cap (all but
    ``other``) is at most ``limit`` bytes (default `cache_limit`): never ``keep`` (the entry
    just written), never one in use. ``log`` gets one line when entries were evicted, or
    when the cache stays over its cap."""
    if limit is None:
        limit = cache_limit()[0]
        if limit is None:
            return Removal()
    scan = scan_cache(root)
    total = scan.counted
    out = Removal()
    if total <= limit:
        return out
    keep = os.path.abspath(keep) if keep else None
    for e in sorted((e for e in scan.entries if e.kind in EVICTABLE),
                    key=lambda e: e.last_used):
        if total <= limit:
            break
        if e.path == keep:
            continue
        n = len(out.removed)
        _remove_all([e], out)
        if len(out.removed) > n:
            total -= e.size
    if log is not None and (out.removed or total > limit):
        what = (f"removed {len(out.removed)} least recently used "
                f"entr{'y' if len(out.removed) == 1 else 'ies'} ({human_size(out.freed)})"
                if out.removed else "removed nothing")
        over = (f"; still {human_size(total)}, over the cap ({len(out.in_use)} in use"
                f"{f', {len(out.failed)} not removable' if out.failed else ''})"
                if total > limit else "")
        log(f"landscape: the cache was over its cap of {human_size(limit)}: {what}{over}")
    return out


def keep_under_limit(path: str, limit: int, log) -> None:
    """After ``path`` was published into the cache: `enforce_limit`, never evicting ``path``.
    A cache that cannot be scanned or emptied gives one line and no error: the job's result
    is already safe."""
    try:
        enforce_limit(path, limit=limit, log=log)
    except OSError as e:
        log(f"landscape: could not keep the cache under its cap ({e})")


def prepare_compile_cache(xla: str) -> None:
    """Give every compiled program in ``xla`` the ``-atime`` record JAX's size-capped cache
    expects (programs written without a cap have none, and JAX's eviction then fails on each
    write); taken from the program's mtime, under JAX's lock. Best effort: a busy lock or an
    unwritable folder leaves the folder as it is (JAX then warns and recompiles)."""
    import filelock

    names = {d.name for d in _listdir(xla)}
    missing = [n for n in names if n.endswith("-cache") and n[:-6] + "-atime" not in names]
    if not missing:
        return
    try:
        with filelock.FileLock(os.path.join(xla, XLA_LOCK), timeout=10):
            for n in missing:
                p = os.path.join(xla, n)
                if os.path.exists(p) and not os.path.exists(p[:-6] + "-atime"):
                    t = os.stat(p).st_mtime
                    with open(p[:-6] + "-atime", "wb") as fh:
                        fh.write(int(t * 1e9).to_bytes(8, "little"))
                    os.utime(p[:-6] + "-atime", (t, t))   # its last use is the program's
    except (OSError, filelock.Timeout):
        pass
