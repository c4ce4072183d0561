"""Two directions in weight space that span the plane a surface is drawn on.

* `random_plane`: Gaussian directions, normalized per filter (Li et al. 2018), per layer, to
  one absolute step per weight, or not at all. A *filter* is one output unit: a column of a
  dense ``[in, out]`` kernel, or one ``[kh, kw, c_in]`` slab of a conv kernel. Biases and
  normalization parameters (batch, layer, RMS norm) are zeroed by default, as in Li et al.
  (``ignore_biasbn=False`` includes them). ``layers=(0,)`` makes a
  per-layer plane: only the chosen layers' weights move (`resolve_layers`, `describe_plane`).
* `pca_plane`: the top two principal components of the training path (checkpoints − θ*),
  orthonormal, with their share of the variance.

Random directions have the scale of θ* itself (span 1 reaches as far from θ* as θ* is from 0,
filter by filter). PCA and Hessian directions are unit vectors, so each records a natural unit
``meta["span_unit"]`` that `landscape.pipeline._config.build_surface` multiplies the span by: the training
path's largest excursion (PCA), or the distance at which the top eigenvalue's quadratic model
rises by one nat, ``sqrt(2/λ1)`` (Hessian).
* `hessian_plane`: the top two eigenvectors of the loss Hessian at θ*, found by Lanczos
  (scipy ``eigsh``) on exact Hessian-vector products, orthonormal, with their eigenvalues.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from landscape.errors import LandscapeError, choice
from landscape.files import key_list
from landscape.nets import Layout, layer_mask, resolve_layers, weight_layers
from landscape.training import Task

NORMS = ("filter", "layer", "none")
PLANE_NORMS = NORMS + ("absolute",)  # what `random_plane` accepts (see its docstring)
METHODS = ("random", "pca", "hessian")


@dataclasses.dataclass(eq=False)
class Plane:
    """Directions ``d1, d2`` (float32 ``[P]``) and how they were made (``meta``)."""

    d1: np.ndarray
    d2: np.ndarray
    method: str
    norm: str
    meta: dict

    def at(self, theta, a, b):
        """θ + a·d1 + b·d2."""
        return theta + a * self.d1 + b * self.d2

    def project(self, delta) -> np.ndarray:
        """Least-squares coordinates ``(a, b)`` of ``delta = θ − θ*`` (``[..., P]``) in the plane."""
        D = np.stack([self.d1, self.d2], 1).astype(np.float64)
        coef, *_ = np.linalg.lstsq(D, np.asarray(delta, np.float64).reshape(-1, D.shape[0]).T,
                                   rcond=None)
        return coef.T.reshape(np.shape(delta)[:-1] + (2,))


def normalize(d: np.ndarray, theta: np.ndarray, layout: Layout, norm: str = "filter",
              ignore_biasbn: bool = True) -> np.ndarray:
    """Rescale direction ``d`` to the scale of ``theta``.

    ``filter``: each output unit's weights (one index over the parameter's ``out_axes``, its
    slice spanning the other axes: a column of a dense kernel, a conv filter, one token's row of
    an embedding table, one position's vector of a positional tensor) get the norm of the same
    unit in ``theta``;
    ``layer``: each weight tensor gets the norm of ``theta``'s tensor; ``none``: unchanged.
    Biases and normalization parameters (roles ``bias`` and ``bn``: batch, layer and RMS norm
    scales and shifts) are zeroed when ``ignore_biasbn`` and otherwise copied from ``theta``
    under ``filter``/``layer`` (Li et al.'s convention).
    """
    choice("normalization", norm, NORMS)
    d = np.array(d, np.float32, copy=True)
    for p in layout.params:
        seg = slice(p.offset, p.stop)
        if p.role != "weight":
            if ignore_biasbn:
                d[seg] = 0.0
            elif norm != "none":
                d[seg] = theta[seg]
            continue
        if norm == "none":
            continue
        # one row per output unit, whichever axes hold them (Layout's out_axes)
        dw = p.units(d[seg]).astype(np.float64)
        tw = p.units(np.asarray(theta[seg], np.float64))
        if norm == "filter":
            scale = np.linalg.norm(tw, axis=1) / (np.linalg.norm(dw, axis=1) + 1e-10)
            dw = dw * scale[:, None]
        else:
            dw = dw * (np.linalg.norm(tw) / (np.linalg.norm(dw) + 1e-10))
        d[seg] = p.from_units(dw).astype(np.float32)
    return d


def weight_rms(theta: np.ndarray, layout: Layout) -> float:
    """Root mean square of all of θ's weight entries (every layer): the default absolute step."""
    w = np.asarray(theta, np.float64)[layout.mask(("weight",))]
    return float(np.sqrt(np.mean(w * w))) if w.size else 1.0


def normalize_absolute(d: np.ndarray, layout: Layout, step: float,
                       ignore_biasbn: bool = True) -> np.ndarray:
    """Rescale every weight tensor of ``d`` to a root mean square of ``step`` per entry
    (``‖d_W‖ = step·√n_W``); biases and batch norm are zeroed when ``ignore_biasbn``, else
    scaled the same way. A zero tensor stays zero."""
    d = np.array(d, np.float32, copy=True)
    for p in layout.params:
        seg = slice(p.offset, p.stop)
        if p.role != "weight" and ignore_biasbn:
            d[seg] = 0.0
            continue
        v = d[seg].astype(np.float64)
        n = np.linalg.norm(v)
        if n > 0:
            d[seg] = (v * (step * np.sqrt(v.size) / n)).astype(np.float32)
    return d


def random_plane(task: Task, *, norm: str = "filter", layers=None, step: float | None = None,
                 ignore_biasbn: bool = True, orthogonalize: bool = False, key) -> Plane:
    """Two Gaussian directions normalized to θ*'s scale (Li et al. 2018).

    Args:
      norm: ``filter`` (each output unit's weights get the norm of the same unit of θ*: Li et
        al.), ``layer`` (each weight tensor gets its θ* tensor's norm), ``none`` (raw N(0, 1)),
        or ``absolute``: every weight tensor gets the same root mean square per entry,
        ``step`` (default: the RMS of all of θ*'s weights, `weight_rms`). Under ``absolute``
        a step of size 1 along a direction moves every weight of a layer by ``step`` on
        average, whatever that layer's own scale, so the slope along a direction restricted to
        layer l is about ``‖∇_{W_l} L‖·step`` (the layer's gradient norm, as the panel
        shows it): planes of different layers compare fairly. Under ``filter`` each layer moves
        in proportion to its own weights.
      layers: only these layers move (indices over `weight_layers`, input → output, negative
        from the output, or names; see `resolve_layers`): the direction is normalized as above
        and then zeroed outside them. ``None``: all layers.
      step: the absolute step (only with ``norm="absolute"``).
      ignore_biasbn: zero biases and normalization parameters (batch, layer and RMS norm
        scales and shifts: role ``bn``), as Li et al.; ``False`` includes them.
      orthogonalize: d2 loses its component along d1 and is rescaled to its former norm
        (random directions in thousands of dimensions are nearly orthogonal anyway; the
        cosine is recorded either way).

    ``meta`` records ``layers`` (indices, or ``None``), ``layer_names`` and, under
    ``absolute``, ``step``; `describe_plane` turns them into a title.
    """
    choice("normalization", norm, PLANE_NORMS)
    layout = task.model.layout
    if step is not None and norm != "absolute":
        raise LandscapeError(f"a step applies to absolute normalization only, not {norm!r}")
    if step is not None and not (np.isfinite(step) and step > 0):
        raise LandscapeError(f"the absolute step must be a positive number, got {step}")
    idx = None if layers is None else resolve_layers(layout, layers)
    k1, k2 = jax.random.split(key)
    P = task.model.n_params
    theta = task.theta
    if norm == "absolute":
        step = float(step) if step is not None else weight_rms(theta, layout)
        scale = lambda d: normalize_absolute(d, layout, step, ignore_biasbn)
    else:
        scale = lambda d: normalize(d, theta, layout, norm, ignore_biasbn)
    d1 = scale(np.asarray(jax.random.normal(k1, (P,))))
    d2 = scale(np.asarray(jax.random.normal(k2, (P,))))
    if idx is not None:
        keep = layer_mask(layout, idx)
        d1, d2 = np.where(keep, d1, 0).astype(np.float32), np.where(keep, d2, 0).astype(np.float32)
    if orthogonalize:
        n2 = np.linalg.norm(d2)
        d2 = d2 - (d2 @ d1) / (d1 @ d1) * d1
        d2 = (d2 * n2 / np.linalg.norm(d2)).astype(np.float32)
    cos = float(d1 @ d2 / (np.linalg.norm(d1) * np.linalg.norm(d2) + 1e-30))
    names = weight_layers(layout)
    meta = {"ignore_biasbn": ignore_biasbn, "orthogonalize": orthogonalize, "cosine": cos,
            "norm_d1": float(np.linalg.norm(d1)), "norm_d2": float(np.linalg.norm(d2)),
            "key": key_list(key), "layers": None if idx is None else list(idx),
            "layer_names": names if idx is None else [names[i] for i in idx],
            "n_layers": len(names)}
    if norm == "absolute":
        meta["step"] = step
    return Plane(d1, d2, "random", norm, meta)


NORM_WORDS = {"filter": "filter-normalized", "layer": "layer-normalized",
              "none": "unnormalized", "unit": "unit directions"}


def describe_plane(plane) -> str:
    """A short title for a plane (a `Plane`, or a `Surface` carrying one in its meta), e.g.
    ``"layer 0 of 11 only, filter-normalized"``, ``"layers 8, 9 of 11, absolute step 0.98 per
    weight"``, ``"all layers, filter-normalized"``, ``"PCA of the training path"``."""
    if hasattr(plane, "alphas"):  # a Surface
        method, norm = plane.meta.get("direction", "random"), plane.meta.get("norm", "filter")
        meta = plane.meta.get("direction_meta", {}) or {}
    else:
        method, norm, meta = plane.method, plane.norm, plane.meta
    if method == "pca":
        return "PCA of the training path"
    if method == "hessian":
        return "top two Hessian eigenvectors"
    layers = meta.get("layers")
    n = meta.get("n_layers")
    if layers is None:
        where = "all layers"
    else:
        of = f" of {n}" if n else ""
        where = (f"layer {layers[0]}{of} only" if len(layers) == 1 else
                 f"layers {', '.join(map(str, layers))}{of}")
    how = (f"absolute step {meta['step']:.3g} per weight" if norm == "absolute"
           else NORM_WORDS.get(norm, norm))
    return f"{where}, {how}"


def pca_plane(task: Task) -> Plane:
    """Top-2 principal directions of the training checkpoints minus θ* (unit, orthogonal).

    ``meta["explained_variance"]`` holds each component's share of the total variance of the
    path, in [0, 1]. The coordinates of every checkpoint are in ``meta["path"]`` ``[K, 2]``.
    """
    M = np.asarray(task.checkpoints, np.float64) - np.asarray(task.theta, np.float64)[None]
    if M.shape[0] < 3:
        raise LandscapeError("PCA directions need at least 3 training checkpoints; "
                             "train for more steps")
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    total = float((s ** 2).sum())
    if total == 0:
        raise LandscapeError("the training path has no extent (did training run?)")
    d1, d2 = vt[0].astype(np.float32), vt[1].astype(np.float32)
    ev = [float(s[0] ** 2 / total), float(s[1] ** 2 / total)]
    path = (M @ np.stack([vt[0], vt[1]], 1)).astype(np.float32)
    # the natural scale of this plane: the path's largest excursion (so span 1 frames it)
    unit = float(np.abs(path).max()) * 1.1
    return Plane(d1, d2, "pca", "unit", {"explained_variance": ev, "path": path.tolist(),
                                         "span_unit": unit,
                                           "path_steps": np.asarray(task.checkpoint_steps).tolist()})


def hvp_fn(task: Task):
    """``v -> H v`` at θ* for the full evaluation-set loss, exact (forward-over-reverse)."""
    f = task.loss_fn()
    x, y = jnp.asarray(task.data.x_eval), jnp.asarray(task.data.y_eval)
    theta = jnp.asarray(task.theta)

    def loss(t):
        return f(t, x, y)[0]

    @jax.jit
    def hvp(v):
        return jax.jvp(jax.grad(loss), (theta,), (v,))[1]

    return hvp


def hessian_plane(task: Task, *, key=None, tol: float = 1e-4) -> Plane:
    """The Hessian's two eigenvectors of largest eigenvalue at θ* (unit, orthogonal).

    ``meta["eigenvalues"]`` lists them, largest first.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    hvp = hvp_fn(task)
    P = task.model.n_params
    op = LinearOperator((P, P), matvec=lambda v: np.asarray(hvp(jnp.asarray(v, jnp.float32)),
                                                            np.float64), dtype=np.float64)
    v0 = None
    if key is not None:
        v0 = np.asarray(jax.random.normal(key, (P,)), np.float64)
    vals, vecs = eigsh(op, k=2, which="LA", tol=tol, v0=v0)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    vecs = vecs * np.sign(vecs[np.argmax(np.abs(vecs), 0), [0, 1]])[None, :]
    # natural scale: where the quadratic model along d1 has risen by 1 nat, λ1·s²/2 = 1
    unit = float(np.sqrt(2.0 / vals[0])) if vals[0] > 0 else 1.0
    notes = [] if vals[0] > 0 else [
        f"the top Hessian eigenvalue is {vals[0]:.3g} ≤ 0 (θ* is not a minimum along d1), so "
        f"there is no 1-nat distance sqrt(2/λ1); the span is in plain units of the unit "
        f"directions (span_unit = 1)"]
    return Plane(vecs[:, 0].astype(np.float32), vecs[:, 1].astype(np.float32), "hessian", "unit",
                 {"eigenvalues": [float(v) for v in vals], "span_unit": unit, "notes": notes})


def make_plane(task: Task, method: str = "random", *, norm: str = "filter", layers=None,
               step: float | None = None, key) -> Plane:
    """Dispatch on ``method`` ∈ {random, pca, hessian}; ``layers`` and ``step`` apply to random
    directions only (see `random_plane`)."""
    choice("direction method", method, METHODS)
    if method == "random":
        return random_plane(task, norm=norm, layers=layers, step=step, key=key)
    if layers is not None:
        raise LandscapeError(f"a layer selection applies to random directions only, not {method}")
    if method == "pca":
        return pca_plane(task)
    return hessian_plane(task, key=key)
