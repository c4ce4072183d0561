"""The landscape over training: the real network's ball sits on the surface of its own
checkpoint, on the riding plane (at its centre) and on the fixed PCA plane (at its
projection), checked against a numpy forward pass."""

import jax
import numpy as np
import pytest

from landscape import nets, training
from landscape.errors import LandscapeError
from landscape.pipeline._timelapse import (
    compute_timelapse,
    relative_change,
    select_checkpoints,
)
from landscape.surface._compute import compute_surface


def numpy_loss(task, theta):
    """Mean cross-entropy of the tanh MLP at ``theta`` on the evaluation set, numpy only."""
    P = task.model.layout.unflatten(np.asarray(theta, np.float64))
    h = task.data.x_eval.astype(np.float64)
    n = len(P)
    for i in range(n):
        h = h @ P[f"dense_{i}"]["w"] + P[f"dense_{i}"]["b"]
        if i < n - 1:
            h = np.tanh(h)
    h = h - h.max(1, keepdims=True)
    logp = h - np.log(np.exp(h).sum(1, keepdims=True))
    return -logp[np.arange(len(task.data.y_eval)), task.data.y_eval].mean()


@pytest.fixture(scope="module")
def riding(mlp_task):
    return compute_timelapse(mlp_task, "riding", n_checkpoints=3, resolution=5,
                             key=jax.random.key(3))


@pytest.fixture(scope="module")
def pca(mlp_task):
    return compute_timelapse(mlp_task, "pca", n_checkpoints=5, resolution=21)


def test_riding_ball_sits_at_the_centre_of_its_own_surface(mlp_task, riding):
    tl = riding
    idx = select_checkpoints(mlp_task, 3)
    assert tl.n_checkpoints == 3 and list(idx) == [0, 10, 20]
    np.testing.assert_array_equal(tl.steps, mlp_task.checkpoint_steps[idx])
    assert tl.steps[0] == 0 and tl.steps[-1] == 60
    for k, s in enumerate(tl.surfaces):
        theta_t = mlp_task.checkpoints[idx[k]]
        np.testing.assert_array_equal(s.theta, theta_t)
        want = numpy_loss(mlp_task, theta_t)
        assert s.alphas[2] == 0 and s.betas[2] == 0
        np.testing.assert_allclose(s.loss[2, 2], want, rtol=1e-5)
        np.testing.assert_allclose(tl.loss[k], want, rtol=1e-5)
        # a corner of the grid, by hand: the plane really passes through θ_t along d(t)
        corner = theta_t + s.alphas[0] * s.d1 + s.betas[4] * s.d2
        np.testing.assert_allclose(s.loss[0, 4], numpy_loss(mlp_task, corner), rtol=1e-4)
    np.testing.assert_array_equal(tl.ab, 0)
    np.testing.assert_array_equal(tl.off_plane, 0)
    np.testing.assert_allclose(tl.surface_loss(), tl.loss, rtol=1e-5)
    # the loss falls along training: the surfaces really are different checkpoints'
    assert tl.loss[-1] < tl.loss[0]


def test_riding_directions_are_the_same_draws_renormalized_at_each_checkpoint(mlp_task, riding):
    lay = mlp_task.model.layout
    p = lay.get("dense_1", "w")
    unit = []
    for s in riding.surfaces:
        d = s.d1[p.offset:p.stop].reshape(p.shape).astype(np.float64)
        th = s.theta[p.offset:p.stop].reshape(p.shape).astype(np.float64)
        np.testing.assert_allclose(np.linalg.norm(d, axis=0), np.linalg.norm(th, axis=0),
                                   rtol=1e-5)
        unit.append(d / np.linalg.norm(d, axis=0))
    for u in unit[1:]:
        np.testing.assert_allclose(u, unit[0], atol=1e-5)


def test_pca_ball_is_the_projection_and_the_surface_holds_its_loss(mlp_task, pca):
    tl = pca
    s = tl.surfaces[0]
    assert all(t is s for t in tl.surfaces)  # one plane, one loss function: one surface
    plane = tl.planes[0]
    idx = select_checkpoints(mlp_task, 5)
    star = mlp_task.theta.astype(np.float64)
    for k, i in enumerate(idx):
        theta_t = mlp_task.checkpoints[i].astype(np.float64)
        D = np.stack([plane.d1, plane.d2]).astype(np.float64)          # orthonormal rows
        ab = D @ (theta_t - star)
        np.testing.assert_allclose(tl.ab[k], ab, atol=1e-4)
        on = star + ab @ D
        np.testing.assert_allclose(tl.off_plane[k], np.linalg.norm(theta_t - on), rtol=1e-4,
                                   atol=1e-5)
        np.testing.assert_allclose(tl.off_plane[k] ** 2 + ab @ ab,
                                   np.linalg.norm(theta_t - star) ** 2, rtol=1e-4)
        np.testing.assert_allclose(tl.plane_loss[k], numpy_loss(mlp_task, on), rtol=1e-4)
        np.testing.assert_allclose(tl.loss[k], numpy_loss(mlp_task, theta_t), rtol=1e-4)
        # the surface *at* the ball's point: a grid whose corner is exactly (a_t, b_t)
        a, b = (float(v) for v in tl.ab[k])
        exact = compute_surface(mlp_task, plane, span=(a, a + 1e-3, b, b + 1e-3), resolution=2)
        np.testing.assert_allclose(exact.loss[0, 0], tl.plane_loss[k], rtol=1e-5)
    # what a renderer draws (bilinear on the 21×21 grid) is close to it
    err = np.abs(tl.surface_loss() - tl.plane_loss)
    assert err.max() < 0.05 * np.ptp(s.loss)
    assert tl.off_plane[-1] == 0 and np.all(tl.ab[-1] == 0)
    # span 1 frames the path: every checkpoint lies inside the grid
    assert np.all(np.abs(tl.ab) <= s.alphas[-1])


