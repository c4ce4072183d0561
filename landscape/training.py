"""Train a network to a minimizer θ* with optax, keeping checkpoints along the way.

A `Task` is everything later stages need: the model, the data, θ*, the batch-norm statistics
frozen at θ*, the policy the surface uses for batch norm, and the training path (checkpoints
for PCA directions and true training trajectories).

Training also records, at every step and inside the compiled loop, how fast each layer learns
(Nielsen, *Neural Networks and Deep Learning*, ch. 5): the norm of each layer's weight gradient
on that step's minibatch, and the relative change of its weights, ``‖ΔW_l‖ / ‖W_l‖``. Training
can start from given parameters (``init_theta``: transfer learning) and hold chosen layers fixed
(``frozen_layers``: their weights never change, to the last bit).
"""

from __future__ import annotations

import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscape import optimizers
from landscape.data import Dataset
from landscape.errors import LandscapeError, choice
from landscape.files import key_list
from landscape.nets import (
    Model,
    layer_mask,
    loss_and_accuracy,
    resolve_layers,
    weight_layers,
)
from landscape.progress import with_bars

TRAIN_OPTIMIZERS = optimizers.TRAIN_OPTIMIZERS   # the one table: landscape.optimizers
BN_POLICIES = ("eval", "batch")


@dataclasses.dataclass(eq=False, kw_only=True)
class Task:
    """A trained network on its data.

    Attributes:
      model, data: what was trained on what.
      theta: θ*, float32 ``[P]``.
      theta0: the initialization, float32 ``[P]``.
      bn_stats: per batch-norm layer ``(mean, var)`` on the full training set at θ*.
      bn_policy: ``"eval"`` (statistics frozen at θ*) or ``"batch"`` (statistics of the data
        evaluated) — how batch norm behaves at every point of the plane.
      checkpoints: float32 ``[K, P]``, θ along training (the last one is θ*).
      checkpoint_steps: int ``[K]``, the step of each checkpoint.
      train_loss: float32 ``[steps]``, the minibatch loss at each step.
      config: how it was trained (optimizer, lr, steps, batch size, seed, frozen layers).
      grad_norms: float32 ``[steps, L]``, at each step the L2 norm of each layer's weight
        gradient on that step's minibatch (the gradient the optimizer was given), layers as
        in `record_layers`; ``None`` when the task was not trained here.
      weight_change: float32 ``[steps, L]``, each layer's ``‖W_l(t+1) − W_l(t)‖ / ‖W_l(t)‖``
        (weights only; 0 for a frozen layer); ``None`` likewise.
    """

    model: Model
    data: Dataset
    theta: np.ndarray
    theta0: np.ndarray
    bn_stats: list
    bn_policy: str
    checkpoints: np.ndarray
    checkpoint_steps: np.ndarray
    train_loss: np.ndarray
    config: dict
    seconds: float = 0.0
    grad_norms: np.ndarray | None = None
    weight_change: np.ndarray | None = None

    @property
    def record_layers(self) -> list[str]:
        """The layers of `grad_norms` and `weight_change` (those with weights), input → output."""
        return weight_layers(self.model.layout)

    def records(self, max_rows: int = 256) -> dict | None:
        """The per-step learning-speed records as JSON values, thinned to at most ``max_rows``
        evenly spread steps (first and last kept): ``{"layers", "steps", "grad_norms",
        "weight_change"}``; ``None`` when there are none. Row i is training step ``steps[i]``:
        the gradient at θ_i and the change θ_i → θ_{i+1}."""
        if self.grad_norms is None or len(self.grad_norms) == 0:
            return None
        n = len(self.grad_norms)
        rows = np.unique(np.linspace(0, n - 1, min(n, int(max_rows))).round().astype(int))
        return {"layers": list(self.record_layers), "steps": rows.tolist(),
                "grad_norms": self.grad_norms[rows].tolist(),
                "weight_change": self.weight_change[rows].tolist()}

    def at(self, theta) -> "Task":
        """This task moved to parameters ``theta`` (float ``[P]``), with batch-norm statistics
        recomputed there on the training data, as training computes them for θ*."""
        theta = np.asarray(theta, np.float32).reshape(-1)
        bn = [(np.asarray(m), np.asarray(v)) for m, v in
              self.model.bn_statistics(theta, jnp.asarray(self.data.x))]
        return dataclasses.replace(self, theta=theta, bn_stats=bn)

    def loss_fn(self):
        """``f(θ, x, y) -> (loss, accuracy)`` under this task's batch-norm policy (jittable)."""
        model, policy = self.model, self.bn_policy
        stats = [(jnp.asarray(m), jnp.asarray(v)) for m, v in self.bn_stats] or None

        def f(theta, x, y):
            return loss_and_accuracy(model.apply(theta, x, stats, policy), y, model.output)

        return f

    def evaluate(self, theta=None) -> tuple[float, float]:
        """Loss and accuracy on the whole evaluation set at ``theta`` (default θ*)."""
        theta = self.theta if theta is None else theta
        l, a = jax.jit(self.loss_fn())(jnp.asarray(theta), self.data.x_eval, self.data.y_eval)
        return float(l), float(a)


