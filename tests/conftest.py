"""Shared fixtures: a private cache directory, and small trained tasks built once."""

import os
import tempfile

# A private surface cache for the whole test session, set before landscape is imported.
os.environ.setdefault("LANDSCAPE_CACHE", tempfile.mkdtemp(prefix="landscape-test-cache-"))
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