def test_relative_change_and_records(mlp_task, riding):
    idx = select_checkpoints(mlp_task, 3)
    lay = mlp_task.model.layout
    for k, i in enumerate(idx):
        for l, name in enumerate(("dense_0", "dense_1", "dense_2")):
            p = lay.get(name, "w")
            w0 = mlp_task.theta0[p.offset:p.stop].astype(np.float64)
            w = mlp_task.checkpoints[i, p.offset:p.stop].astype(np.float64)
            np.testing.assert_allclose(riding.relative_change[k, l],
                                       np.linalg.norm(w - w0) / np.linalg.norm(w0), rtol=1e-5)
    assert riding.grad_norms.shape == (60, 3) and riding.layers == ["dense_0", "dense_1", "dense_2"]
    np.testing.assert_allclose(relative_change(lay, mlp_task.theta0, mlp_task.theta0), 0)


def test_layer_riding_plane(mlp_task):
    tl = compute_timelapse(mlp_task, "riding", n_checkpoints=2, resolution=3, layers=(0,),
                           key=jax.random.key(0))
    assert tl.meta["layers"] == [0]
    p = mlp_task.model.layout.get("dense_1", "w")
    assert all(np.all(s.d1[p.offset:] == 0) for s in tl.surfaces)


def test_timelapse_errors(mlp_task, small_digits):
    with pytest.raises(LandscapeError, match="at least 2 checkpoints, got 1"):
        compute_timelapse(mlp_task, "pca", n_checkpoints=1)
    with pytest.raises(LandscapeError, match="kept 21 checkpoints, fewer than the 30"):
        compute_timelapse(mlp_task, "pca", n_checkpoints=30)
    with pytest.raises(LandscapeError, match="choose one of: pca, riding"):
        compute_timelapse(mlp_task, "hessian")
    with pytest.raises(LandscapeError, match="apply to the riding plane"):
        compute_timelapse(mlp_task, "pca", layers=(0,))
    m = nets.mlp((4,), n_in=64, n_out=10)
    untrained = training.train(m, small_digits, steps=0, key=jax.random.key(0))
    with pytest.raises(LandscapeError, match="needs a trained network"):
        compute_timelapse(untrained, "riding", n_checkpoints=2)


def test_build_timelapse_caches_and_round_trips(tmp_path, monkeypatch):
    from landscape.pipeline._config import LandscapeConfig
    from landscape.pipeline._timelapse import Timelapse, build_timelapse

    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path))
    cfg = LandscapeConfig(widths=(8, 8), train_steps=30, train_checkpoints=4, grid=5,
                          layers=(1,))
    tl = build_timelapse(cfg, "riding", 2)
    files = list(tmp_path.glob("timelapse-*.npz"))
    assert len(files) == 1
    again = build_timelapse(cfg, "riding", 2)
    for a, b in zip(tl.surfaces, again.surfaces):
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.d1, b.d1)
        assert b.meta["timelapse"]["step"] == a.meta["timelapse"]["step"]
    np.testing.assert_array_equal(tl.loss, again.loss)
    np.testing.assert_array_equal(tl.grad_norms, again.grad_norms)
    assert again.planes[0].meta["layers"] == [1] and again.meta["config"]["layers"] == [1]
    pca = build_timelapse(cfg.replace(layers=None), "pca", 4)
    p2 = Timelapse.load(tmp_path / "p.npz") if pca.save(str(tmp_path / "p.npz")) else None
    assert all(s is p2.surfaces[0] for s in p2.surfaces)
    np.testing.assert_array_equal(p2.ab, pca.ab)
    for f in tmp_path.glob("timelapse-*.npz"):
        if f != files[0]:
            f.write_bytes(b"garbage")                             # the PCA one: quick to redo
    lines = []
    build_timelapse(cfg.replace(layers=None), "pca", 4, log=lines.append)
    assert lines and "corrupt" in lines[0]
    with pytest.raises(LandscapeError, match="not trained"):
        build_timelapse(cfg.replace(train_steps=0), "pca", 3)
    with pytest.raises(LandscapeError, match="at least 2 checkpoints"):
        build_timelapse(cfg, "pca", 1)
    with pytest.raises(LandscapeError, match="fewer than the 9"):
        build_timelapse(cfg.replace(layers=None), "pca", 9)
