"""Flax linen, Flax NNX and Equinox models through the adapters, against the real libraries:
layer order input → output (Dense_10 after Dense_2), output axes per convention, filter norms
per output unit by hand, batch norm under both policies, and surfaces equal to an independent
per-point loop that calls the user's own apply function."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import landscape as ls
from landscape import planes, training
from landscape.errors import LandscapeError
from landscape.surface._compute import compute_surface

nn = pytest.importorskip("flax.linen")
nnx = pytest.importorskip("flax.nnx")
eqx = pytest.importorskip("equinox")


def xent(logits, y):
    logp = jax.nn.log_softmax(logits)
    return float(-jnp.mean(logp[jnp.arange(len(y)), y]))


# ---------------------------------------------------------------- the models

class LinenMLP(nn.Module):
    depth: int = 12

    @nn.compact
    def __call__(self, x):
        for _ in range(self.depth - 1):  # Dense_0 … Dense_10: alphabetical order would lie
            x = nn.tanh(nn.Dense(6)(x))
        return nn.Dense(10)(x)


class LinenCNN(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool = False):
        x = nn.Conv(4, (3, 3))(x)
        x = nn.BatchNorm(use_running_average=not train)(x)
        x = nn.relu(x)
        x = nn.Conv(6, (3, 3), strides=2)(x)
        return nn.Dense(10)(nn.relu(x).reshape(x.shape[0], -1))


class NNXMLP(nnx.Module):
    def __init__(self, rngs):
        self.layers = nnx.List([nnx.Linear(64, 8, rngs=rngs), nnx.Linear(8, 8, rngs=rngs),
                                nnx.Linear(8, 10, rngs=rngs)])
        self.bn = nnx.BatchNorm(8, rngs=rngs)

    def __call__(self, x):
        x = jnp.tanh(self.bn(self.layers[0](x)))
        x = jnp.tanh(self.layers[1](x))
        return self.layers[2](x)


class NNXCNN(nnx.Module):
    def __init__(self, rngs):
        self.conv = nnx.Conv(1, 4, (3, 3), rngs=rngs)
        self.head = nnx.Linear(8 * 8 * 4, 10, rngs=rngs)

    def __call__(self, x):
        h = jax.nn.relu(self.conv(x))
        return self.head(h.reshape(h.shape[0], -1))


class EqxCNN(eqx.Module):
    conv: eqx.nn.Conv2d
    bn: eqx.nn.BatchNorm
    head: eqx.nn.Linear

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.conv = eqx.nn.Conv2d(1, 4, 3, padding=1, key=k1)
        self.bn = eqx.nn.BatchNorm(4, axis_name="batch", mode="ema")
        self.head = eqx.nn.Linear(4 * 8 * 8, 10, key=k2)

    def __call__(self, x, state):
        h, state = self.bn(self.conv(x), state)
        return self.head(jax.nn.relu(h).reshape(-1)), state


@pytest.fixture(scope="module")
def digits(small_digits):
    return small_digits


def linen_mlp(d):
    mod = LinenMLP()
    v = mod.init(jax.random.key(0), d.x[:2])
    return ls.from_flax(mod, v, d.x[:2]), (lambda vv, x: mod.apply(vv, x)), v


def linen_cnn(d):
    mod = LinenCNN()
    xe = d.x[:2].reshape(-1, 8, 8, 1)
    v = mod.init(jax.random.key(0), xe)
    # running statistics unlike the defaults, so eval and batch policies differ
    v = {"params": v["params"], "batch_stats": jax.tree_util.tree_map(
        lambda a: a + 0.3, v["batch_stats"])}
    return (ls.from_flax(mod, v, xe, train_arg="train"),
            (lambda vv, x: mod.apply(vv, x.reshape(-1, 8, 8, 1), train=False)), v)


def eqx_mlp(d):
    m = eqx.nn.MLP(64, 10, 8, 3, activation=jnp.tanh, key=jax.random.key(0))
    return ls.from_equinox(m, d.x[:2]), None, m


def eqx_cnn(d):
    m, state = eqx.nn.make_with_state(EqxCNN)(jax.random.key(0))
    return ls.from_equinox(m, d.x[:2].reshape(-1, 1, 8, 8), state=state), None, (m, state)


def nnx_cnn(d):
    model = NNXCNN(nnx.Rngs(1))
    return ls.from_nnx(model, d.x[:2].reshape(-1, 8, 8, 1)), None, model


# ---------------------------------------------------------------- layer order and axes

def test_linen_layer_order_is_application_order(digits):
    m, _, _ = linen_mlp(digits)
    assert m.layers == tuple(f"Dense_{i}" for i in range(12))  # Dense_10 after Dense_9
    assert all(p.out_axis == 1 for p in m.layout.params if p.role == "weight")


def test_explicit_layer_order_and_bad_ones(digits):
    mod = LinenMLP(depth=3)
    v = mod.init(jax.random.key(0), digits.x[:2])
    m = ls.from_flax(mod, v, digits.x[:2], layer_order=["Dense_2", "Dense_1", "Dense_0"])
    assert m.layers == ("Dense_2", "Dense_1", "Dense_0")
    with pytest.raises(LandscapeError, match="missing 'Dense_2'"):
        ls.from_flax(mod, v, digits.x[:2], layer_order=["Dense_0", "Dense_1"])


@pytest.mark.parametrize("make,want", [
    (linen_cnn, {"Conv_0/kernel": 3, "Conv_1/kernel": 3, "Dense_0/kernel": 1}),
    (eqx_mlp, {f"layers/{i}/weight": 0 for i in range(4)}),
    (eqx_cnn, {"conv/weight": 0, "head/weight": 0}),
])
def test_output_axes_follow_each_convention(digits, make, want):
    m, _, _ = make(digits)
    got = {f"{p.layer}/{p.name}": p.out_axis for p in m.layout.params if p.role == "weight"}
    assert got == want
    assert m.layers[0] in ("Conv_0", "layers/0", "conv")


def test_nnx_order_axes_and_bn(digits):
    model = NNXMLP(nnx.Rngs(0))
    m = ls.from_nnx(model, digits.x[:2])
    assert m.layers == ("layers/0", "bn", "layers/1", "layers/2")
    assert [p.out_axis for p in m.layout.params if p.role == "weight"] == [1, 1, 1]
    assert m.n_bn == 1
    c = ls.from_nnx(NNXCNN(nnx.Rngs(1)), digits.x[:2].reshape(-1, 8, 8, 1))
    assert c.layers == ("conv", "head") and c.layout.get("conv", "kernel").out_axis == 3


@pytest.mark.parametrize("make", [linen_mlp, linen_cnn, nnx_cnn, eqx_mlp, eqx_cnn])
def test_filter_norms_per_output_unit_by_hand(digits, make):
    m, _, _ = make(digits)
    task = training.task_from_params(m, digits, m.init(key=jax.random.key(0)), bn_policy="eval")
    pl = planes.random_plane(task, key=jax.random.key(4))
    for p in m.layout.params:
        if p.role != "weight":
            continue
        d = pl.d1[p.offset:p.stop].reshape(p.shape)
        t = task.theta[p.offset:p.stop].reshape(p.shape)
        for unit in range(p.shape[p.out_axis]):  # one output unit at a time, by hand
            du = np.take(d, unit, axis=p.out_axis)
            tu = np.take(t, unit, axis=p.out_axis)
            np.testing.assert_allclose(np.linalg.norm(du), np.linalg.norm(tu), rtol=1e-5)


def test_ambiguous_output_axis_and_unused_leaf_are_errors(digits):
    def apply_fn(p, x):
        w = p["a"]["w"] * 1.0  # first used by a multiply: which axis is the output?
        return x @ w

    params = {"a": {"w": jnp.ones((64, 10))}}
    with pytest.raises(LandscapeError, match="output axis of weight 'a/w'.*out_axes"):
        ls.from_apply_fn(apply_fn, params, digits.x[:1])
    m = ls.from_apply_fn(apply_fn, params, digits.x[:1], out_axes={"a/w": 1})
    assert m.layout.params[0].out_axis == 1
    both = {"a": {"w": jnp.ones((64, 5))}, "b": {"w": jnp.ones((64, 5))}}
    with pytest.raises(LandscapeError, match="'a' and 'b' are first used by the same operation"):
        ls.from_apply_fn(lambda p, x: x @ jnp.concatenate([p["a"]["w"], p["b"]["w"]], 1), both,
                         digits.x[:1])
    unused = {"a": {"w": jnp.ones((64, 10))}, "z": {"w": jnp.ones((3, 3))}}
    with pytest.raises(LandscapeError, match="'z/w' is never used.*layer_order"):
        ls.from_apply_fn(lambda p, x: x @ p["a"]["w"], unused, digits.x[:1])


def test_flax_batch_stats_need_train_arg(digits):
    mod = LinenCNN()
    v = mod.init(jax.random.key(0), digits.x[:2].reshape(-1, 8, 8, 1))
    with pytest.raises(LandscapeError, match="train_arg"):
        ls.from_flax(mod, v, digits.x[:2].reshape(-1, 8, 8, 1))


# ---------------------------------------------------------------- surfaces vs the user's apply

def user_loss(kind, obj, theta, m, x, y, policy):
    """The loss at θ computed by the user's own library call: the params tree rebuilt leaf by
    leaf from the layout (by name, not through the adapter's own unflattening)."""
    def leaf(path_keys):
        layer, name = "/".join(path_keys[:-1]), path_keys[-1]
        p = m.layout.get(layer, name)
        return jnp.asarray(theta[p.offset:p.stop].reshape(p.shape))

    from landscape.nets._adapters import path_keys

    if kind == "linen":
        v = obj
        params = jax.tree_util.tree_map_with_path(lambda k, _: leaf(path_keys(k)), v["params"])
        vv = {**v, "params": params}
        mod = LinenCNN() if "batch_stats" in v else LinenMLP()
        if "batch_stats" in v:
            xi = x.reshape(-1, 8, 8, 1)
            logits = (mod.apply(vv, xi, train=False) if policy == "eval" else
                      mod.apply(vv, xi, train=True, mutable=["batch_stats"])[0])
        else:
            logits = mod.apply(vv, x)
        return xent(logits, y)
    model, state = obj if isinstance(obj, tuple) else (obj, None)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    params = jax.tree_util.tree_map_with_path(lambda k, _: leaf(path_keys(k)), params)
    mm = eqx.combine(params, static)
    if state is None:
        return xent(jax.vmap(mm)(x), y)
    mm = eqx.nn.inference_mode(mm, value=policy == "eval")
    out, _ = jax.vmap(mm, axis_name="batch", in_axes=(0, None), out_axes=(0, None))(
        x.reshape(-1, 1, 8, 8), state)
    return xent(out, y)


@pytest.mark.parametrize("kind,make,policy", [("linen", linen_mlp, "eval"),
                                              ("linen", linen_cnn, "eval"),
                                              ("linen", linen_cnn, "batch"),
                                              ("eqx", eqx_mlp, "eval"),
                                              ("eqx", eqx_cnn, "eval"),
                                              ("eqx", eqx_cnn, "batch")])
def test_surface_matches_a_per_point_loop_of_the_users_apply(digits, kind, make, policy):
    m, _, obj = make(digits)
    task = training.task_from_params(m, digits, m.init(key=jax.random.key(0)), bn_policy=policy)
    pl = planes.random_plane(task, key=jax.random.key(5))
    s = compute_surface(task, pl, span=0.6, resolution=3, progress=False)
    for i, j in [(0, 0), (1, 1), (2, 0)]:
        th = task.theta + s.alphas[i] * pl.d1 + s.betas[j] * pl.d2
        want = user_loss(kind, obj, th, m, jnp.asarray(digits.x), jnp.asarray(digits.y), policy)
        np.testing.assert_allclose(s.loss[i, j], want, rtol=2e-5)


@pytest.mark.parametrize("policy", ["eval", "batch"])
def test_nnx_surface_matches_the_models_own_call(digits, policy):
    model = NNXMLP(nnx.Rngs(0))
    model.bn.mean[...] = model.bn.mean[...] + 0.2  # running statistics unlike the batch's
    m = ls.from_nnx(model, digits.x[:2])
    task = training.task_from_params(m, digits, m.init(key=jax.random.key(0)), bn_policy=policy)
    pl = planes.random_plane(task, key=jax.random.key(6))
    s = compute_surface(task, pl, span=0.6, resolution=3, progress=False)
    for i, j in [(0, 2), (2, 2)]:
        th = task.theta + s.alphas[i] * pl.d1 + s.betas[j] * pl.d2
        g, params, rest = nnx.split(model, nnx.Param, ...)
        from landscape.nets._adapters import path_keys

        def leaf(k, _):
            ks = [k for k in path_keys(k) if k != "value"]
            p = m.layout.get("/".join(ks[:-1]), ks[-1])
            return jnp.asarray(th[p.offset:p.stop].reshape(p.shape))

        mm = nnx.merge(g, jax.tree_util.tree_map_with_path(leaf, params), rest)
        mm.eval() if policy == "eval" else mm.train()
        np.testing.assert_allclose(s.loss[i, j], xent(mm(jnp.asarray(digits.x)), digits.y), rtol=2e-5)


def test_dataset_that_does_not_fit_the_model_is_one_error(digits):
    m, _, _ = eqx_mlp(digits)
    import landscape.data as data_mod

    d = data_mod.load("moons", n=32)
    with pytest.raises(LandscapeError, match=r"inputs of shape \(64,\).*moons has 2 features"):
        training.task_from_params(m, d, m.init(key=None))
