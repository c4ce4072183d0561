"""The one optimizer table (landscape.optimizers): each name's transformation equals optax's own,
written out here by hand, over a few steps; settings reach it; a setting an optimizer does not take
is an error; balls and training draw their names from it."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from landscape import optimizers
from landscape.errors import LandscapeError

BY_HAND = {
    "sgd": lambda lr: optax.sgd(lr),
    "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
    "nesterov": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "adam": lambda lr: optax.adam(lr, b1=0.9, b2=0.999, eps=1e-8),
    "rmsprop": lambda lr: optax.rmsprop(lr, decay=0.9),
    "adagrad": lambda lr: optax.adagrad(lr),
}


def run(tx, steps=4):
    rng = np.random.default_rng(0)
    p = jnp.asarray(rng.normal(size=5), jnp.float32)
    state = tx.init(p)
    for _ in range(steps):
        g = jnp.asarray(rng.normal(size=5), jnp.float32) + 0.3 * p
        u, state = tx.update(g, state, p)
        p = optax.apply_updates(p, u)
    return np.asarray(p)


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_each_optimizer_equals_optax_by_hand(name):
    np.testing.assert_array_equal(run(optimizers.make(name, 0.05)), run(BY_HAND[name](0.05)))


def test_settings_reach_the_optimizer_and_inapplicable_ones_are_errors():
    np.testing.assert_array_equal(run(optimizers.make("adam", 0.05, b1=0.5, b2=0.9, eps=1e-3)),
                                  run(optax.adam(0.05, b1=0.5, b2=0.9, eps=1e-3)))
    np.testing.assert_array_equal(run(optimizers.make("momentum", 0.05, momentum=0.5)),
                                  run(optax.sgd(0.05, momentum=0.5)))
    assert not np.array_equal(run(optimizers.make("momentum", 0.05, momentum=0.5)),
                              run(optimizers.make("momentum", 0.05)))
    with pytest.raises(LandscapeError, match="b1 applies to adam, not to sgd; drop it"):
        optimizers.make("sgd", 0.1, b1=0.5)
    with pytest.raises(LandscapeError, match="unknown optimizer 'lion'"):
        optimizers.make("lion", 0.1)


def test_balls_and_training_use_the_one_table():
    from landscape import balls, training

    assert balls.OPTIMIZER_OPTIONS is optimizers.OPTIONS
    assert set(training.TRAIN_OPTIMIZERS) <= set(optimizers.OPTIMIZERS)
    assert training.TRAIN_OPTIMIZERS is optimizers.TRAIN_OPTIMIZERS
