"""A hand-written MLP loss, independent of `landscape.nets` and `landscape.balls._stacked`: plain
jnp matmuls on parameters cut from θ by its layout, and each output kind's loss written out
from its definition. The tests check both measures against it."""

import jax
import jax.numpy as jnp
import numpy as np

ACTS = {"relu": lambda v: jnp.maximum(v, 0.0), "tanh": jnp.tanh,
        "sigmoid": lambda v: 1.0 / (1.0 + jnp.exp(-v)), "linear": lambda v: v}


def logits(spec, layout, theta, x, stats=None, policy="eval"):
    """The MLP of ``spec`` at flat ``theta`` on ``x``; batch norm uses ``stats`` (eval) or the
    batch's own mean and biased variance (batch)."""
    P = {}
    for p in layout.params:
        P.setdefault(p.layer, {})[p.name] = theta[p.offset:p.stop].reshape(p.shape)
    n_layers = len(spec["widths"]) + 1
    h = x
    for i in range(n_layers):
        L = P[f"dense_{i}"]
        z = h @ L["w"] + L["b"]
        if i == n_layers - 1:
            return z
        if spec["batchnorm"]:
            mu, var = (stats[i] if policy == "eval" else (z.mean(0), ((z - z.mean(0)) ** 2).mean(0)))
            z = (z - mu) / jnp.sqrt(var + 1e-5) * L["bn_scale"] + L["bn_shift"]
        new = ACTS[spec["activation"]](z)
        if spec["skip"] and i > 0 and new.shape[1] == h.shape[1]:
            new = new + h
        h = new


def loss(spec, z, y):
    """Mean loss of logits ``z`` for labels ``y``, from each output kind's definition."""
    if spec["output"] == "sigmoid":
        p = 1.0 / (1.0 + jnp.exp(-z[:, 0]))
        return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))
    onehot = (y[:, None] == jnp.arange(z.shape[1])[None]).astype(z.dtype)
    if spec["output"] == "mse":
        return 0.5 * jnp.mean(jnp.sum((z - onehot) ** 2, 1))
    zmax = z.max(1, keepdims=True)
    logp = z - zmax - jnp.log(jnp.sum(jnp.exp(z - zmax), 1, keepdims=True))
    return -jnp.mean(jnp.sum(onehot * logp, 1))


def theta_loss_fn(task):
    """``f(θ, x, y) -> loss`` of the task's network, written by hand."""
    spec, layout = task.model.spec, task.model.layout
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats]

    def f(theta, x, y):
        return loss(spec, logits(spec, layout, theta, x, stats, task.bn_policy), y)

    return f


def ball(task, plane, ab, rows=None, clip=None):
    """Loss, plane gradient (with the weight-space gradient clipped as optax would clip it:
    ``clip = (norm or None, value or None)``) and ∇θL of one ball at ``ab`` on ``rows``."""
    f = theta_loss_fn(task)
    x, y = np.asarray(task.data.x_eval), np.asarray(task.data.y_eval)
    if rows is not None:
        x, y = x[rows], y[rows]
    th = (np.asarray(task.theta, np.float64) + ab[0] * plane.d1 + ab[1] * plane.d2)
    th = jnp.asarray(th, jnp.float32)
    l, g = jax.value_and_grad(f)(th, jnp.asarray(x), jnp.asarray(y))
    g = np.asarray(g, np.float64)
    gc = g.copy()
    if clip is not None:
        c_norm, c_value = clip
        norm = np.sqrt(np.sum(g * g))
        if c_norm is not None and norm >= c_norm:
            gc = gc / norm * c_norm
        if c_value is not None:
            gc = np.clip(gc, -c_value, c_value)
    gab = np.array([gc @ plane.d1, gc @ plane.d2])
    return float(l), gab, g
