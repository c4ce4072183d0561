"""Shared fixtures: a private cache directory, and small trained tasks built once."""

import os
import tempfile

# A private surface cache for the whole test session, set before landscape is imported. Under
# pytest-xdist each worker gets its own folder inside it, so that no two processes compute into
# one cache at once (the suite tests concurrent processes on purpose, where it means to).
_base = os.environ.get("LANDSCAPE_CACHE") or tempfile.mkdtemp(prefix="landscape-test-cache-")
_worker = os.environ.get("PYTEST_XDIST_WORKER")
os.environ["LANDSCAPE_CACHE"] = os.path.join(_base, _worker) if _worker else _base
# One compiled-program cache for every process of the run (the workers, which inherit this
# process's environment, and the CLI processes tests start), so a program compiled once is
# loaded everywhere else: JAX's own variable, which `landscape` honours. Tests of the cache's
# own compiled programs remove it from their processes' environment.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(_base, "programs"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")  # as the CLI's
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from landscape import (
    data,
    nets,  # noqa: E402
    training,
)


@pytest.fixture(scope="session")
def small_digits():
    """400 digits (the first 400 rows), so surfaces over them are quick."""
    d = data.digits()
    x, y = d.x[:400], d.y[:400]
    return data.Dataset("digits400", x, y, x, y, 10, (8, 8), None)


@pytest.fixture(scope="session")
def mlp_task(small_digits):
    m = nets.mlp((16, 16), n_in=64, n_out=10, activation="tanh", init="xavier")
    return training.train(m, small_digits, steps=60, lr=1e-2, key=jax.random.key(0))


@pytest.fixture(scope="session")
def bn_task(small_digits):
    m = nets.mlp((16, 16), n_in=64, n_out=10, activation="relu", init="he", batchnorm=True,
                   skip=True)
    return training.train(m, small_digits, steps=60, lr=1e-2, key=jax.random.key(1))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
