"""What the early layers learned: the first layer's incoming weights drawn as images.

On 8×8 digits each unit of an MLP's first layer has 64 incoming weights, one per pixel: reshaped
to 8×8 they show the pattern the unit responds to (at initialization, noise; after training, in
a network whose first layer learns, strokes). A CNN's first-layer filters are already images
(3×3 per input channel).
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError


def first_layer_features(model, theta, image_shape=None) -> np.ndarray:
    """The first layer's incoming weights per unit, as images.

    Args:
      model: a built-in MLP (its first layer is ``dense_0``, ``[n_in, units]``) or CNN
        (``conv_0``, ``[kh, kw, c_in, c_out]``).
      theta: float ``[P]``, any parameters of the model (θ*, a checkpoint, a ball's θ).
      image_shape: ``(h, w)`` of the input image, row-major as the data's features are laid
        out (MLP only; must have ``h·w = n_in``); a CNN's is in its spec.

    Returns:
      float32 ``[units, h, w]``: MLP, unit u's weight from pixel ``(i, j)`` at ``[u, i, j]``;
      CNN, ``[c_out, kh, kw]`` for one input channel (``[c_out, kh, kw, c_in]`` otherwise).
    """
    kind = model.spec.get("kind")
    theta = np.asarray(theta, np.float32).reshape(-1)
    if theta.size != model.n_params:
        raise LandscapeError(f"theta has {theta.size} entries, the model {model.n_params}")
    if kind == "cnn":
        p = model.layout.get("conv_0", "w")
        k = theta[p.offset:p.stop].reshape(p.shape)             # [kh, kw, c_in, c_out]
        k = np.moveaxis(k, -1, 0)                               # [c_out, kh, kw, c_in]
        return k[..., 0] if k.shape[-1] == 1 else k
    if kind != "mlp":
        raise LandscapeError(f"first-layer features need a built-in MLP or CNN, not {kind!r}")
    p = model.layout.get("dense_0", "w")
    n_in, units = p.shape
    if image_shape is None or int(np.prod(image_shape)) != n_in:
        raise LandscapeError(f"the first layer takes {n_in} inputs; give the image shape they "
                             f"form (got {image_shape}); only image data has features to draw")
    w = theta[p.offset:p.stop].reshape(n_in, units)
    return np.ascontiguousarray(w.T.reshape((units,) + tuple(int(s) for s in image_shape)))
