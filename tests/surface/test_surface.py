"""The surface: exact against independent computations (a per-point loop, numpy alone from the
saved file, a closed-form paraboloid), reproducible, and identical when sharded."""

import dataclasses
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy_reader import numpy_point_loss

from landscape import data, nets, planes, training
from landscape.errors import LandscapeError
from landscape.surface._compute import compute_surface, grid
from landscape.surface._surface import Surface


@pytest.fixture(scope="module")
def surf(mlp_task):
    pl = planes.random_plane(mlp_task, key=jax.random.key(7))
    return mlp_task, pl, compute_surface(mlp_task, pl, span=1.0, resolution=9, block=16)


def test_center_equals_loss_at_theta_star(surf):
    task, _, s = surf
    loss, acc = task.evaluate()
    assert s.alphas[4] == 0 and s.betas[4] == 0
    np.testing.assert_allclose(s.loss[4, 4], loss, rtol=1e-5)
    np.testing.assert_allclose(s.accuracy[4, 4], acc)
    np.testing.assert_allclose(s.center_loss, loss, rtol=1e-5)


def test_grid_equals_an_independent_per_point_loop(surf):
    task, pl, s = surf
    f = jax.jit(task.loss_fn())  # plain forward on the full θ: no first-layer precompute
    for i, j in [(0, 0), (0, 8), (3, 5), (8, 2), (8, 8)]:
        theta = task.theta + s.alphas[i] * pl.d1 + s.betas[j] * pl.d2
        l, a = f(jnp.asarray(theta), task.data.x_eval, task.data.y_eval)
        np.testing.assert_allclose(s.loss[i, j], float(l), rtol=2e-5)
        np.testing.assert_allclose(s.accuracy[i, j], float(a))


@pytest.mark.parametrize("which", ["plain", "bn_skip_eval", "bn_skip_batch"])
def test_numpy_only_recompute_from_saved_file(tmp_path, surf, bn_task, which):
    if which == "plain":
        s = surf[2]
    else:   # a copy: the session's bn_task is shared by other tests and must not change
        task = dataclasses.replace(bn_task, bn_policy="eval" if which.endswith("eval") else "batch")
        pl = planes.random_plane(task, key=jax.random.key(8))
        s = compute_surface(task, pl, span=0.5, resolution=5)
        assert s.meta["bn_policy"] == task.bn_policy
    path = str(tmp_path / "s.npz")
    s.save(path)
    for i, j in [(0, 0), (1, 3), (len(s.alphas) - 1, 2)]:
        want = numpy_point_loss(path, float(s.alphas[i]), float(s.betas[j]))
        np.testing.assert_allclose(s.loss[i, j], want, rtol=2e-4)


def test_quadratic_toy_gives_the_analytic_paraboloid(rng):
    # A linear model with squared error is exactly quadratic in its weights:
    # L(a, b) = ||R0 + a·U + b·V||² / 2n with R0 = XW* − Y, U = X·D1, V = X·D2.
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.integers(0, 2, 40).astype(np.int32)
    d = data.Dataset("toy", x, y, x, y, 2)
    m = nets.mlp((4,), n_in=3, n_out=2, activation="linear", output="mse", init="xavier")
    task = training.task_from_params(m, d, np.asarray(m.init(key=jax.random.key(0))))
    pl = planes.random_plane(task, norm="none", ignore_biasbn=False, key=jax.random.key(1))
    s = compute_surface(task, pl, span=2.0, resolution=7)
    X = x.astype(np.float64)
    P, D1, D2 = (m.layout.unflatten(v.astype(np.float64)) for v in (task.theta, pl.d1, pl.d2))

    def out(Q):  # the network is linear: x·W0·W1 + b0·W1 + b1 -> expand around θ*
        return X @ Q["dense_0"]["w"] @ Q["dense_1"]["w"] + Q["dense_0"]["b"] @ Q["dense_1"]["w"] + Q["dense_1"]["b"]

    Y = np.eye(2)[y]
    for i, a in enumerate(s.alphas):
        for j, b in enumerate(s.betas):
            Q = m.layout.unflatten((task.theta + a * pl.d1 + b * pl.d2).astype(np.float64))
            want = 0.5 * np.mean(np.sum((out(Q) - Y) ** 2, 1))
            np.testing.assert_allclose(s.loss[i, j], want, rtol=1e-4)
    # and with one linear layer the surface is an exact paraboloid: second differences constant
    m1 = nets.mlp((2,), n_in=3, n_out=2, activation="linear", output="mse")
    t1 = training.task_from_params(m1, d, np.asarray(m1.init(key=jax.random.key(2))))
    # freeze the second layer: directions only on the first layer's weights
    p1 = planes.random_plane(t1, norm="none", key=jax.random.key(3))
    for v in (p1.d1, p1.d2):
        v[m1.layout.get("dense_1", "w").offset:] = 0
    s1 = compute_surface(t1, p1, span=1.0, resolution=5)
    d2a = np.diff(s1.loss.astype(np.float64), 2, axis=0)
    np.testing.assert_allclose(d2a, d2a[0, 0], rtol=1e-3)


