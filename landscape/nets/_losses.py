"""The losses every network is scored by: per-sample loss and correctness of logits against
integer labels, for each output kind (softmax, sigmoid, mse)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def sample_losses(logits, y, output: str):
    """Per-sample loss ``[n]`` (float) and correctness ``[n]`` (bool) of ``logits`` against
    integer labels ``y``.

    ``softmax``: cross-entropy (nats); ``sigmoid``: binary cross-entropy of one logit;
    ``mse``: half the squared error against one-hot targets, summed over outputs.

    Labels with a position axis (``y [n, seq]``, ``logits [n, seq, classes]``: the sequence
    tasks) score each sample by the mean over its positions: the per-position cross-entropy,
    and the share of positions predicted right (a float in [0, 1], not a bool).
    """
    if y.ndim == 2 and logits.ndim == 3:
        loss, correct = sample_losses(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), output)
        return (jnp.mean(loss.reshape(y.shape), -1),
                jnp.mean(correct.reshape(y.shape).astype(logits.dtype), -1))
    if output == "mse":
        # squared error against one-hot targets: quadratic in a linear model's weights
        target = jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
        return 0.5 * jnp.sum((logits - target) ** 2, -1), jnp.argmax(logits, -1) == y
    if output == "sigmoid":
        z = logits[..., 0]
        yf = y.astype(z.dtype)
        loss = jnp.maximum(z, 0) - z * yf + jnp.log1p(jnp.exp(-jnp.abs(z)))
        return loss, (z > 0) == (y == 1)
    logp = jax.nn.log_softmax(logits, axis=-1)
    loss = -jnp.take_along_axis(logp, y[:, None], axis=-1)[:, 0]
    return loss, jnp.argmax(logits, -1) == y


def loss_and_accuracy(logits, y, output: str):
    """Mean loss and accuracy of ``logits`` against integer labels ``y`` (see `sample_losses`)."""
    loss, correct = sample_losses(logits, y, output)
    return jnp.mean(loss), jnp.mean(correct)
