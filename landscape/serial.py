"""JSON-ready forms of what files and summaries record: PRNG keys and numpy values."""

from __future__ import annotations

import numpy as np


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
