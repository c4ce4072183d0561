"""Directions: filter normalization, PCA of the path, Hessian eigenvectors vs a dense Hessian."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import data, nets, planes, training
from landscape.errors import LandscapeError


def test_filter_normalized_rows_have_theta_norms_and_zero_biases(mlp_task):
    pl = planes.random_plane(mlp_task, norm="filter", key=jax.random.key(3))
    for d in (pl.d1, pl.d2):
        for p in mlp_task.model.layout.params:
            seg = d[p.offset:p.stop]
            if p.role != "weight":
                assert np.all(seg == 0)
                continue
            want = np.linalg.norm(mlp_task.theta[p.offset:p.stop].reshape(-1, p.shape[-1]), axis=0)
            got = np.linalg.norm(seg.reshape(-1, p.shape[-1]), axis=0)
            np.testing.assert_allclose(got, want, rtol=1e-5)


def test_filter_normalization_on_conv_filters(small_digits):
    m = nets.cnn((4, 6), image_shape=(8, 8), n_out=10)
    task = training.train(m, small_digits, steps=5, key=jax.random.key(0))
    pl = planes.random_plane(task, norm="filter", key=jax.random.key(1))
    p = m.layout.get("conv_1", "w")  # [3, 3, 4, 6]: six filters of 3·3·4 weights
    got = np.linalg.norm(pl.d1[p.offset:p.stop].reshape(36, 6), axis=0)
    want = np.linalg.norm(task.theta[p.offset:p.stop].reshape(36, 6), axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_layer_normalization_and_bias_copy(mlp_task):
    layout = mlp_task.model.layout
    d = np.random.default_rng(0).normal(size=layout.size).astype(np.float32)
    out = planes.normalize(d, mlp_task.theta, layout, "layer", ignore_biasbn=False)
    for p in layout.params:
        s = slice(p.offset, p.stop)
        if p.role == "weight":
            np.testing.assert_allclose(np.linalg.norm(out[s]), np.linalg.norm(mlp_task.theta[s]), rtol=1e-5)
        else:
            np.testing.assert_array_equal(out[s], mlp_task.theta[s])
    np.testing.assert_array_equal(planes.normalize(d, mlp_task.theta, layout, "none", False), d)


def test_orthogonalize(mlp_task):
    pl = planes.random_plane(mlp_task, orthogonalize=True, key=jax.random.key(5))
    assert abs(pl.d1 @ pl.d2) / (np.linalg.norm(pl.d1) * np.linalg.norm(pl.d2)) < 1e-5


def test_pca_directions_orthonormal_with_explained_variance(mlp_task):
    pl = planes.pca_plane(mlp_task)
    D = np.stack([pl.d1, pl.d2])
    np.testing.assert_allclose(D @ D.T, np.eye(2), atol=1e-5)
    ev = pl.meta["explained_variance"]
    assert 0 <= ev[1] <= ev[0] <= 1 and ev[0] + ev[1] <= 1 + 1e-6
    # explained variance recomputed independently: share of squared projections
    M = mlp_task.checkpoints.astype(np.float64) - mlp_task.theta
    proj = M @ D.T.astype(np.float64)
    np.testing.assert_allclose((proj ** 2).sum(0) / (M ** 2).sum(), ev, rtol=1e-4)


def test_pca_needs_a_path(small_digits):
    m = nets.mlp((4,), n_in=64, n_out=10)
    task = training.train(m, small_digits, steps=0, key=jax.random.key(0))
    with pytest.raises(LandscapeError, match="checkpoints"):
        planes.pca_plane(task)


def test_hessian_directions_match_dense_hessian():
    d = data.load("moons", n=64, seed=0)
    m = nets.mlp((4,), n_in=2, n_out=2, activation="tanh", init="xavier")
    task = training.train(m, d, steps=100, lr=0.05, batch_size=None, key=jax.random.key(0))
    f = task.loss_fn()
    H = np.asarray(jax.hessian(lambda t: f(t, d.x_eval, d.y_eval)[0])(jnp.asarray(task.theta)),
                   np.float64)
    vals, vecs = np.linalg.eigh((H + H.T) / 2)
    pl = planes.hessian_plane(task, key=jax.random.key(1), tol=1e-8)
    np.testing.assert_allclose(pl.meta["eigenvalues"], vals[::-1][:2], rtol=1e-3)
    for got, want in ((pl.d1, vecs[:, -1]), (pl.d2, vecs[:, -2])):
        assert abs(abs(got @ want) - 1) < 1e-3
    np.testing.assert_allclose(np.linalg.norm(pl.d1), 1, rtol=1e-5)


def test_unknown_method_and_norm(mlp_task):
    with pytest.raises(LandscapeError, match="random, pca, hessian"):
        planes.make_plane(mlp_task, "sobol", key=jax.random.key(0))
    with pytest.raises(LandscapeError, match="filter, layer, none"):
        planes.random_plane(mlp_task, norm="unit", key=jax.random.key(0))


def test_project_recovers_plane_coordinates(mlp_task):
    pl = planes.random_plane(mlp_task, key=jax.random.key(2))
    delta = 0.3 * pl.d1 - 0.7 * pl.d2
    np.testing.assert_allclose(pl.project(delta), [0.3, -0.7], atol=1e-5)