def train(model: Model, data: Dataset, *, steps: int = 500, lr: float = 1e-2,
          optimizer: str = "adam", batch_size: int | None = 128, n_checkpoints: int = 20,
          bn_policy: str = "eval", progress: bool | None = None, init_theta=None,
          frozen_layers=(), key) -> Task:
    """Train ``model`` on ``data`` with optax and return the `Task` at θ*.

    ``batch_size=None`` (or at least the data size) trains full-batch. ``steps=0`` returns
    the initialization as θ* (useful to look at an untrained network's landscape).
    Minibatches are drawn uniformly with replacement from a key derived from ``key``.
    ``progress``: a progress bar with an ETA (default: only on a terminal, when the rest of
    training is estimated at over ~2 s).
    ``init_theta``: start from these parameters (float ``[P]``) instead of ``model.init``
    (the minibatches are the same either way). ``frozen_layers``: layers (indices or names,
    see `landscape.nets._layers.resolve_layers`) whose parameters — weights, biases, batch norm —
    are never updated: their updates are replaced by exact zeros.
    """
    _check_options(model, data, steps=steps, lr=lr, optimizer=optimizer, bn_policy=bn_policy)
    t0 = time.perf_counter()
    k_init, k_batch = jax.random.split(key)
    theta0 = _start(model, init_theta, k_init)
    frozen = _frozen_names(model, frozen_layers)
    trainable = jnp.asarray(~layer_mask(model.layout, frozen)) if frozen else None
    bs = _batch_size(data.n, batch_size)
    tx = optimizers.make(optimizer, lr)
    run = jax.jit(lambda carry, keys: jax.lax.scan(
        _step_fn(model, data, tx, bs, trainable), carry, keys))
    rec = _run_segments(run, (theta0, tx.init(theta0)), jax.random.split(k_batch, max(steps, 1)),
                        steps=steps, n_checkpoints=n_checkpoints, progress=progress)
    theta = np.asarray(rec["theta"], np.float32)
    bn_stats = [(np.asarray(m), np.asarray(v))
                for m, v in model.bn_statistics(theta, jnp.asarray(data.x))]
    cfg = {"optimizer": optimizer, "lr": float(lr), "steps": int(steps), "batch_size": int(bs),
           "seed": key_list(key)}
    if init_theta is not None:
        cfg["init"] = "given"
    if frozen:
        cfg["frozen_layers"] = list(frozen)
    L = len(weight_layers(model.layout))
    cat = lambda parts: (np.concatenate(parts) if parts else np.zeros((0, L))).astype(np.float32)
    return Task(model=model, data=data, theta=theta, theta0=np.asarray(theta0, np.float32),
                bn_stats=bn_stats, bn_policy=bn_policy,
                checkpoints=np.stack(rec["checkpoints"]).astype(np.float32),
                checkpoint_steps=np.asarray(rec["checkpoint_steps"]),
                train_loss=np.concatenate(rec["loss"]) if rec["loss"] else np.zeros(0, np.float32),
                config=cfg, seconds=time.perf_counter() - t0, grad_norms=cat(rec["grad_norms"]),
                weight_change=cat(rec["weight_change"]))


