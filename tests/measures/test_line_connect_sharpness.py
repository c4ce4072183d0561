"""Line, mode connectivity and sharpness, against closed forms on quadratic losses and dense
Hessians (jax.hessian) of tiny networks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import data, nets, planes, training
from landscape.errors import LandscapeError
from landscape.measures import _connect as connect
from landscape.measures._line import Line, line
from landscape.measures._sharpness import Sharpness
from landscape.surface._compute import compute_surface


@pytest.fixture(scope="module")
def quad():
    """A linear model with squared error: its loss is exactly quadratic in θ, with constant
    Hessian H and minimizer θ* solving the normal equations."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    y = rng.integers(0, 2, 60).astype(np.int32)
    d = data.Dataset("quad", x, y, x, y, 2)
    m = nets.from_apply_fn(lambda p, x: x @ p["lin"]["w"] + p["lin"]["b"],
                             {"lin": {"w": np.zeros((3, 2), np.float32), "b": np.zeros(2, np.float32)}},
                             x[:1], output="mse")
    task = training.task_from_params(m, d, np.zeros(m.n_params, np.float32))
    f = task.loss_fn()
    L = lambda t: f(t, jnp.asarray(x), jnp.asarray(y))[0]
    H = np.asarray(jax.hessian(L)(jnp.zeros(m.n_params)), np.float64)
    g = -np.asarray(jax.grad(L)(jnp.zeros(m.n_params)), np.float64)
    return task, L, H, np.linalg.solve(H, g)


def test_line_is_the_quadratic_in_t(quad, tmp_path):
    task, L, H, star = quad
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, task.model.n_params)).astype(np.float32)
    ln = line(task, a, b, points=9, extend=0.25)
    assert ln.t[0] == -0.25 and ln.t[-1] == 1.25
    for t, l in zip(ln.t, ln.loss):
        np.testing.assert_allclose(l, float(L(jnp.asarray(a + t * (b - a)))), rtol=2e-5)
    # closed form: L(a + tΔ) = L(a) + t·∇L(a)·Δ + t²·ΔᵀHΔ/2
    D = (b - a).astype(np.float64)
    ga = H @ a.astype(np.float64) - H @ star
    want = float(L(jnp.asarray(a))) + ln.t * (ga @ D) + ln.t ** 2 * (D @ H @ D) / 2
    np.testing.assert_allclose(ln.loss, want, rtol=1e-4, atol=1e-5)
    p = ln.save(str(tmp_path / "l.npz"))
    back = Line.load(p)
    np.testing.assert_array_equal(back.loss, ln.loss)


def test_bezier_bend_reaches_the_closed_form_on_a_quadratic(quad):
    # minimizing ∫ L(φ(t)) dt over the bend C: H(A/10 + 2C/15 + B/10) = Hθ*/3,
    # so C = 5/2·θ* − 3/4·(A + B)
    task, L, H, star = quad
    rng = np.random.default_rng(2)
    A = (star + rng.normal(size=star.size)).astype(np.float32)
    B = (star + rng.normal(size=star.size)).astype(np.float32)
    cv = connect.fit_bend(task, A, B, steps=3000, lr=2e-2, batch_size=None, t_per_step=5,
                          quadrature=True, key=jax.random.key(0))
    want = 2.5 * star - 0.75 * (A.astype(np.float64) + B)
    np.testing.assert_allclose(cv.bend, want, atol=2e-3)
    # the curve and the line, exact, in the plane of the three points
    res = connect.compare(task, cv, points=5)
    for t, lc, ll in zip(res["t"], res["curve_loss"], res["line_loss"]):
        np.testing.assert_allclose(lc, float(L(jnp.asarray(cv.at(t), jnp.float32))), rtol=1e-4)
        np.testing.assert_allclose(ll, float(L(jnp.asarray(A + t * (B - A)))), rtol=1e-4)
    assert res["curve_loss"][2] < res["line_loss"][2]


