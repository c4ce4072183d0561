"""Saturation statistics against a plain numpy forward pass; the claim: a deep sigmoid network
at N(0, 1) has far more saturated units than at Xavier."""

import jax
import numpy as np
import pytest

from landscape import nets, training
from landscape.errors import LandscapeError
from landscape.measures._saturation import activation_stats, slope_max
from landscape.pipeline._config import LandscapeConfig


def numpy_sigmoid_layers(task):
    """Each hidden layer's z of a sigmoid MLP, numpy only."""
    P = task.model.layout.unflatten(task.theta.astype(np.float64))
    h = task.data.x_eval.astype(np.float64)
    zs = []
    for i in range(len(P) - 1):
        z = h @ P[f"dense_{i}"]["w"] + P[f"dense_{i}"]["b"]
        zs.append(z)
        h = 1 / (1 + np.exp(-z))
    return zs


def test_slope_maxima():
    assert slope_max("sigmoid") == pytest.approx(0.25, rel=1e-6)
    assert slope_max("tanh") == pytest.approx(1.0, rel=1e-6)
    assert slope_max("relu") == 1.0


@pytest.fixture(scope="module")
def deep():
    return {init: LandscapeConfig(widths=(32,) * 10, activation="sigmoid", init=init,
                                  train_steps=0).build_task() for init in ("normal", "xavier")}


def test_sigmoid_stats_equal_a_numpy_forward_pass(deep):
    for task in deep.values():
        st = activation_stats(task)
        zs = numpy_sigmoid_layers(task)
        assert st.layers == [f"dense_{i}" for i in range(10)] and st.n_samples == 1797
        for i, z in enumerate(zs):
            a = 1 / (1 + np.exp(-z))
            slow = a * (1 - a) < 0.1 * 0.25
            assert st.saturated[i] == pytest.approx(slow.mean(), abs=2e-4)
            assert st.dead[i] == pytest.approx(slow.all(0).mean(), abs=1e-9)
            np.testing.assert_allclose(st.values[i], np.percentile(a, st.percentiles), atol=2e-5)
            assert st.mean[i] == pytest.approx(a.mean(), abs=1e-5)


def test_saturated_fraction_higher_at_normal_than_xavier(deep):
    """Measured (seed 0, per layer): N(0,1) 0.13–0.60, mean 0.33, with up to a third of some
    layers' units dead; Xavier 0.007 in the first layer and 0 above."""
    n = activation_stats(deep["normal"])
    x = activation_stats(deep["xavier"])
    assert n.saturated.mean() > 0.15 and x.saturated.mean() < 0.02
    assert n.saturated.mean() > 5 * x.saturated.mean()
    assert n.dead.max() > 0 and x.dead.max() == 0


def test_dead_relu_units_counted_by_hand(small_digits):
    m = nets.mlp((8, 8), n_in=64, n_out=10, activation="relu", init="he")
    theta = np.array(m.init(key=jax.random.key(0)))
    p = m.layout.get("dense_1", "b")
    theta[p.offset + 3] = -1e4                          # unit 3 of layer 1 never fires
    task = training.task_from_params(m, small_digits, theta)
    st = activation_stats(task)
    P = m.layout.unflatten(theta.astype(np.float64))
    z0 = small_digits.x @ P["dense_0"]["w"] + P["dense_0"]["b"]
    z1 = np.maximum(z0, 0) @ P["dense_1"]["w"] + P["dense_1"]["b"]
    assert np.all(z1[:, 3] < 0)
    for i, z in enumerate((z0, z1)):
        assert st.saturated[i] == pytest.approx((z <= 0).mean(), abs=1e-6)
        assert st.dead[i] == pytest.approx((z <= 0).all(0).mean())
    assert st.dead[1] >= 1 / 8


def test_at_a_given_theta_and_cnn(mlp_task, small_digits):
    st0 = activation_stats(mlp_task, mlp_task.theta0)
    st1 = activation_stats(mlp_task)
    assert not np.allclose(st0.values, st1.values)
    assert st1.to_dict()["activation"] == "tanh"
    m = nets.cnn((4, 6), image_shape=(8, 8))
    t = training.task_from_params(m, small_digits, m.init(key=jax.random.key(0)))
    st = activation_stats(t)
    assert st.layers == ["conv_0", "conv_1"] and st.values.shape == (2, 5)
    with pytest.raises(LandscapeError, match="threshold"):
        activation_stats(t, threshold=1.5)
