"""Training's per-step records (per-layer gradient norms, relative weight change), training
from given parameters, and frozen layers — each against a plain Python loop."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from landscape import nets, training
from landscape.errors import LandscapeError
from landscape.nets._losses import loss_and_accuracy


def plain_loop(model, data, theta0, steps, lr, bs, key, frozen=()):
    """Adam, one step at a time in Python, the norms taken in numpy layer by layer."""
    _, k_batch = jax.random.split(key)
    keys = jax.random.split(k_batch, steps)
    tx = optax.adam(lr)
    theta, opt = jnp.asarray(theta0), tx.init(jnp.asarray(theta0))
    x, y = jnp.asarray(data.x), jnp.asarray(data.y)
    weights = [p for p in model.layout.params if p.role == "weight"]
    fixed = np.zeros(model.n_params, bool)
    for p in model.layout.params:
        if p.layer in frozen:
            fixed[p.offset:p.stop] = True
    gn, ch = [], []
    for k in keys:
        idx = jax.random.randint(k, (bs,), 0, data.n)

        def f(t):
            return loss_and_accuracy(model.apply(t, x[idx], None, "batch"), y[idx], model.output)[0]

        g = jax.grad(f)(theta)
        upd, opt = tx.update(g, opt, theta)
        upd = np.where(fixed, 0.0, np.asarray(upd))
        new = np.asarray(theta) + upd
        g = np.asarray(g, np.float64)
        gn.append([np.linalg.norm(g[p.offset:p.stop]) for p in weights])
        ch.append([np.linalg.norm(new[p.offset:p.stop] - np.asarray(theta)[p.offset:p.stop])
                   / np.linalg.norm(np.asarray(theta)[p.offset:p.stop]) for p in weights])
        theta = jnp.asarray(new, jnp.float32)
    return np.asarray(theta), np.array(gn), np.array(ch)


@pytest.fixture(scope="module")
def model():
    return nets.mlp((16, 12), n_in=64, n_out=10, activation="tanh", init="xavier")


def test_records_equal_a_plain_loop(model, small_digits):
    key = jax.random.key(4)
    task = training.train(model, small_digits, steps=12, lr=1e-2, batch_size=32,
                       n_checkpoints=3, key=key)
    theta, gn, ch = plain_loop(model, small_digits, task.theta0, 12, 1e-2, 32, key)
    assert task.grad_norms.shape == task.weight_change.shape == (12, 3)
    assert task.record_layers == ["dense_0", "dense_1", "dense_2"]
    np.testing.assert_allclose(task.grad_norms, gn, rtol=2e-4)
    np.testing.assert_allclose(task.weight_change, ch, rtol=2e-3)
    np.testing.assert_allclose(task.theta, theta, atol=1e-5)
    rec = task.records(max_rows=5)
    assert rec["steps"] == [0, 3, 6, 8, 11] and rec["layers"] == task.record_layers
    np.testing.assert_allclose(rec["grad_norms"], task.grad_norms[[0, 3, 6, 8, 11]])


def test_untrained_task_has_empty_records(model, small_digits):
    task = training.train(model, small_digits, steps=0, key=jax.random.key(0))
    assert task.grad_norms.shape == (0, 3) and task.records() is None


def test_frozen_layers_do_not_change_at_all(model, small_digits):
    key = jax.random.key(2)
    task = training.train(model, small_digits, steps=15, lr=5e-2, batch_size=32,
                       frozen_layers=(0, "dense_2"), key=key)
    lay = model.layout
    for name in ("dense_0", "dense_2"):
        for pname in ("w", "b"):
            p = lay.get(name, pname)
            np.testing.assert_array_equal(task.checkpoints[:, p.offset:p.stop],
                                          np.broadcast_to(task.theta0[p.offset:p.stop],
                                                          (len(task.checkpoints), p.size)))
    p = lay.get("dense_1", "w")
    assert not np.array_equal(task.theta[p.offset:p.stop], task.theta0[p.offset:p.stop])
    assert np.all(task.weight_change[:, [0, 2]] == 0) and np.all(task.weight_change[:, 1] > 0)
    assert np.all(task.grad_norms[:, 0] > 0)  # the gradient is there; it is just not applied
    assert task.config["frozen_layers"] == ["dense_0", "dense_2"]
    theta, _, _ = plain_loop(model, small_digits, task.theta0, 15, 5e-2, 32, key,
                             frozen=("dense_0", "dense_2"))
    np.testing.assert_allclose(task.theta, theta, atol=1e-5)


def test_init_theta_starts_there_with_the_same_minibatches(model, small_digits):
    key = jax.random.key(7)
    start = np.asarray(model.init(key=jax.random.key(99)))
    task = training.train(model, small_digits, steps=5, lr=1e-2, batch_size=32, init_theta=start,
                       key=key)
    np.testing.assert_array_equal(task.theta0, start)
    np.testing.assert_array_equal(task.checkpoints[0], start)
    theta, _, _ = plain_loop(model, small_digits, start, 5, 1e-2, 32, key)
    np.testing.assert_allclose(task.theta, theta, atol=1e-5)
    assert task.config["init"] == "given"
    with pytest.raises(LandscapeError, match="init_theta must be"):
        training.train(model, small_digits, steps=1, init_theta=start[:-1], key=key)
    with pytest.raises(LandscapeError, match="out of range"):
        training.train(model, small_digits, steps=1, frozen_layers=(5,), key=key)


def test_task_at_recomputes_batch_norm_statistics(bn_task):
    t = bn_task.at(bn_task.theta0)
    np.testing.assert_array_equal(t.theta, bn_task.theta0)
    want = bn_task.model.bn_statistics(bn_task.theta0, bn_task.data.x)
    for (m, v), (m2, v2) in zip(t.bn_stats, want):
        np.testing.assert_allclose(m, m2, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, v2, rtol=1e-5, atol=1e-6)


def test_surface_meta_carries_the_records():
    from landscape.pipeline._build import build_surface
    from landscape.pipeline._config import LandscapeConfig

    cfg = LandscapeConfig(widths=(8,), train_steps=7, grid=3)
    s, _ = build_surface(cfg, cache=False)
    rec = s.meta["train_records"]
    task = cfg.build_task()
    assert rec["layers"] == ["dense_0", "dense_1"] and rec["steps"] == list(range(7))
    np.testing.assert_allclose(rec["grad_norms"], task.grad_norms, rtol=1e-6)
    s0, _ = build_surface(cfg.replace(train_steps=0), cache=False)
    assert s0.meta["train_records"] is None


def test_a_1e20_gradient_has_a_finite_recorded_norm(small_digits):
    """Logits ``1e20 · x·W`` at W = 0: the gradient ``1e20 · Xᵀ(1/K − Y)/n`` has entries near
    1e19, so its plain sum of squares overflows float32; training records the closed-form
    norm (overflow-safe, as the balls measure it), finite."""
    x, y = small_digits.x[:64], small_digits.y[:64]
    d = type(small_digits)("digits64", x, y, x, y, 10, (8, 8), None)
    m = nets.from_apply_fn(lambda p, xx: (xx @ p["w"]) * 1e20, {"w": np.zeros((64, 10), np.float32)},
                           x[:1])
    task = training.train(m, d, steps=1, lr=1e-30, optimizer="sgd", batch_size=None,
                          key=jax.random.key(0))
    X = np.asarray(x, np.float64)
    want = np.linalg.norm(1e20 * X.T @ (np.full((64, 10), 0.1) - np.eye(10)[y]) / 64)
    assert want > 1e19 and want ** 2 > np.finfo(np.float32).max  # the plain sum would overflow
    assert task.grad_norms.shape == (1, 1) and np.isfinite(task.grad_norms[0, 0])
    np.testing.assert_allclose(task.grad_norms[0, 0], want, rtol=1e-4)
