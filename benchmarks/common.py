"""Shared by the benchmark scripts: the in-run matmul peak (`landscape.flops.matmul_peak`) and
this process's peak memory."""

from __future__ import annotations

from landscape.flops import matmul_peak  # noqa: F401  (the one peak measurement)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (run each configuration in a fresh
    process for a figure that describes it alone)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
