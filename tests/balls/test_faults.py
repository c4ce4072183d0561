"""What a picture shows when the numbers break: an overflowing gradient is recorded as inf
and flagged (never as the zeros of the initial state, never as a stale value), and a ball over
a non-finite cell of the surface has a finite height on the plateau, flagged, in the file too."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import data, nets, planes, training
from landscape.balls._simulator import BallGroup, Simulator, simulate
from landscape.balls._stacked import stacked_consts, stacked_measure
from landscape.balls._trajectory import Trajectory
from landscape.nets import layer_segments
from landscape import surface as surface_mod
from landscape.surface._interp import plateau_height


@pytest.fixture(scope="module")
def huge():
    """A deep linear network with weights 2·10⁴ times too large: the loss is ~4e35 at θ* and
    overflows float32 a little further out, where the gradient is ~1e37 (its plain sum of
    squares would overflow too)."""
    d = data.digits()
    ds = data.Dataset("d200", d.x[:200], d.y[:200], d.x[:200], d.y[:200], 10, (8, 8), None)
    m = nets.mlp((32,) * 6, n_in=64, n_out=10, activation="linear", init="normal",
                   init_scale=2e4)
    task = training.train(m, ds, steps=0, key=jax.random.key(0))
    plane = planes.random_plane(task, key=jax.random.key(1))
    surf = surface_mod.compute_surface(task, plane, span=1.0, resolution=9, progress=False)
    return task, plane, surf


def _grad(task, plane, ab):
    """∇θL of the full-batch loss at a plane point, float64 (independent of the measures)."""
    f = task.loss_fn()
    th = jnp.asarray(task.theta + ab[0] * plane.d1 + ab[1] * plane.d2, jnp.float32)
    l, g = jax.value_and_grad(lambda t: f(t, task.data.x_eval, task.data.y_eval)[0])(th)
    return float(l), np.asarray(g, np.float64)


def _layer_norms(task, g):
    names, seg_w, seg_b = layer_segments(task.model.layout)
    return (np.array([np.linalg.norm(g[seg_w == i]) for i in range(len(names))]),
            np.array([np.linalg.norm(g[seg_b == i]) for i in range(len(names))]))


def test_a_ball_that_steps_into_overflow_mid_chunk_records_that_steps_norms(huge):
    """Inside a chunk the stacked path skips the norms; a step whose loss or gradient is not
    finite is measured in full, so the frame shows the norms where the ball escaped, not the
    stale ones from before (which are several times smaller)."""
    task, plane, surf = huge
    l0, g0 = _grad(task, plane, (0.0, 0.0))
    gab = np.array([g0 @ plane.d1, g0 @ plane.d2])
    land = -gab / np.linalg.norm(gab)                  # one SGD step lands here, loss = inf
    l1, g1 = _grad(task, plane, land)
    assert np.isfinite(l0) and not np.isfinite(l1) and np.isfinite(g1).all()
    lr = float(1.0 / np.linalg.norm(gab))
    sim = Simulator(task, plane, surf, [BallGroup(lr=lr, batch_size=None, start="points",
                                                  points=[(0.0, 0.0)])], key=0)
    assert sim.stacked
    f = sim.advance(3)                                 # steps 1, 2 lean; step 1 overflows
    assert f.escaped[0]
    np.testing.assert_allclose(f.positions[0], land, rtol=1e-3)
    w1, _ = _layer_norms(task, g1)
    w0, _ = _layer_norms(task, g0)
    assert np.all(w1 > 1e20) and not np.allclose(w0, w1, rtol=0.5)   # w1² overflows float32
    np.testing.assert_allclose(f.grad_norms[0], w1, rtol=1e-3)   # finite: no sum-of-squares overflow
    assert not f.grad_overflow[0].any()


def test_a_non_finite_gradient_is_inf_and_flagged_from_the_first_frame(huge):
    """Balls started where the gradient itself is not finite: their norms are inf and flagged
    at step 0 (the old code kept the zeros of the initial state) and stay so once escaped."""
    task, plane, surf = huge
    far = dataclasses.replace(plane, d1=plane.d1 * 8, d2=plane.d2 * 8)
    _, g = _grad(task, far, (1.0, 1.0))
    assert not np.isfinite(g).all()
    for stacked in (True, False):
        traj = simulate(task, far, surf, [BallGroup(lr=1e-40, batch_size=None, start="points",
                                                    points=[(1.0, 1.0), (0.0, 0.0)])],
                        steps=2, key=0, stacked=stacked)
        gn = traj.grad_norms[:, 0]
        assert np.isposinf(gn[0]).any() and traj.grad_overflow[0, 0][np.isposinf(gn[0])].all()
        assert (gn[0] != 0).all()
        np.testing.assert_array_equal(gn[-1], gn[0])           # frozen once escaped
        assert traj.escaped[-1, 0] and not traj.escaped[-1, 1]
        assert not traj.grad_overflow[:, 1].any()
        assert traj.summary()["groups"][0]["grad_overflow"] == 1


def test_lean_measure_remeasures_a_non_finite_chunk_in_full(huge):
    task, plane, _ = huge
    m = jax.jit(stacked_measure(task), static_argnums=(2, 3))
    ab = jnp.asarray([[-0.5, 0.87], [0.0, 0.0]], jnp.float32)
    lean = m(stacked_consts(task, plane), ab, None, False)
    full = m(stacked_consts(task, plane), ab, None, True)
    assert np.asarray(lean.fresh).all()                 # one ball's loss is inf: all measured
    np.testing.assert_allclose(lean.gw, full.gw, rtol=1e-6)
    ok = m(stacked_consts(task, plane), ab[1:], None, False)
    assert not np.asarray(ok.fresh).any()               # a finite chunk stays lean


@pytest.fixture(scope="module")
def holed(mlp_task):
    """The small tanh network's surface with a hole of NaN/inf cells punched into it."""
    plane = planes.random_plane(mlp_task, key=jax.random.key(1))
    surf = surface_mod.compute_surface(mlp_task, plane, span=1.0, resolution=9, progress=False)
    loss = surf.loss.copy()
    loss[5:7, 5:7] = np.nan
    loss[6, 5] = np.inf
    return mlp_task, plane, dataclasses.replace(surf, loss=loss)


