"""Every output kind has one loss: the stacked fast path, the generic path and a hand-written
network (tests/handnet.py) give the same minibatch loss, plane gradient and per-layer norms,
for softmax, sigmoid and mse outputs, with and without batch norm and skips."""

import dataclasses

import handnet
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import data, nets, planes, training
from landscape.balls._measure import NO_CLIP, generic_consts, generic_measure
from landscape.balls._stacked import stacked_consts, stacked_measure
from landscape.nets import layer_segments


def _task(output, batchnorm, skip, policy="eval"):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = (rng.random(96) < 0.5).astype(np.int32) if output == "sigmoid" else \
        rng.integers(0, 3, 96).astype(np.int32)
    ds = data.Dataset("toy", x, y, x, y, 2 if output == "sigmoid" else 3)
    m = nets.mlp((6, 6), n_in=5, n_out=3, activation="tanh", init="xavier",
                   batchnorm=batchnorm, skip=skip, output=output)
    task = training.train(m, ds, steps=15, lr=0.05, key=jax.random.key(0), bn_policy=policy)
    plane = planes.random_plane(task, ignore_biasbn=False, key=jax.random.key(1))
    return task, plane


CASES = [(o, bn, sk, pol) for o in ("softmax", "sigmoid", "mse")
         for bn, sk, pol in ((False, False, "eval"), (True, True, "eval"), (True, True, "batch"))]


@pytest.mark.parametrize("output, batchnorm, skip, policy", CASES)
def test_stacked_generic_and_a_hand_written_network_agree(output, batchnorm, skip, policy):
    task, plane = _task(output, batchnorm, skip, policy)
    ab = np.array([[0.3, -0.2], [-0.5, 0.4], [0.1, 0.7]], np.float32)
    idx = np.asarray(jax.random.randint(jax.random.key(4), (3, 16), 0, 96))
    fast = jax.jit(stacked_measure(task), static_argnums=3)(
        stacked_consts(task, plane), jnp.asarray(ab), jnp.asarray(idx), True)
    slow = jax.jit(generic_measure(task), static_argnums=3)(
        generic_consts(task, plane), jnp.asarray(ab), jnp.asarray(idx), True)
    names, seg_w, seg_b = layer_segments(task.model.layout)
    for k in range(3):
        l, gab, g = handnet.ball(task, plane, ab[k], idx[k])
        gw = [np.linalg.norm(g[seg_w == i]) for i in range(len(names))]
        gb = [np.linalg.norm(g[seg_b == i]) for i in range(len(names))]
        for m, what in ((fast, "stacked"), (slow, "generic")):
            np.testing.assert_allclose(m.loss[k], l, rtol=2e-5, err_msg=what)
            np.testing.assert_allclose(m.grad[k], gab, rtol=2e-4, atol=1e-6, err_msg=what)
            np.testing.assert_allclose(m.gw[k], gw, rtol=2e-4, atol=1e-7, err_msg=what)
            np.testing.assert_allclose(m.gb[k], gb, rtol=2e-4, atol=1e-7, err_msg=what)
    # the lean variant (steps nobody records) moves balls identically and skips the norms
    lean = jax.jit(stacked_measure(task), static_argnums=3)(
        stacked_consts(task, plane), jnp.asarray(ab), jnp.asarray(idx), False)
    np.testing.assert_allclose(lean.grad, slow.grad, rtol=2e-4, atol=1e-6)
    assert not np.asarray(lean.fresh).any()


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "mse"])
def test_full_batch_plane_gradient_equals_finite_differences_of_the_hand_loss(output):
    task, plane = _task(output, False, False)
    f = handnet.theta_loss_fn(task)
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)

    def at(a, b):
        th = np.asarray(task.theta, np.float64) + a * plane.d1 + b * plane.d2
        return float(f(jnp.asarray(th, jnp.float32), x, y))

    ab = jnp.asarray([[0.2, -0.3]], jnp.float32)
    m = jax.jit(stacked_measure(task), static_argnums=(2, 3))(stacked_consts(task, plane), ab,
                                                               None, True)
    h = 1e-2
    fd = [(at(0.2 + h, -0.3) - at(0.2 - h, -0.3)) / (2 * h),
          (at(0.2, -0.3 + h) - at(0.2, -0.3 - h)) / (2 * h)]
    np.testing.assert_allclose(m.grad[0], fd, rtol=3e-3, atol=1e-4)
    np.testing.assert_allclose(m.loss[0], at(0.2, -0.3), rtol=1e-5)


def test_mse_is_not_cross_entropy():
    """The regression the issue found: the stacked path computed cross-entropy for mse."""
    task, plane = _task("mse", False, False)
    m = jax.jit(stacked_measure(task), static_argnums=(2, 3))(
        stacked_consts(task, plane), jnp.zeros((1, 2)), None, True)
    z = handnet.logits(task.model.spec, task.model.layout, jnp.asarray(task.theta),
                       jnp.asarray(task.data.x_eval))
    ce = handnet.loss(dataclasses.replace(task.model, spec={**task.model.spec,
                                                             "output": "softmax"}).spec,
                      z, jnp.asarray(task.data.y_eval))
    mse = handnet.loss(task.model.spec, z, jnp.asarray(task.data.y_eval))
    assert abs(float(ce) - float(mse)) > 0.05
    np.testing.assert_allclose(m.loss[0], mse, rtol=1e-5)
    assert NO_CLIP.active is False
