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


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_a_projected_ball_clips_in_weight_space_then_steps_as_optax(name):
    """Projected mode: the ball's update is the network's gradient clipped by global norm, then
    by value, then the optimizer: optax's own chain, written out here, step for step."""
    from landscape.balls import BallGroup

    g = BallGroup(optimizer=name, lr=0.05, clip_norm=0.7, clip_value=0.2).check()
    ref = optax.chain(optax.clip_by_global_norm(0.7), optax.clip(0.2), BY_HAND[name](0.05))
    np.testing.assert_array_equal(run(g.transform("projected")), run(ref))
    # slice mode: the measure clipped before projecting, so the optimizer alone
    np.testing.assert_array_equal(run(g.transform("slice")), run(BY_HAND[name](0.05)))
    assert not np.array_equal(run(g.transform("projected")), run(BY_HAND[name](0.05)))


@pytest.mark.parametrize("name", ["adam", "sgd", "momentum"])
def test_training_steps_as_an_optax_loop(name, small_digits):
    """Full-batch training, three steps, against optax's optimizer applied in a plain loop to
    the gradient of the mean cross-entropy of the same network."""
    import jax

    from landscape import nets, training

    model = nets.mlp((8,), n_in=64, n_out=10, activation="tanh", init="xavier")
    task = training.train(model, small_digits, steps=3, lr=0.05, optimizer=name,
                          batch_size=None, n_checkpoints=1, progress=False,
                          key=jax.random.key(1))
    tx = BY_HAND[name](0.05)
    x, y = jnp.asarray(small_digits.x), jnp.asarray(small_digits.y)

    def loss(t):
        logits = model.apply(t, x, None, "batch")
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    theta = jnp.asarray(task.theta0)
    state = tx.init(theta)
    for _ in range(3):
        u, state = tx.update(jax.grad(loss)(theta), state, theta)
        theta = optax.apply_updates(theta, u)
    np.testing.assert_allclose(task.theta, np.asarray(theta), atol=2e-6)
    assert np.abs(task.theta - task.theta0).max() > 1e-3
