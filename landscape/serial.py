"""JSON-ready forms of what files and summaries record: PRNG keys and numpy values."""

from __future__ import annotations

import numpy as np


def key_list(key) -> list[int] | None:
    """The raw data of a JAX PRNG key as a list of ints (``None`` if it is not a key), so the
    seed that made a file is written into it."""
    import jax

    try:
        return [int(v) for v in np.asarray(jax.random.key_data(key)).ravel()]
    except Exception:
        return None


def json_default(o):
    """``json.dumps(..., default=json_default)``: numpy arrays and scalars as plain JSON."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