def test_bezier_plane_puts_the_three_points_where_it_says(mlp_task):
    rng = np.random.default_rng(3)
    P = mlp_task.model.n_params
    A, B, C = (mlp_task.theta + 0.1 * rng.normal(size=P).astype(np.float32) for _ in range(3))
    cv = connect.Curve(A, B, C, np.zeros(0))
    plane, pts = cv.plane()
    for name, v in (("A", A), ("B", B), ("bend", C)):
        a, b = pts[name]
        np.testing.assert_allclose(A + a * plane.d1 + b * plane.d2, v, atol=1e-5)
    # a surface of that plane through θA (the surface engine, exact at the three points)
    task = training.Task(model=mlp_task.model, data=mlp_task.data, theta=A, theta0=A, bn_stats=[], bn_policy="eval",
                         checkpoints=A[None], checkpoint_steps=np.zeros(1, int),
                         train_loss=np.zeros(0, np.float32), config={})
    s = compute_surface(task, plane, span=(0.0, 1.0, 0.0, 2 * pts["bend"][1]), resolution=(3, 3))
    want = task.evaluate(B)[0]
    np.testing.assert_allclose(s.loss[2, 0], want, rtol=1e-5)


def test_bezier_between_models_of_different_shapes_is_an_error(small_digits):
    a = training.train(nets.mlp((8,), n_in=64), small_digits, steps=0, key=jax.random.key(0))
    b = training.train(nets.mlp((9,), n_in=64), small_digits, steps=0, key=jax.random.key(0))
    with pytest.raises(LandscapeError, match="different shapes"):
        connect.check_same_shape(a, b)
    with pytest.raises(LandscapeError, match="different shapes"):
        connect.fit_bend(a, a.theta, b.theta, key=jax.random.key(0))


def test_sharpness_against_dense_hessians(quad):
    task, L, H, star = quad
    sh = Sharpness(task, iters=50)
    np.testing.assert_allclose(sh.top(np.zeros(task.model.n_params)), np.linalg.eigvalsh(H)[-1],
                               rtol=1e-4)
    # a tiny tanh network: the Hessian varies with θ
    d = data.load("moons", n=64, seed=0)
    m = nets.mlp((3,), n_in=2, n_out=2, activation="tanh", init="xavier")
    t = training.train(m, d, steps=50, lr=0.05, batch_size=None, key=jax.random.key(0))
    f = t.loss_fn()
    Hf = lambda th: np.asarray(jax.hessian(lambda v: f(v, d.x_eval, d.y_eval)[0])(jnp.asarray(th)), np.float64)
    sh = Sharpness(t, iters=m.n_params, eval_batch=20)
    pl = planes.random_plane(t, key=jax.random.key(1))
    alphas, betas = np.array([-0.5, 0.5], np.float32), np.array([0.0, 0.7], np.float32)
    grid = sh.grid(pl, alphas, betas)
    for i, a in enumerate(alphas):
        for j, b in enumerate(betas):
            th = t.theta + a * pl.d1 + b * pl.d2
            np.testing.assert_allclose(grid[i, j], np.linalg.eigvalsh(Hf(th))[-1], rtol=1e-3)
    per = sh.per_layer()
    Hs = Hf(t.theta)
    for layer, got in per.items():
        idx = np.concatenate([np.arange(p.offset, p.stop) for p in m.layout.params if p.layer == layer])
        np.testing.assert_allclose(got, np.linalg.eigvalsh(Hs[np.ix_(idx, idx)])[-1], rtol=1e-3)


def test_sharpness_function_is_the_top_eigenvalue_of_a_quadratic(quad):
    """``ls.sharpness`` on a task whose loss is exactly quadratic in θ equals the largest
    eigenvalue of its dense Hessian (numpy), at θ* and at a given θ (the same: constant H)."""
    import landscape as ls

    task, _, H, star = quad
    want = np.linalg.eigvalsh(H)[-1]
    np.testing.assert_allclose(ls.sharpness(task, iters=50), want, rtol=1e-4)
    np.testing.assert_allclose(ls.sharpness(task, star.astype(np.float32), iters=50), want,
                               rtol=1e-4)
