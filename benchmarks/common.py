"""Shared by the benchmark scripts: the in-run matmul peak (`landscape.flops.matmul_peak`) and
this process's peak memory."""

from __future__ import annotations

from landscape.flops import matmul_peak  # noqa: F401  (the one peak measurement)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (run each configuration in a fresh
    process for a figure that describes it alone).

    Linux's ``/proc/self/status`` ``VmHWM``: the high-water mark of this program's own memory.
    ``getrusage().ru_maxrss`` is not that: it keeps the high-water mark of the process image
    before ``exec``, so a benchmark started from a large parent (a pytest session of 2 GiB)
    reports the parent's size."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
