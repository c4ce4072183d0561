"""Datasets that ship with the package or its dependencies: nothing is ever downloaded.

Every dataset is standardized (zero mean, unit variance per feature, computed on the training
set), float32, with integer labels, and deterministic for a seed. The landscape is of the
training loss, so by default the evaluation set *is* the full training set.

    >>> d = digits()
    >>> d.x.shape, d.n_classes
    ((1797, 64), 10)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from landscape.errors import choice, LandscapeError


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A classification dataset.

    Attributes:
      name: registry name (``digits``, ``moons``, ...).
      x: training inputs, float32 ``[n, d]`` (images for the CNN are reshaped by the model).
      y: training labels, int32 ``[n]`` in ``[0, n_classes)``.
      x_eval, y_eval: the evaluation set the surface is computed on (the training set by default).
      n_classes: number of classes.
      image_shape: ``(h, w)`` when the features are an image, else ``None``.
      seed: the seed that generated it (``None`` for fixed data such as digits).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    n_classes: int
    image_shape: tuple[int, int] | None = None
    seed: int | None = None

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    def describe(self) -> dict:
        return {"name": self.name, "n_train": self.n, "n_eval": int(self.x_eval.shape[0]),
                "n_features": self.n_features, "n_classes": self.n_classes, "seed": self.seed,
                "eval_set": "train" if self.x_eval is self.x else "held-out"}


def _standardize(x: np.ndarray) -> np.ndarray:
    mu = x.mean(0, keepdims=True)
    sd = x.std(0, keepdims=True)
    sd[sd == 0] = 1.0  # constant pixels (digits' corners) stay zero instead of NaN
    return ((x - mu) / sd).astype(np.float32)


def _make(name, x, y, n_classes, *, image_shape=None, seed=None) -> Dataset:
    x = _standardize(np.asarray(x, np.float64))
    y = np.asarray(y, np.int32)
    return Dataset(name, x, y, x, y, int(n_classes), image_shape, seed)


def digits() -> Dataset:
    """scikit-learn's bundled 8×8 handwritten digits: 1797 images, 64 features, 10 classes."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _make("digits", d.data, d.target, 10, image_shape=(8, 8))


def moons(n: int = 512, *, noise: float = 0.15, seed: int = 0) -> Dataset:
    """Two interleaving half circles in 2-D, 2 classes."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return _make("moons", x, y, 2, seed=seed)


def circles(n: int = 512, *, noise: float = 0.08, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A small circle inside a large one in 2-D, 2 classes."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return _make("circles", x, y, 2, seed=seed)


def spirals(n: int = 600, *, n_arms: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """``n_arms`` interleaved spirals in 2-D (the classic hard toy problem), one class per arm."""
    rng = np.random.default_rng(seed)
    per = n // n_arms
    xs, ys = [], []
    for k in range(n_arms):
        r = np.linspace(0.05, 1.0, per)
        t = k * 2 * np.pi / n_arms + r * 4.0 + rng.normal(0, noise, per) * 0.5
        xs.append(np.stack([r * np.cos(t), r * np.sin(t)], 1))
        ys.append(np.full(per, k))
    return _make("spirals", np.concatenate(xs), np.concatenate(ys), n_arms, seed=seed)


DATASETS = {"digits": digits, "moons": moons, "circles": circles, "spirals": spirals}


def subset(d: Dataset, classes) -> Dataset:
    """The samples of ``d`` whose label is in ``classes``, relabelled ``0..k-1`` in the order
    given (``classes=(5, 6, 7, 8, 9)``: 5 → 0, …, 9 → 4). Features keep the whole set's
    standardization, so every subset of one dataset shares one input scale (a network trained
    on one subset sees another subset's inputs exactly as it saw its own).

    >>> subset(digits(), (5, 6, 7, 8, 9)).n_classes
    5
    """
    classes = list(classes)
    if len(classes) < 2 or len(set(classes)) != len(classes) or not all(
            isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < d.n_classes
            for c in classes):
        raise LandscapeError(f"classes must be two or more distinct labels of {d.name} "
                             f"(0..{d.n_classes - 1}), got {classes}")
    lut = np.full(d.n_classes, -1, np.int32)
    lut[classes] = np.arange(len(classes), dtype=np.int32)
    keep = lut[d.y] >= 0
    x, y = d.x[keep], lut[d.y[keep]]
    if d.x_eval is d.x:
        xe, ye = x, y
    else:
        keep_e = lut[d.y_eval] >= 0
        xe, ye = d.x_eval[keep_e], lut[d.y_eval[keep_e]]
    name = f"{d.name}[{','.join(str(int(c)) for c in classes)}]"
    return Dataset(name, x, y, xe, ye, len(classes), d.image_shape, d.seed)


def load(name: str, *, seed: int = 0, n: int | None = None, classes=None) -> Dataset:
    """Load a dataset by name; ``seed`` and ``n`` apply to the generated ones; ``classes``
    keeps only those labels (`subset`)."""
    choice("dataset", name, DATASETS)
    if name == "digits":
        if n is not None:
            raise LandscapeError("digits has a fixed size (1797); drop the sample count")
        d = digits()
    else:
        kw = {"seed": seed} if n is None else {"seed": seed, "n": n}
        if n is not None and n < 4:
            raise LandscapeError(f"a dataset needs at least 4 samples, got {n}")
        d = DATASETS[name](**kw)
    return d if classes is None else subset(d, classes)