def _check_options(model: Model, data: Dataset, *, steps, lr, optimizer, bn_policy) -> None:
    choice("optimizer", optimizer, TRAIN_OPTIMIZERS)
    choice("batch-norm policy", bn_policy, BN_POLICIES)
    if steps < 0:
        raise LandscapeError(f"training steps must be 0 or more, got {steps}")
    if not (math.isfinite(lr) and lr > 0):
        raise LandscapeError(f"learning rate must be a positive number, got {lr}")
    _check_shapes(model, data)


def _start(model: Model, init_theta, k_init) -> jax.Array:
    """θ at step 0: ``model.init`` or the given ``init_theta`` (checked)."""
    if init_theta is None:
        return model.init(key=k_init)
    theta0 = jnp.asarray(np.asarray(init_theta, np.float32).reshape(-1))
    if theta0.size != model.n_params or not bool(jnp.all(jnp.isfinite(theta0))):
        raise LandscapeError(f"init_theta must be {model.n_params} finite numbers, "
                             f"got {theta0.size}")
    return theta0


def _frozen_names(model: Model, frozen_layers) -> tuple[str, ...]:
    if frozen_layers is None or len(frozen_layers) == 0:
        return ()
    return tuple(weight_layers(model.layout)[i] for i in resolve_layers(model.layout, frozen_layers))


def _batch_size(n: int, batch_size: int | None) -> int:
    bs = n if batch_size is None or batch_size >= n else int(batch_size)
    if bs < 1:
        raise LandscapeError(f"batch size must be at least 1, got {batch_size}")
    return bs


def _step_fn(model: Model, data: Dataset, tx, bs: int, trainable):
    """One optimizer step for `jax.lax.scan`: ``((θ, opt), key) -> ((θ', opt'), (loss,
    per-layer weight-gradient norm [L], per-layer relative weight change [L]))``. The norms
    are overflow-safe (`_layer_norms`; the balls use `segment_norms`): a 1e20 gradient has a
    finite norm."""
    names, seg = model.layout.segments(("weight",))
    L = len(names)
    seg = jnp.asarray(np.where(seg < 0, L, seg))
    x, y = jnp.asarray(data.x), jnp.asarray(data.y)
    n = data.n

    def batch_loss(theta, xb, yb):
        return loss_and_accuracy(model.apply(theta, xb, None, "batch"), yb, model.output)[0]

    def step(carry, k):
        theta, opt = carry
        if bs == n:
            xb, yb = x, y
        else:
            idx = jax.random.randint(k, (bs,), 0, n)
            xb, yb = x[idx], y[idx]
        loss, g = jax.value_and_grad(batch_loss)(theta, xb, yb)
        upd, opt = tx.update(g, opt, theta)
        if trainable is not None:
            upd = jnp.where(trainable, upd, 0.0)
        new = optax.apply_updates(theta, upd)
        gnorm = _layer_norms(g, seg, L)
        change = _layer_norms(new - theta, seg, L) / jnp.maximum(_layer_norms(theta, seg, L),
                                                                 1e-15)
        return (new, opt), (loss, gnorm, change)

    return step


_BIG = 2.0 ** 64  # 1e20 / 2^64 ≈ 5: a 1e20 gradient's squares fit in float32 after scaling


