"""Giving memory back between jobs in a long-lived process (a notebook kernel, a render loop).

Python frees a finished scene's arrays at once, but glibc's allocator keeps the freed pages in
its arenas for reuse, so a kernel that computes scene after scene holds on to the high-water
mark of every job before it (measured in ``docs/DEVELOPING.md``: 60–110 MiB kept per scene,
about 400 MiB over 17 scenes). `release` collects Python's cycles and then asks glibc to return
its free pages to the system (``malloc_trim(0)``); elsewhere (macOS, musl) only the first part
applies. It never frees anything still in use: it is safe to call at any time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

__all__ = ["CAN_TRIM", "release"]


def _glibc_trim():
    """glibc's ``malloc_trim``, or None where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _glibc_trim()
#: whether this process's allocator can be asked to give free pages back (glibc)
CAN_TRIM = _TRIM is not None


def release() -> bool:
    """Collect garbage and return the allocator's free pages to the system. Returns whether
    the allocator gave any memory back (always False where it cannot be asked)."""
    gc.collect()
    return bool(_TRIM(0)) if _TRIM is not None else False
