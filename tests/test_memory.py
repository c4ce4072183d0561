"""`landscape.memory.release` gives the allocator's free pages back to the system (glibc), and
never frees what is still in use."""

import sys

import pytest

from landscape import memory


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.skipif(not memory.CAN_TRIM, reason="glibc only (malloc_trim)")
def test_release_returns_freed_heap_pages_and_keeps_live_objects():
    # 2 KiB blocks come from malloc's heap, not pymalloc; keeping every 64th alive stops free()
    # from trimming the heap's top by itself, as a finished job's scattered survivors do.
    blocks = [bytes([i % 251]) * 2048 for i in range(100_000)]
    kept = blocks[::64]
    del blocks
    held = rss_mib()
    assert memory.release() is True
    after = rss_mib()
    assert held - after > 100, (held, after)          # ~190 MiB were free in the heap
    assert all(b == bytes([(64 * k) % 251]) * 2048 for k, b in enumerate(kept))


def test_release_is_safe_anywhere():
    assert memory.release() in (True, False)
    if not sys.platform.startswith("linux"):
        assert memory.release() is False
