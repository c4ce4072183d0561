"""Sharpness: the top eigenvalue of the loss Hessian, by Lanczos iteration on exact
Hessian-vector products (forward-over-reverse, accumulated over the evaluation set in batches),
as PyHessian does.

* `top_eigenvalue(task, theta)`: λ_max of the full Hessian at θ.
* `layer_eigenvalues(task)`: λ_max of each layer's diagonal block (the Hessian restricted to that
  layer's weights and biases: ``H_LL v = m ⊙ H (m ⊙ v)``) at θ*.
* `sharpness_grid(task, plane, ...)`: λ_max over a coarse grid of a plane, compiled once (θ is an
  argument of the compiled program).

Lanczos runs ``iters`` steps with full reorthogonalization from a seeded random start; the
largest Ritz value of the tridiagonal matrix is returned (exact when ``iters`` ≥ the number of
parameters, and within a small relative error for the top eigenvalue after 20–30 steps).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from landscape.nets import sample_losses
from landscape.surface import split_eval
from landscape.training import Task


def hvp_program(task: Task, eval_batch: int | None = None):
    """``hvp(θ, v) -> H(θ) v`` on the whole evaluation set (jitted, θ an argument)."""
    model, policy = task.model, task.bn_policy
    stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in task.bn_stats] or None
    x, y = np.asarray(task.data.x_eval, np.float32), np.asarray(task.data.y_eval, np.int32)
    n = x.shape[0]
    eb = n if eval_batch is None or policy == "batch" else min(int(eval_batch), n)
    xb, yb, wb = (jnp.asarray(a) for a in split_eval(x, y, eb))

    def loss_sum(theta, xs, ys, ws):
        loss, _ = sample_losses(model.apply(theta, xs, stats, policy), ys, model.output)
        return jnp.sum(loss * ws) / n

    def hvp(theta, v):
        def body(acc, batch):
            g = lambda t: jax.grad(loss_sum)(t, *batch)
            return acc + jax.jvp(g, (theta,), (v,))[1], None
        return jax.lax.scan(body, jnp.zeros_like(theta), (xb, yb, wb))[0]

    return hvp


def lanczos_program(hvp, n_params: int, iters: int):
    """``f(θ, v0, mask) -> (alpha [m], beta [m])``: Lanczos on ``v -> mask·H(θ)(mask·v)``."""
    m = int(min(iters, n_params))

    def run(theta, v0, mask):
        def op(v):
            return mask * hvp(theta, mask * v)

        V = jnp.zeros((m, n_params), jnp.float32)
        v = mask * v0
        v = v / jnp.linalg.norm(v)

        def body(i, carry):
            V, v, v_prev, b_prev, alpha, beta = carry
            V = V.at[i].set(v)
            w = op(v) - b_prev * v_prev
            a = w @ v
            w = w - a * v
            w = w - V.T @ (V @ w)  # full reorthogonalization (V's unset rows are zero)
            w = w - V.T @ (V @ w)
            b = jnp.linalg.norm(w)
            v_next = jnp.where(b > 1e-10, w / jnp.maximum(b, 1e-30), jnp.zeros_like(w))
            return V, v_next, v, b, alpha.at[i].set(a), beta.at[i].set(b)

        init = (V, v, jnp.zeros_like(v), jnp.float32(0), jnp.zeros(m), jnp.zeros(m))
        _, _, _, _, alpha, beta = jax.lax.fori_loop(0, m, body, init)
        return alpha, beta

    return jax.jit(run), m


def ritz_top(alpha: np.ndarray, beta: np.ndarray) -> float:
    """Largest eigenvalue of the Lanczos tridiagonal matrix (steps after a breakdown dropped)."""
    alpha, beta = np.asarray(alpha, np.float64), np.asarray(beta, np.float64)
    k = len(alpha)
    stop = np.flatnonzero(beta[:-1] <= 1e-10 * max(1.0, np.abs(alpha).max()))
    if stop.size:
        k = int(stop[0]) + 1
    T = np.diag(alpha[:k]) + np.diag(beta[:k - 1], 1) + np.diag(beta[:k - 1], -1)
    return float(np.linalg.eigvalsh(T)[-1])


class Sharpness:
    """Top-eigenvalue computations for one task, compiled once for any θ and mask."""

    def __init__(self, task: Task, *, iters: int = 30, eval_batch: int | None = None, seed: int = 0):
        self.task = task
        P = task.model.n_params
        self.run, self.iters = lanczos_program(hvp_program(task, eval_batch), P, iters)
        self.v0 = jnp.asarray(np.random.default_rng(seed).standard_normal(P), jnp.float32)
        self.ones = jnp.ones(P, jnp.float32)

    def top(self, theta, mask=None) -> float:
        alpha, beta = self.run(jnp.asarray(theta, jnp.float32), self.v0,
                               self.ones if mask is None else jnp.asarray(mask, jnp.float32))
        return ritz_top(np.asarray(alpha), np.asarray(beta))

    def per_layer(self, theta=None) -> dict[str, float]:
        """λ_max of each layer's Hessian block at ``theta`` (default θ*), input → output."""
        theta = self.task.theta if theta is None else theta
        layout = self.task.model.layout
        out = {}
        for layer in layout.layers:
            mask = np.zeros(layout.size, np.float32)
            for p in layout.params:
                if p.layer == layer:
                    mask[p.offset:p.stop] = 1
            out[layer] = self.top(theta, mask)
        return out

    def grid(self, plane, alphas, betas, *, progress=None, events=None) -> np.ndarray:
        """λ_max at ``θ* + a·d1 + b·d2`` for every ``(a, b)`` of the grid ``alphas × betas``,
        reported as ``"sharpness"`` events (`landscape.progress`) to ``events`` and the bar."""
        from landscape.progress import with_bars

        th = np.asarray(self.task.theta, np.float64)
        out = np.zeros((len(alphas), len(betas)), np.float32)
        events = with_bars(events, progress)
        where = {"label": "sharpness", "total": out.size, "unit": "point"}
        events.start("sharpness", done=0, estimate=out.size * 0.2, **where)
        for i, a in enumerate(alphas):
            for j, b in enumerate(betas):
                out[i, j] = self.top(th + a * plane.d1 + b * plane.d2)
                events.advance("sharpness", done=i * len(betas) + j + 1, **where)
        events.end("sharpness", done=out.size, **where)
        return out


def sharpness(task: Task, theta=None, *, iters: int = 30, eval_batch: int | None = None,
              seed: int = 0) -> float:
    """λ_max, the top eigenvalue of the loss Hessian, at ``theta`` (default θ*), by Lanczos.
    For many points or per-layer values build one `Sharpness` and reuse its compiled program."""
    sh = Sharpness(task, iters=iters, eval_batch=eval_batch, seed=seed)
    return sh.top(task.theta if theta is None else theta)
