"""Cache entries for the cache tests: small files with a chosen size and last use, compiled
programs as JAX writes them, and another process holding an entry's lock."""

import os
import subprocess
import sys
import time

DAY = 86400.0


def put(path, size, age_days=0.0, data=None):
    """A file of ``size`` bytes last used ``age_days`` ago (its mtime); returns its path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data if data is not None else b"x" * size)
    t = time.time() - age_days * DAY
    os.utime(path, (t, t))
    return str(path)


def put_xla(root, key, size, age_days):
    """A compiled program as JAX writes one: ``<key>-cache`` and its ``-atime`` (ns)."""
    t = time.time() - age_days * DAY
    put(os.path.join(root, "xla", f"{key}-cache"), size, age_days)
    return put(os.path.join(root, "xla", f"{key}-atime"), 8, age_days,
               data=int(t * 1e9).to_bytes(8, "little"))


class Holder:
    """Another process holding ``files.entry_lock(path)`` (or, for a path ending in
    ``.lockfile``, a plain FileLock on it, as JAX takes its own) until closed."""

    def __init__(self, path):
        code = ("import sys, filelock\n"
                "from landscape.files import entry_lock\n"
                "p = sys.argv[1]\n"
                "lk = filelock.FileLock(p) if p.endswith('.lockfile') else entry_lock(p)\n"
                "lk.acquire()\n"
                "print('held', flush=True)\n"
                "sys.stdin.read()\n")
        self.p = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "held"

    def close(self):
        self.p.stdin.close()
        self.p.wait(30)