def test_same_seed_same_surface_bit_for_bit(mlp_task):
    a = compute_surface(mlp_task, planes.random_plane(mlp_task, key=jax.random.key(4)), resolution=5)
    b = compute_surface(mlp_task, planes.random_plane(mlp_task, key=jax.random.key(4)), resolution=5)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)


_SHARD_SCRIPT = r"""
import sys, jax, numpy as np
from landscape.pipeline import LandscapeConfig, build_surface
cfg = LandscapeConfig(dataset="moons", n_samples=200, widths=(16, 16), train_steps=30, grid=11)
s, _ = build_surface(cfg, cache=False, progress=False)
assert len(jax.devices()) == int(sys.argv[2]), jax.devices()
np.save(sys.argv[1], np.stack([s.loss, s.accuracy]))
"""


def test_sharded_equals_unsharded(tmp_path):
    outs = []
    for n_dev in (1, 4):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_dev}",
                   JAX_PLATFORMS="cpu")
        f = str(tmp_path / f"{n_dev}.npy")
        subprocess.run([sys.executable, "-c", _SHARD_SCRIPT, f, str(n_dev)], check=True, env=env)
        outs.append(np.load(f))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_nonfinite_losses_are_kept_and_counted(tmp_path, small_digits):
    # a linear net with huge weights: logits overflow float32 away from the centre
    m = nets.mlp((64,) * 6, n_in=64, n_out=10, activation="linear", init="normal",
                   init_scale=1e4)
    task = training.train(m, small_digits, steps=0, key=jax.random.key(0))
    pl = planes.random_plane(task, key=jax.random.key(1))
    s = compute_surface(task, pl, span=20.0, resolution=5)
    bad = ~np.isfinite(s.loss)
    assert bad.any() and s.meta["n_nonfinite"] == bad.sum()
    summ = s.summary()
    finite = s.loss[np.isfinite(s.loss)]
    assert summ["max_loss"] is None if finite.size == 0 else summ["max_loss"] == float(finite.max())
    s.save(str(tmp_path / "x.npz"))
    s2 = Surface.load(str(tmp_path / "x.npz"))
    np.testing.assert_array_equal(np.isfinite(s2.loss), ~bad)


def test_custom_model_surface(small_digits):
    def apply_fn(p, x):
        return jnp.tanh(x @ p["a"]["w"]) @ p["b"]["w"]

    params = {"a": {"w": jax.random.normal(jax.random.key(0), (64, 8)) * 0.1},
              "b": {"w": jax.random.normal(jax.random.key(1), (8, 10)) * 0.1}}
    m = nets.from_apply_fn(apply_fn, params, small_digits.x[:1])
    task = training.task_from_params(m, small_digits, m.init(key=jax.random.key(0)))
    s = compute_surface(task, planes.random_plane(task, key=jax.random.key(2)), resolution=3)
    want = np.asarray(task.loss_fn()(jnp.asarray(task.theta), small_digits.x, small_digits.y)[0])
    np.testing.assert_allclose(s.loss[1, 1], want, rtol=1e-5)


def test_interpolate_hits_grid_values_and_is_bilinear(surf):
    s = surf[2]
    np.testing.assert_allclose(s.interpolate(np.array([s.alphas[2], s.betas[5]])), s.loss[2, 5], rtol=1e-6)
    mid = s.interpolate(np.array([(s.alphas[2] + s.alphas[3]) / 2, s.betas[5]]))
    np.testing.assert_allclose(mid, (s.loss[2, 5] + s.loss[3, 5]) / 2, rtol=1e-5)


@pytest.mark.parametrize("span,res,msg", [(0.0, 5, "span"), (float("nan"), 5, "span"),
                                          (-1.0, 5, "span"), (1.0, 1, "at least 2"),
                                          (1.0, 100_000, "too large")])
def test_bad_grid(span, res, msg):
    with pytest.raises(LandscapeError, match=msg):
        grid(span, res)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", None])
def test_load_rejects_unreadable_and_foreign_files(tmp_path, content):
    p = tmp_path / "bad.npz"
    if content is None:
        np.savez(p, something=np.zeros(3))  # a valid npz, but not ours
    else:
        p.write_bytes(content)
    with pytest.raises(LandscapeError, match="bad.npz"):
        Surface.load(str(p))
    with pytest.raises(LandscapeError, match="no such file"):
        Surface.load(str(tmp_path / "missing.npz"))


def test_save_is_atomic(tmp_path, surf, monkeypatch):
    s = surf[2]
    target = tmp_path / "s.npz"
    s.save(str(target))
    before = target.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        s.save(str(target))
    assert target.read_bytes() == before  # the old file untouched
    assert sorted(os.listdir(tmp_path)) == ["s.npz"]  # no temporary left behind