def _layer_norms(v, seg, L: int):
    """Per-layer L2 norms of ``v [P]``: the plain sum of squares where it is finite, else that
    of ``v / 2^64`` times 2^64 (a finite gradient of 1e20 has a finite norm); ``+inf`` where
    ``v`` is not finite. Same as `segment_norms` up to float32 rounding, but its plain part is
    the computation training always did, so measuring leaves the trained θ bit for bit the
    same (a data-dependent scale changes how XLA fuses the step)."""
    per_layer = lambda w: jax.ops.segment_sum(w * w, seg, num_segments=L + 1)[:L]
    plain = jnp.sqrt(per_layer(v))
    scaled = jnp.sqrt(per_layer(v / _BIG)) * _BIG
    n = jnp.where(jnp.isfinite(plain), plain, scaled)
    return jnp.where(jnp.isfinite(n), n, jnp.inf)


def _run_segments(run, carry, keys, *, steps: int, n_checkpoints: int, progress) -> dict:
    """Run the compiled loop between checkpoints, with a progress bar after the first
    segment (it estimates the rest); returns θ at the end and the per-segment records."""
    n_ck = max(1, min(n_checkpoints, steps)) if steps else 1
    bounds = np.unique(np.linspace(0, steps, n_ck + 1).round().astype(int))
    rec = {"checkpoints": [np.asarray(carry[0])], "checkpoint_steps": [0], "loss": [],
           "grad_norms": [], "weight_change": []}
    events = with_bars(None, progress)    # the bar is a listener of the "training" phase
    started = False
    for k, (s0, s1) in enumerate(zip(bounds[:-1], bounds[1:])):
        t_seg = time.perf_counter()
        carry, (l, gn, ch) = run(carry, keys[s0:s1])
        rec["loss"].append(np.asarray(l))
        rec["grad_norms"].append(np.asarray(gn))
        rec["weight_change"].append(np.asarray(ch))
        rec["checkpoints"].append(np.asarray(carry[0]))
        rec["checkpoint_steps"].append(int(s1))
        if k == 0 and progress is not False and len(bounds) > 2:
            est = (time.perf_counter() - t_seg) * (len(bounds) - 2)  # the rest, compiled
            events.start("training", label="training", done=0, total=steps, unit="step",
                         estimate=est)
            started = True
        if started:
            events.advance("training", label="training", done=int(s1), total=steps,
                           unit="step")
    if started:
        events.end("training", label="training", done=steps, total=steps, unit="step")
    rec["theta"] = carry[0]
    return rec


def task_from_params(model: Model, data: Dataset, theta, *, bn_policy: str = "batch") -> Task:
    """A `Task` at given parameters (bring your own trained model; no training path)."""
    choice("batch-norm policy", bn_policy, BN_POLICIES)
    _check_shapes(model, data)
    theta = np.asarray(theta, np.float32).reshape(-1)
    if theta.size != model.n_params:
        raise LandscapeError(f"theta has {theta.size} entries, the model {model.n_params}")
    bn = [(np.asarray(m), np.asarray(v)) for m, v in model.bn_statistics(theta, data.x)]
    return Task(model=model, data=data, theta=theta, theta0=theta, bn_stats=bn,
                bn_policy=bn_policy, checkpoints=theta[None], checkpoint_steps=np.zeros(1, int),
                train_loss=np.zeros(0, np.float32),
                config={"optimizer": None, "steps": 0, "seed": None})


def _check_shapes(model: Model, data: Dataset):
    sample = model.spec.get("sample_shape")  # models brought from Flax/Equinox/apply_fn
    if sample is not None and math.prod(sample) != data.n_features:
        raise LandscapeError(f"the model takes inputs of shape {tuple(sample)} "
                             f"({math.prod(sample)} values) but {data.name} has "
                             f"{data.n_features} features per sample")
    n_in = model.spec.get("n_in")
    if n_in is not None and n_in != data.n_features:
        raise LandscapeError(f"the model takes {n_in} inputs but {data.name} has "
                             f"{data.n_features} features")
