"""Clipping clips the network's gradient: ∇θL over all parameters is clipped (global norm as
optax.clip_by_global_norm, then by value elementwise) and only then projected onto the plane.
Checked against a hand-written network (tests/handnet.py) on the stacked and generic paths,
through a whole simulator step, and in projected mode against optax on the weights."""

import handnet
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from landscape import planes
from landscape.balls._measure import Clip, generic_consts, generic_measure
from landscape.balls._simulator import BallGroup, Simulator, simulate
from landscape.balls._stacked import stacked_consts, stacked_measure
from landscape.nets import layer_segments
from landscape import surface as surface_mod


@pytest.fixture(scope="module", params=["bn_skip", "plain"])
def world(request, bn_task, mlp_task):
    """With batch norm and skips, biases and batch-norm parameters count in ‖∇θL‖ and move
    with the plane (``ignore_biasbn=False``); the plain tanh network has neither."""
    task = bn_task if request.param == "bn_skip" else mlp_task
    plane = planes.random_plane(task, ignore_biasbn=False, key=jax.random.key(5))
    surf = surface_mod.compute_surface(task, plane, span=1.0, resolution=7, progress=False)
    return task, plane, surf


PTS = np.array([[0.4, -0.3], [-0.6, 0.5]], np.float32)


def _hand(task, plane, clip, rows=None):
    return [handnet.ball(task, plane, p, None if rows is None else rows[k], clip)
            for k, p in enumerate(PTS)]


@pytest.mark.parametrize("which", ["norm", "value", "both"])
def test_both_paths_clip_the_weight_space_gradient_then_project(world, which):
    task, plane, _ = world
    ref = _hand(task, plane, None)
    gnorm = min(np.linalg.norm(r[2]) for r in ref)
    gmax = min(np.abs(r[2]).max() for r in ref)
    c_norm = 0.3 * gnorm if which in ("norm", "both") else None
    c_value = 0.2 * gmax if which in ("value", "both") else None
    want = _hand(task, plane, (c_norm, c_value))
    for r, w in zip(ref, want):     # clipping the plane's 2-vector instead would differ
        g2 = r[1] * (min(1.0, c_norm / np.linalg.norm(r[1])) if c_norm else 1.0)
        g2 = np.clip(g2, -c_value, c_value) if c_value else g2
        assert not np.allclose(g2, w[1], rtol=1e-2)
    clip = Clip(c_norm, c_value)
    for make, consts in ((stacked_measure, stacked_consts), (generic_measure, generic_consts)):
        m = jax.jit(make(task, clip), static_argnums=(2, 3))(consts(task, plane),
                                                             jnp.asarray(PTS), None, False)
        for k in range(len(PTS)):
            np.testing.assert_allclose(m.grad[k], want[k][1], rtol=3e-4, atol=1e-6,
                                       err_msg=make.__name__)
            assert not np.allclose(want[k][1], ref[k][1], rtol=1e-2)   # the clip acted
        # the norms shown are those of the unclipped gradient the clip was computed from
        assert np.asarray(m.fresh).all()
        names, seg_w, _ = layer_segments(task.model.layout)
        for k, r in enumerate(ref):
            np.testing.assert_allclose(
                m.gw[k], [np.linalg.norm(r[2][seg_w == i]) for i in range(len(names))],
                rtol=3e-4)


def test_a_simulator_step_moves_by_lr_times_the_clipped_projection(world):
    task, plane, surf = world
    ref = _hand(task, plane, None)
    c = 0.25 * min(np.linalg.norm(r[2]) for r in ref)
    want = _hand(task, plane, (c, None))
    lr = 0.05
    for stacked in (True, False):
        sim = Simulator(task, plane, surf, [BallGroup(lr=lr, batch_size=None, clip_norm=c,
                                                      start="points", points=PTS)],
                        key=0, stacked=stacked)
        f = sim.advance(1)
        np.testing.assert_allclose(f.positions, PTS - lr * np.array([w[1] for w in want]),
                                   rtol=1e-5, atol=2e-6)
    assert sim.groups[0]["clipping"].startswith("the weight-space gradient ∇θL is clipped to "
                                                "global norm")
    assert "projected onto the plane" in sim.groups[0]["clipping"]


def test_projected_mode_clips_with_optax_on_the_weights(world):
    task, plane, surf = world
    c, v, lr = 0.5, 0.01, 0.1
    traj = simulate(task, plane, surf, [BallGroup(lr=lr, batch_size=None, clip_norm=c,
                                                  clip_value=v, start="points", points=PTS)],
                    steps=2, mode="projected", key=0)
    f = handnet.theta_loss_fn(task)
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)
    D = np.stack([plane.d1, plane.d2], 1).astype(np.float64)
    for k, p in enumerate(PTS):
        th = np.asarray(task.theta, np.float64) + p[0] * plane.d1 + p[1] * plane.d2
        for _ in range(2):          # a plain loop: clip by global norm, then by value, SGD
            g = np.asarray(jax.grad(f)(jnp.asarray(th, jnp.float32), x, y), np.float64)
            n = np.linalg.norm(g)
            g = g / n * c if n >= c else g
            th = th - lr * np.clip(g, -v, v)
        ab = np.linalg.lstsq(D, th - task.theta, rcond=None)[0]
        np.testing.assert_allclose(traj.positions[-1, k], ab, rtol=1e-3, atol=1e-5)
    assert "optax chain" in traj.groups[0]["clipping"]
    # the optax chain is exactly what the group's transform holds
    tx = BallGroup(lr=lr, clip_norm=c, clip_value=v).transform("projected")
    g = jnp.asarray([3.0, -4.0, 0.001])
    upd, _ = tx.update(g, tx.init(g))
    ref, _ = optax.chain(optax.clip_by_global_norm(c), optax.clip(v), optax.sgd(lr)).update(
        g, tx.init(g))
    np.testing.assert_allclose(upd, ref)


def test_clip_norm_bounds_the_plane_step_by_the_directions_not_by_c(world):
    """What a plane step can be: ‖clipped g‖ ≤ C, so |(g·d1, g·d2)| ≤ C·σ_max([d1 d2]) — not C."""
    task, plane, surf = world
    c, lr = 1e-3, 1.0
    traj = simulate(task, plane, surf, [BallGroup(lr=lr, clip_norm=c, batch_size=16, n=8)],
                    steps=6, key=3)
    step = np.linalg.norm(np.diff(traj.positions, axis=0), axis=-1)
    smax = np.linalg.svd(np.stack([plane.d1, plane.d2], 1), compute_uv=False)[0]
    assert step.max() <= lr * c * smax * (1 + 1e-4)
    assert traj.meta["n_escaped"] == 0
