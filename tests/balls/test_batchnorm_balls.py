"""Balls and surface under batch norm: with ``bn_policy="eval"`` one function; with
``"batch"`` a ball's gradient and batch loss use its own minibatch's statistics (as training
does), the heights are the surface (statistics of all data), the two agree for full-batch
balls, and the trajectory and the view's title say which applied."""

import dataclasses

import handnet
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import planes
from landscape.balls._simulator import BallGroup, Simulator, simulate
from landscape import surface as surface_mod


@pytest.fixture(scope="module")
def batch_world(bn_task):
    task = dataclasses.replace(bn_task, bn_policy="batch")      # never mutate the session task
    plane = planes.random_plane(task, ignore_biasbn=False, key=jax.random.key(3))
    surf = surface_mod.compute_surface(task, plane, span=1.0, resolution=7, progress=False)
    return task, plane, surf


def test_full_batch_balls_follow_the_surface_function_exactly(batch_world):
    task, plane, surf = batch_world
    pts = np.array([[0.3, -0.2], [-0.4, 0.35]], np.float32)
    sim = Simulator(task, plane, surf, [BallGroup(lr=0.01, batch_size=None, start="points",
                                                  points=pts)], key=0)
    g = np.asarray(jax.device_get(sim.state.groups[0]).g)
    f = handnet.theta_loss_fn(task)            # batch statistics of all evaluation data
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)

    def surface_fn(a, b):
        th = np.asarray(task.theta, np.float64) + a * plane.d1 + b * plane.d2
        return float(f(jnp.asarray(th, jnp.float32), x, y))

    h = 1e-2
    for p, gk in zip(pts, g):
        fd = [(surface_fn(p[0] + h, p[1]) - surface_fn(p[0] - h, p[1])) / (2 * h),
              (surface_fn(p[0], p[1] + h) - surface_fn(p[0], p[1] - h)) / (2 * h)]
        np.testing.assert_allclose(gk, fd, rtol=2e-2, atol=2e-4)
    # the surface at a grid point is the same function
    i, j = 2, 4
    np.testing.assert_allclose(surf.loss[i, j], surface_fn(surf.alphas[i], surf.betas[j]),
                               rtol=1e-4)


def test_minibatch_balls_use_their_own_statistics_and_say_so(batch_world):
    task, plane, surf = batch_world
    pts = [(0.3, -0.2)]
    traj = simulate(task, plane, surf, [BallGroup(lr=1e-9, batch_size=16, start="points",
                                                  points=pts)], steps=1, key=0)
    sim = Simulator(task, plane, surf, [BallGroup(lr=1e-9, batch_size=16, start="points",
                                                  points=pts)], key=0)
    idx = sim.minibatch_rows(0, 0)
    own, _, _ = handnet.ball(task, plane, np.array(pts[0]), idx)     # minibatch statistics
    # the same rows normalized with all data's statistics (the surface's function)
    spec, layout = task.model.spec, task.model.layout
    th = np.asarray(task.theta, np.float64) + 0.3 * plane.d1 - 0.2 * plane.d2
    x = jnp.asarray(task.data.x_eval)

    def with_full_stats(t):
        stats, h = [], x
        P = layout.unflatten(t)
        for i in range(len(spec["widths"])):       # statistics of each layer on all data
            z = h @ P[f"dense_{i}"]["w"] + P[f"dense_{i}"]["b"]
            mu, var = z.mean(0), z.var(0)
            stats.append((mu, var))
            zn = (z - mu) / jnp.sqrt(var + 1e-5) * P[f"dense_{i}"]["bn_scale"] + \
                P[f"dense_{i}"]["bn_shift"]
            new = jnp.maximum(zn, 0)
            h = new + h if spec["skip"] and i > 0 and new.shape[1] == h.shape[1] else new
        z = handnet.logits(spec, layout, t, x[idx], stats, "eval")
        return float(handnet.loss(spec, z, jnp.asarray(task.data.y_eval)[idx]))

    surface_kind = with_full_stats(jnp.asarray(th, jnp.float32))
    np.testing.assert_allclose(traj.batch_loss[0, 0], own, rtol=1e-4)
    assert abs(own - surface_kind) > 1e-3 * abs(own)     # the two functions really differ
    assert traj.meta["bn_policy"] == "batch"
    assert "own minibatch's statistics" in traj.meta["batch_norm"]
    assert "heights are the surface's loss" in traj.meta["batch_norm"]


def test_eval_policy_is_one_function_and_the_title_says_batch_when_it_is_not(bn_task):
    from landscape.balls._simulator import batch_norm_note
    from landscape.scene import Run, title
    from landscape.scene._scene import Landscape

    assert "one function" in batch_norm_note(bn_task)
    land = Landscape(None, "BN net", 0)

    class S:
        meta = {"center_loss": 0.5, "bn_policy": "batch"}

    assert "minibatch BN statistics" in title(Run(land, S(), None, {}))
    S.meta = {"center_loss": 0.5, "bn_policy": "eval"}
    assert "BN" not in title(Run(land, S(), None, {})).replace("BN net", "")