def test_heights_over_non_finite_cells_are_the_plateau_and_flagged(holed, tmp_path):
    task, plane, surf = holed
    a = surf.alphas
    mid = (a[4] + a[5]) / 2
    over = [(a[5], a[5]), ((a[5] + a[6]) / 2, a[6]), (mid, mid)]  # on or touching the hole
    clear = [(a[1], a[2]), ((a[2] + a[3]) / 2, (a[1] + a[2]) / 2), (a[4], a[4])]
    traj = simulate(task, plane, surf, [BallGroup(lr=1e-6, batch_size=None, start="points",
                                                  points=over + clear)], steps=2, key=0)
    assert np.isfinite(traj.heights).all()
    top = np.max(surf.loss[np.isfinite(surf.loss)])
    np.testing.assert_allclose(traj.heights[0, :3], top, rtol=1e-6)
    assert traj.over_nonfinite[0].tolist() == [True] * 3 + [False] * 3
    # away from the hole: plain bilinear interpolation, written out by hand
    for k, (pa, pb) in enumerate(clear):
        i, j = int(np.searchsorted(a, pa, "right") - 1), int(np.searchsorted(a, pb, "right") - 1)
        i, j = min(i, len(a) - 2), min(j, len(a) - 2)
        ta, tb = (pa - a[i]) / (a[i + 1] - a[i]), (pb - a[j]) / (a[j + 1] - a[j])
        Z = surf.loss.astype(np.float64)
        terms = [((1 - ta) * (1 - tb), Z[i, j]), (ta * (1 - tb), Z[i + 1, j]),
                 ((1 - ta) * tb, Z[i, j + 1]), (ta * tb, Z[i + 1, j + 1])]
        want = sum(w * z for w, z in terms if w > 0)    # on a grid line: its own values only
        np.testing.assert_allclose(traj.heights[0, 3 + k], want, rtol=1e-5)
    path = traj.save(str(tmp_path / "t.npz"))
    with np.load(path) as z:
        np.testing.assert_array_equal(z["over_nonfinite"], traj.over_nonfinite)
    back = Trajectory.load(path)
    np.testing.assert_array_equal(back.over_nonfinite, traj.over_nonfinite)
    assert traj.summary()["groups"][0]["over_nonfinite"] == 3


def test_plateau_height_rules():
    a = np.array([0.0, 1.0, 2.0])
    Z = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0], [7.0, 8.0, 9.0]])
    h, over = plateau_height(a, a, Z, np.array([[0.0, 0.0], [0.5, 0.0], [0.5, 0.5],
                                                [1.0, 0.0], [2.0, 2.0]]))
    np.testing.assert_allclose(h, [1.0, 2.5, 9.0, 4.0, 9.0])
    assert over.tolist() == [False, False, True, False, False]
    h, over = plateau_height(a, a, np.full((3, 3), np.nan), np.zeros((1, 2)))
    assert h.tolist() == [0.0] and over.tolist() == [True]
