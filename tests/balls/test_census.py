"""Minima census on analytic surfaces: separate wells stay apart, a flat floor is one basin."""

import numpy as np

from landscape.balls._census import census
from landscape.nets._layout import Layout
from landscape.surface._surface import Surface


def make_surface(fn, n=121):
    a = np.linspace(-1, 1, n, dtype=np.float32)
    A, B = np.meshgrid(a, a, indexing="ij")
    loss = fn(A, B).astype(np.float32)
    z = np.zeros(1, np.float32)
    return Surface(alphas=a, betas=a, loss=loss, accuracy=np.ones_like(loss), theta=z, d1=z, d2=z,
                   spec={}, layout=Layout(()), x_eval=np.zeros((1, 1)),
                   y_eval=np.zeros(1, np.int32), bn_stats=np.zeros((0, 2, 0)), meta={})


def test_two_wells_behind_a_ridge_are_two_minima():
    # wells at a = ±0.5 (depths 0.1 and 0.3) with a ridge of height ~1 at a = 0
    s = make_surface(lambda A, B: 1.0 - 0.9 * np.exp(-((A + 0.5) ** 2 + B ** 2) / 0.02)
                     - 0.7 * np.exp(-((A - 0.5) ** 2 + B ** 2) / 0.02))
    rng = np.random.default_rng(0)
    P = np.concatenate([rng.normal([-0.5, 0], 0.005, (30, 2)), rng.normal([0.5, 0], 0.005, (10, 2))])
    g = np.zeros(40, int)
    out = census(P, np.ones(40, bool), np.zeros(40, bool), g, ["sgd"], s)
    assert len(out) == 2
    assert out[0]["loss"] < out[1]["loss"]  # lowest first
    np.testing.assert_allclose(out[0]["position"], [-0.5, 0], atol=0.01)
    assert out[0]["n_balls"] == 30 and abs(out[0]["share"] - 0.75) < 1e-9
    # escaped or unsettled balls are not counted, but share is over all balls
    esc = np.zeros(40, bool)
    esc[:10] = True
    out = census(P, np.ones(40, bool), esc, g, ["sgd"], s)
    assert out[0]["n_balls"] == 20 and abs(out[0]["share"] - 0.5) < 1e-9


def test_clumps_on_a_flat_floor_or_one_slope_are_one_minimum():
    # a flat-bottomed valley: clumps far apart along its floor, no ridge between them
    s = make_surface(lambda A, B: 0.1 + 2.0 * B ** 2)
    P = np.array([[x, 0.0] for x in (-0.8, -0.3, 0.2, 0.7)] * 5) + \
        np.random.default_rng(1).normal(0, 0.003, (20, 2))
    out = census(P, np.ones(20, bool), np.zeros(20, bool), np.zeros(20, int), ["sgd"], s)
    assert len(out) == 1 and out[0]["n_balls"] == 20
    # the same clumps across a ridge in a would stay apart
    s2 = make_surface(lambda A, B: 0.1 + 2.0 * B ** 2 + 0.5 * np.exp(-A ** 2 / 0.005))
    P2 = np.array([[-0.5, 0.0], [0.5, 0.0]] * 5)
    out = census(P2, np.ones(10, bool), np.zeros(10, bool), np.zeros(10, int), ["sgd"], s2)
    assert len(out) == 2


def test_balls_stuck_on_a_shelf_are_not_counted_in_the_valley_below():
    # a flat shelf at loss 1 for a < -0.3, then a monotone slope down to a valley at a = 0.5:
    # no ridge between them, but the shelf's balls have not found the valley
    s = make_surface(lambda A, B: np.where(A < -0.3, 1.0, 1.0 - 0.9 * np.clip((A + 0.3) / 0.8, 0, 1))
                     + 0.5 * B ** 2)
    P = np.array([[-0.6, 0.0]] * 6 + [[0.5, 0.0]] * 4)
    out = census(P, np.ones(10, bool), np.zeros(10, bool), np.zeros(10, int), ["sgd"], s)
    assert [c["n_balls"] for c in out] == [4, 6]
    np.testing.assert_allclose([c["loss"] for c in out], [0.1, 1.0], atol=1e-6)
