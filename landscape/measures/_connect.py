"""Mode connectivity (Garipov et al. 2018): a quadratic Bézier curve between two minima,

    φ(t) = (1 − t)²·θA + 2t(1 − t)·θC + t²·θB,    t ∈ [0, 1],

whose bend θC is trained to minimize the expected loss along the curve, E_t L(φ(t)) (t uniform;
the gradient reaches θC through the weight 2t(1 − t)). The curve lies in the plane through θA,
θB and θC, so the straight line, the curve and a surface of that plane all come from the surface
engine, exactly.

Plane coordinates: origin θA, ``d1 = θB − θA`` (B at (1, 0)), ``d2`` the part of ``θC − θA``
orthogonal to d1, scaled to d1's norm; the bend sits at ``meta["points"]["bend"]``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscape.errors import LandscapeError
from landscape.measures._line import evaluate_path
from landscape.nets import loss_and_accuracy
from landscape.planes import Plane
from landscape.training import Task


@dataclasses.dataclass(eq=False)
class Curve:
    """A trained Bézier curve: the two ends, the bend and the training loss of the bend."""

    theta_a: np.ndarray
    theta_b: np.ndarray
    bend: np.ndarray
    train_loss: np.ndarray

    def at(self, t) -> np.ndarray:
        t = np.asarray(t, np.float64)[..., None]
        return ((1 - t) ** 2 * self.theta_a + 2 * t * (1 - t) * self.bend + t ** 2 * self.theta_b)

    def plane(self) -> tuple[Plane, dict]:
        """The plane through the three points and the (a, b) of each."""
        A, B, C = (np.asarray(v, np.float64) for v in (self.theta_a, self.theta_b, self.bend))
        d1 = B - A
        n1 = float(d1 @ d1)
        if n1 == 0:
            raise LandscapeError("the two ends are the same point: there is no curve to show")
        w = C - A
        a_c = float(w @ d1) / n1
        d2 = w - a_c * d1
        n2 = float(np.linalg.norm(d2))
        d2 = d2 * (np.sqrt(n1) / n2) if n2 > 0 else np.zeros_like(d2)
        b_c = n2 / np.sqrt(n1) if n2 > 0 else 0.0
        pts = {"A": [0.0, 0.0], "B": [1.0, 0.0], "bend": [a_c, b_c]}
        return Plane(d1.astype(np.float32), d2.astype(np.float32), "bezier", "none",
                     {"points": pts}), pts

    def coordinates(self, t) -> np.ndarray:
        """(a, b) of φ(t) in `plane`'s coordinates: ``(t² + 2t(1−t)·a_C, 2t(1−t)·b_C)``."""
        _, pts = self.plane()
        t = np.asarray(t, np.float64)
        w = 2 * t * (1 - t)
        return np.stack([t ** 2 + w * pts["bend"][0], w * pts["bend"][1]], -1).astype(np.float32)


def check_same_shape(a: Task, b: Task) -> None:
    la, lb = a.model.layout, b.model.layout
    sa = [(p.layer, p.name, p.shape) for p in la.params]
    sb = [(p.layer, p.name, p.shape) for p in lb.params]
    if sa != sb:
        diff = next(((x, y) for x, y in zip(sa, sb) if x != y), None)
        where = (f"{diff[0][0]}.{diff[0][1]} is {diff[0][2]} in A and {diff[1][0]}.{diff[1][1]} "
                 f"{diff[1][2]} in B") if diff else f"{len(sa)} against {len(sb)} parameter arrays"
        raise LandscapeError(f"cannot connect models of different shapes ({la.size:,} and "
                             f"{lb.size:,} parameters; {where})")


def fit_bend(task: Task, theta_a, theta_b, *, steps: int = 300, lr: float = 1e-2,
             batch_size: int | None = 128, t_per_step: int = 4, quadrature: bool = False,
             key) -> Curve:
    """Train the bend of the Bézier curve between ``theta_a`` and ``theta_b`` on ``task``'s
    training data (Adam). Each step averages the loss at ``t_per_step`` values of t drawn
    stratified-uniformly in [0, 1]; ``quadrature=True`` uses Gauss–Legendre nodes and weights
    instead (the exact expectation for a polynomial loss, as in the tests). The bend starts at
    the midpoint."""
    A = jnp.asarray(theta_a, jnp.float32)
    B = jnp.asarray(theta_b, jnp.float32)
    if A.shape != B.shape:
        raise LandscapeError(f"cannot connect models of different shapes ({A.size:,} and "
                             f"{B.size:,} parameters)")
    if steps < 1:
        raise LandscapeError(f"the bend needs at least 1 training step, got {steps}")
    model, d = task.model, task.data
    x, y = jnp.asarray(d.x), jnp.asarray(d.y)
    n = d.n
    bs = n if batch_size is None or batch_size >= n else int(batch_size)
    nodes, weights = np.polynomial.legendre.leggauss(t_per_step)
    gl_t = jnp.asarray((nodes + 1) / 2, jnp.float32)
    gl_w = jnp.asarray(weights / 2, jnp.float32)
    tx = optax.adam(lr)

    def curve_loss(C, xb, yb, ts, ws):
        def at(t):
            th = (1 - t) ** 2 * A + 2 * t * (1 - t) * C + t ** 2 * B
            return loss_and_accuracy(model.apply(th, xb, None, "batch"), yb, model.output)[0]
        return jnp.sum(ws * jax.vmap(at)(ts))

    def step(carry, k):
        C, opt = carry
        kb, kt = jax.random.split(k)
        if bs == n:
            xb, yb = x, y
        else:
            idx = jax.random.randint(kb, (bs,), 0, n)
            xb, yb = x[idx], y[idx]
        if quadrature:
            ts, ws = gl_t, gl_w
        else:
            ts = (jnp.arange(t_per_step) + jax.random.uniform(kt, (t_per_step,))) / t_per_step
            ws = jnp.full(t_per_step, 1.0 / t_per_step)
        loss, g = jax.value_and_grad(curve_loss)(C, xb, yb, ts, ws)
        upd, opt = tx.update(g, opt, C)
        return (optax.apply_updates(C, upd), opt), loss

    C0 = (A + B) / 2
    (C, _), losses = jax.jit(lambda c, ks: jax.lax.scan(step, c, ks))(
        (C0, tx.init(C0)), jax.random.split(key, steps))
    return Curve(np.asarray(A), np.asarray(B), np.asarray(C), np.asarray(losses))


def compare(task: Task, curve: Curve, *, points: int = 61) -> dict:
    """Loss and accuracy at ``points`` values of t along the straight line θA → θB and along the
    curve, exact on the whole evaluation set."""
    plane, pts = curve.plane()
    t = np.linspace(0, 1, int(points), dtype=np.float32)
    straight = np.stack([t, np.zeros_like(t)], 1)
    bent = curve.coordinates(t)
    out = evaluate_path(task, curve.theta_a, plane.d1, plane.d2, np.concatenate([straight, bent]))
    k = t.size
    return {"t": t, "line_loss": out[:k, 0], "line_accuracy": out[:k, 1],
            "curve_loss": out[k:, 0], "curve_accuracy": out[k:, 1], "points": pts}
