"""First-layer features: each unit's incoming weights as an image, checked against the layout
by hand and against the first layer's own product with raw digit images."""

import jax
import numpy as np
import pytest

from landscape import nets
from landscape.errors import LandscapeError
from landscape.measures._features import first_layer_features


def test_mlp_units_as_8x8_images_by_hand():
    m = nets.mlp((5,), n_in=64, n_out=10)
    theta = np.zeros(m.n_params, np.float32)
    p = m.layout.get("dense_0", "w")
    W = np.zeros((64, 5), np.float32)
    for u in range(5):
        for i in range(8):
            for j in range(8):
                W[8 * i + j, u] = 100 * u + 10 * i + j
    theta[p.offset:p.stop] = W.ravel()
    F = first_layer_features(m, theta, (8, 8))
    assert F.shape == (5, 8, 8)
    assert F[3, 2, 7] == 327 and F[0, 7, 0] == 70


def test_features_are_what_the_first_layer_sees_in_an_image():
    from sklearn.datasets import load_digits

    d = load_digits()
    m = nets.mlp((6,), n_in=64, n_out=10)
    theta = np.asarray(m.init(key=jax.random.key(0)))
    F = first_layer_features(m, theta, (8, 8))
    x = d.data[:5].astype(np.float32)          # raw rows are images[k].ravel()
    z = np.asarray(m.first(theta, x))
    b = theta[m.layout.get("dense_0", "b").offset:][:6]
    want = np.einsum("kij,uij->ku", d.images[:5], F) + b
    np.testing.assert_allclose(z, want, rtol=1e-5, atol=1e-4)


def test_cnn_filters_by_convolution():
    m = nets.cnn((4, 6), image_shape=(8, 8))
    theta = np.asarray(m.init(key=jax.random.key(1)))
    F = first_layer_features(m, theta)
    assert F.shape == (4, 3, 3)
    x = np.random.default_rng(0).normal(size=(1, 64)).astype(np.float32)
    z = np.asarray(m.first(theta, x))                             # [1, 8, 8, 4], SAME padding
    img = x.reshape(8, 8)
    b = theta[m.layout.get("conv_0", "b").offset:][:4]
    for c in range(4):
        np.testing.assert_allclose(z[0, 3, 4, c], (img[2:5, 3:6] * F[c]).sum() + b[c], rtol=1e-5)


def test_feature_errors():
    m = nets.mlp((5,), n_in=2, n_out=2)
    with pytest.raises(LandscapeError, match="give the image shape"):
        first_layer_features(m, np.zeros(m.n_params), None)
    with pytest.raises(LandscapeError, match="entries"):
        first_layer_features(m, np.zeros(3), (1, 2))