_MULTIHOST_SCRIPT = r"""
import sys, jax, numpy as np
pid, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid)
assert jax.process_count() == 2 and len(jax.devices()) == 2 and len(jax.local_devices()) == 1
from landscape.pipeline import LandscapeConfig, build_surface
cfg = LandscapeConfig(dataset="moons", n_samples=200, widths=(16, 16), train_steps=30, grid=11)
s, _ = build_surface(cfg, cache=False, progress=False)
np.save(out, np.stack([s.loss, s.accuracy]))
"""


def test_two_processes_split_the_grid_like_one(tmp_path):
    """`jax.distributed.initialize()` on two local CPU processes (one device each) gives the
    same surface as a single process: the multi-host path of compute_surface."""
    import socket

    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = str(sk.getsockname()[1])
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=1")
    procs = [subprocess.Popen([sys.executable, "-c", _MULTIHOST_SCRIPT, str(i), port,
                               str(tmp_path / f"p{i}.npy")], env=env) for i in (0, 1)]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    single = tmp_path / "single.npy"
    subprocess.run([sys.executable, "-c", _SHARD_SCRIPT, str(single), "1"], check=True, env=env)
    ref = np.load(single)
    for i in (0, 1):
        np.testing.assert_array_equal(np.load(tmp_path / f"p{i}.npy"), ref)


def test_numpy_recompute_with_the_evaluation_set_stored_by_hash(tmp_path, surf):
    """A file that stores its evaluation set by content hash: regenerate (here: the caller has
    the data), check the documented sha256 with hashlib, recompute a point with numpy alone."""
    import hashlib

    task, _, s = surf
    path = str(tmp_path / "h.npz")
    s.save(path, embed_eval=False)
    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    assert z["x_eval"].shape[0] == 0 and meta["eval_set"]["embedded"] is False
    x, y = task.data.x_eval.astype(np.float32), task.data.y_eval.astype(np.int32)
    h = hashlib.sha256()
    for a in (x, y):  # docs/FORMAT.md: dtype string and shape, then the raw bytes
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    assert h.hexdigest() == meta["eval_set"]["sha256"]
    full = str(tmp_path / "full.npz")
    np.savez(full, **{k: z[k] for k in z.files if k not in ("x_eval", "y_eval")}, x_eval=x, y_eval=y)
    np.testing.assert_allclose(s.loss[1, 6], numpy_point_loss(full, float(s.alphas[1]), float(s.betas[6])),
                               rtol=2e-4)
    # and the library regenerates or checks it the same way
    back = Surface.load(path)
    with pytest.raises(LandscapeError, match="does not match"):
        back.eval_data(x[:-1], y[:-1])
    np.testing.assert_array_equal(back.eval_data(x, y)[0], x)


def test_subset_file_regenerates_its_evaluation_set(tmp_path):
    from landscape.pipeline._build import build_surface
    from landscape.pipeline._config import LandscapeConfig
    from landscape.pipeline._restore import task_from_surface

    cfg = LandscapeConfig(dataset="moons", n_samples=300, widths=(8,), train_steps=10, grid=3,
                          eval_samples=50)
    s, _ = build_surface(cfg, cache=False, progress=False)
    assert s.meta["eval_set"]["subset"] == {"size": 50, "of": 300, "seed": 0}
    s.save(str(tmp_path / "s.npz"), embed_eval=False)
    t = task_from_surface(Surface.load(str(tmp_path / "s.npz")))  # regenerated and hash-checked
    np.testing.assert_array_equal(t.data.x_eval, s.x_eval)


def test_point_fn_agrees_with_the_grid(surf):
    from landscape.surface._compute import point_fn

    task, pl, s = surf
    f = jax.jit(point_fn(task, pl))
    l, a = np.asarray(f(jnp.asarray([s.alphas[2], s.betas[7]])))
    np.testing.assert_allclose(s.loss[2, 7], l, rtol=1e-5)
    np.testing.assert_allclose(s.accuracy[2, 7], a, rtol=1e-6)


def test_class_subset_file_regenerates_its_evaluation_set(tmp_path):
    """A surface of digits 5–9 stored without its evaluation set regenerates exactly those
    samples, relabelled as they were (not all ten classes)."""
    from landscape.pipeline._build import build_surface
    from landscape.pipeline._config import LandscapeConfig
    from landscape.pipeline._restore import task_from_surface

    cfg = LandscapeConfig(classes=(5, 6, 7, 8, 9), widths=(8,), train_steps=5, grid=3)
    s, _ = build_surface(cfg, cache=False, progress=False)
    s.save(str(tmp_path / "s.npz"), embed_eval=False)
    t = task_from_surface(Surface.load(str(tmp_path / "s.npz")))
    np.testing.assert_array_equal(t.data.x_eval, s.x_eval)
    np.testing.assert_array_equal(t.data.y_eval, s.y_eval)
    assert t.data.y_eval.max() == 4
