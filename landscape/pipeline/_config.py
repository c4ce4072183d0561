"""One description of a landscape — data, network, training, directions, grid — and the
pipeline that turns it into a `Task`, a `Plane` and a `Surface`, with a cache.

Everything that determines a surface is a field of `LandscapeConfig`; its `digest()` keys the
cache, so a surface is recomputed exactly when something that changes it changed. The cache
lives in ``$LANDSCAPE_CACHE`` (default ``~/.cache/landscape``); writes are atomic, and a corrupt
or truncated cache file is reported in one line and recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import zlib

import jax
import numpy as np

from landscape import data as data_mod
from landscape import nets
from landscape.errors import LandscapeError
from landscape.pipeline._transfer import check_transfer, source_task, transfer_theta
from landscape.planes import Plane, make_plane
from landscape.surface import grid
from landscape.training import Task, train

CACHE_VERSION = 1
# fields a config carries in `to_dict` (and its cache key) only when they differ from the default
OPTIONAL_FIELDS = ("eval_samples", "eval_batch", "layers", "norm_step", "train_checkpoints",
                   "classes", "pretrain", "transfer_layers", "freeze", "heads", "norm_position",
                   "residual", "modulus")


# the kinds of value of the fields (`LandscapeConfig.check_types`)
_WHOLE = ("train_steps", "seed", "grid", "train_checkpoints", "transfer_layers")
_OPTIONAL_WHOLE = ("n_samples", "train_batch", "eval_samples", "eval_batch", "heads", "modulus")
_FINITE = ("init_scale", "train_lr")
_OPTIONAL_FINITE = ("norm_step",)
_NAMES = ("dataset", "model", "activation", "init", "bn_policy", "output", "train_optimizer",
          "directions", "norm")
_FLAGS = ("batchnorm", "skip", "freeze", "residual")


@dataclasses.dataclass(frozen=True)
class LandscapeConfig:
    """Everything that determines a surface. Defaults are the reference case: MLP 64-64-64
    ReLU, He init, trained with Adam on all 1797 digits; a filter-normalized random plane."""

    dataset: str = "digits"
    n_samples: int | None = None
    model: str = "mlp"                 # mlp | cnn | transformer
    widths: tuple[int, ...] = (64, 64, 64)
    activation: str = "relu"
    init: str = "he"
    init_scale: float = 1.0
    batchnorm: bool = False
    bn_policy: str = "eval"
    skip: bool = False
    output: str = "softmax"
    train_steps: int = 500
    train_lr: float = 1e-2
    train_optimizer: str = "adam"
    train_batch: int | None = 128
    seed: int = 0
    directions: str = "random"
    norm: str = "filter"
    span: float = 1.0                  # pca/hessian: in units of the plane's span_unit
    grid: int = 51
    eval_samples: int | None = None    # a fixed random subset of the evaluation set
    eval_batch: int | None = None      # samples per evaluation batch (None: by memory)
    # Per-layer planes, class subsets and transfer learning. `to_dict` leaves these out while
    # they hold their defaults, so configs that do not use them keep their cache keys.
    layers: tuple | None = None        # the random plane moves only these layers (landscape.nets._layers)
    norm_step: float | None = None     # norm="absolute": RMS per weight (default: θ*'s weight RMS)
    train_checkpoints: int = 20        # checkpoints kept along training (PCA, timelapse)
    classes: tuple | None = None       # keep only these labels, relabelled 0..k-1 (data.subset)
    pretrain: "LandscapeConfig | None" = None  # transfer: the network whose lower layers are reused
    transfer_layers: int = 0           # how many lower layers start from pretrain's θ*
    freeze: bool = False               # those layers never change (training, and the plane)
    # The built-in transformer (model="transformer") and the modular dataset; None: the default.
    heads: int | None = None           # attention heads (default: 4, or 2 or 1 when 4 does not divide)
    norm_position: str | None = None   # "pre" (default) | "post": LayerNorm before/after each sublayer
    residual: bool = True              # False: no residual connections in the blocks
    modulus: int | None = None         # the modular dataset's p (default 97)

    def __post_init__(self):
        for name in ("layers", "classes"):
            v = getattr(self, name)
            if isinstance(v, (int, str, np.integer)):
                object.__setattr__(self, name, (v,))
            elif v is not None and not isinstance(v, tuple):
                object.__setattr__(self, name, tuple(v))

    def replace(self, **kw) -> "LandscapeConfig":
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict:
        """Every field, as JSON values (tuples as lists); the later fields only when set."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name not in OPTIONAL_FIELDS or getattr(self, f.name) != f.default}
        if self.pretrain is not None:
            d["pretrain"] = self.pretrain.to_dict()
        return json.loads(json.dumps(d))

    def digest(self) -> str:
        """A hash of every field plus the versions that could change the numbers."""
        from landscape import __version__

        blob = json.dumps({"cfg": self.to_dict(), "cache": CACHE_VERSION, "landscape": __version__,
                           "jax": jax.__version__}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def key(self, name: str) -> jax.Array:
        """A PRNG key for one named stage, derived from ``seed`` (stable across runs)."""
        return jax.random.fold_in(jax.random.key(self.seed), zlib.crc32(name.encode()))

    def validate(self) -> "LandscapeConfig":
        """Check names and numbers without computing anything (raises `LandscapeError`)."""
        self.check_types()
        self.build_model(self.build_data())
        grid(self.span, self.grid)
        from landscape.errors import choice
        from landscape.planes import METHODS, PLANE_NORMS
        from landscape.training import BN_POLICIES, TRAIN_OPTIMIZERS

        choice("direction method", self.directions, METHODS)
        choice("normalization", self.norm, PLANE_NORMS)
        choice("batch-norm policy", self.bn_policy, BN_POLICIES)
        choice("optimizer", self.train_optimizer, TRAIN_OPTIMIZERS)
        if self.eval_batch is not None and self.eval_batch < 1:
            raise LandscapeError(f"the evaluation batch must be at least 1 sample, got {self.eval_batch}")
        if self.train_steps < 0:
            raise LandscapeError(f"training steps must be 0 or more, got {self.train_steps}")
        if self.directions == "pca" and self.train_steps < 3:
            raise LandscapeError("PCA directions need training (--train-steps of 3 or more)")
        self.validate_layers_and_transfer()
        return self

    def check_types(self) -> None:
        """Each field of the kind it must be (a whole number, a finite number, a name, a flag),
        so that a value of the wrong type (from the Scene API or a notebook) is one
        `LandscapeError` naming the field, not an exception from deep inside numpy."""
        import numbers

        def whole(v):
            return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))

        def real(v):
            return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))

        def bad(name, what):
            v = getattr(self, name)
            raise LandscapeError(f"{name} must be {what}, got {v!r} ({type(v).__name__})")

        for name in _WHOLE + _OPTIONAL_WHOLE:
            v = getattr(self, name)
            if not (whole(v) or (v is None and name in _OPTIONAL_WHOLE)):
                bad(name, "a whole number" + (" or None" if name in _OPTIONAL_WHOLE else ""))
        for name in _FINITE + _OPTIONAL_FINITE:
            v = getattr(self, name)
            if not ((real(v) and math.isfinite(v)) or (v is None and name in _OPTIONAL_FINITE)):
                bad(name, "a finite number" + (" or None" if name in _OPTIONAL_FINITE else ""))
        for name in _NAMES:
            if not isinstance(getattr(self, name), str):
                bad(name, "a name (a string)")
        for name in _FLAGS:
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                bad(name, "True or False")
        if self.norm_position is not None and not isinstance(self.norm_position, str):
            bad("norm_position", "a name (a string) or None")
        if not (isinstance(self.widths, (tuple, list)) and all(whole(w) for w in self.widths)):
            bad("widths", "a tuple of whole numbers, e.g. (64, 64)")
        if self.classes is not None and not all(whole(c) for c in self.classes):
            bad("classes", "a tuple of labels (whole numbers)")
        if self.layers is not None and not all(whole(v) or isinstance(v, str) for v in self.layers):
            bad("layers", "a tuple of layer indices or names")
        if not (real(self.span) or (isinstance(self.span, (tuple, list)) and len(self.span) == 4
                                    and all(real(v) for v in self.span))):
            bad("span", "a number S or (a_min, a_max, b_min, b_max)")

    def validate_layers_and_transfer(self) -> None:
        """Checks of the per-layer plane, class subset and transfer fields (`LandscapeError`)."""
        from landscape.nets import resolve_layers

        d = self.build_data()
        m = self.build_model(d)
        if self.norm_step is not None and (self.norm != "absolute" or isinstance(
                self.norm_step, bool) or not (math.isfinite(self.norm_step) and self.norm_step > 0)):
            raise LandscapeError("a normalization step applies to --norm absolute only and must "
                                 f"be a positive number, got {self.norm_step} with {self.norm}")
        if isinstance(self.train_checkpoints, bool) or int(self.train_checkpoints) != \
                self.train_checkpoints or self.train_checkpoints < 1:
            raise LandscapeError(f"training checkpoints must be 1 or more, got {self.train_checkpoints}")
        if self.pretrain is not None and not isinstance(self.pretrain, LandscapeConfig):
            raise LandscapeError("pretrain must be a LandscapeConfig, got "
                                 f"{type(self.pretrain).__name__}")
        frozen = check_transfer(self, m)
        if self.layers is not None:
            if self.directions != "random":
                raise LandscapeError("a layer selection (--layers) applies to random directions "
                                     f"only, not {self.directions}")
            idx = resolve_layers(m.layout, self.layers)
            both = sorted(set(idx) & set(frozen))
            if both:
                raise LandscapeError(f"layer {both[0]} is frozen; the plane of a frozen network "
                                     f"moves only its trainable layers ({len(frozen)} and up)")
        if frozen and self.directions == "hessian":
            raise LandscapeError("Hessian directions of a network with frozen layers are not "
                                 "supported; use random or pca directions")

    # ------------------------------------------------------------ stages

    def build_data(self) -> data_mod.Dataset:
        d = data_mod.load(self.dataset, seed=self.seed, n=self.n_samples, classes=self.classes,
                          modulus=self.modulus)
        if self.eval_samples is not None:
            d = data_mod.eval_subset(d, self.eval_samples, seed=self.seed)
        return d

    def build_model(self, d: data_mod.Dataset) -> nets.Model:
        from landscape.errors import choice

        choice("model", self.model, ("mlp", "cnn", "transformer"))
        if self.model == "transformer":
            return self.build_transformer(d)
        only = [f"--{name}" for name, on in (("heads", self.heads is not None),
                                             ("norm-position", self.norm_position is not None),
                                             ("no-residual", not self.residual)) if on]
        if only:
            raise LandscapeError(f"{' and '.join(only)} appl{'ies' if len(only) == 1 else 'y'} "
                                 f"to the transformer (--model transformer) only, not the "
                                 f"{self.model.upper()}")
        if d.n_tokens is not None:
            raise LandscapeError(f"{d.name} holds token sequences; the {self.model.upper()} takes "
                                 f"real features: use --model transformer")
        if self.model == "cnn":
            if d.image_shape is None:
                raise LandscapeError(f"the CNN needs image data; {d.name} is not images (use digits)")
            # the built-in CNN is a plain softmax classifier: refuse what it would ignore
            unsupported = [name for name, on in (("batchnorm", self.batchnorm),
                                                 ("skip", self.skip),
                                                 (f"output={self.output!r}",
                                                  self.output != "softmax")) if on]
            if unsupported:
                raise LandscapeError(f"the CNN does not support {', '.join(unsupported)}; use "
                                     f"model='mlp' or drop {'it' if len(unsupported) == 1 else 'them'}")
            return nets.cnn(self.widths, image_shape=d.image_shape, n_out=d.n_classes,
                              activation=self.activation, init=self.init,
                              init_scale=self.init_scale)
        return nets.mlp(self.widths, n_in=d.n_features, n_out=d.n_classes,
                          activation=self.activation, init=self.init, init_scale=self.init_scale,
                          batchnorm=self.batchnorm, skip=self.skip, output=self.output)

    def build_transformer(self, d: data_mod.Dataset) -> nets.Model:
        """The built-in transformer for a token dataset: readout at the last position and
        causal attention for one label per sequence (``modular``: a decoder, as in the
        grokking papers), every position and full attention for a label per position
        (``reverse``, ``sort``: each output needs the whole input)."""
        if d.n_tokens is None:
            raise LandscapeError(f"the transformer takes token sequences; {d.name} has real "
                                 f"features (use --dataset modular, reverse or sort; an "
                                 f"ls.Dataset of token ids needs n_tokens=V)")
        unsupported = [name for name, on in (("batchnorm", self.batchnorm), ("skip", self.skip),
                                             (f"output={self.output!r}", self.output != "softmax"))
                       if on]
        if unsupported:
            raise LandscapeError(f"the transformer does not support {', '.join(unsupported)} "
                                 f"(its residuals are on unless --no-residual); drop "
                                 f"{'it' if len(unsupported) == 1 else 'them'}")
        per_position = bool(d.label_shape)
        return nets.transformer(self.widths, vocab=d.n_tokens, seq_len=d.sample_shape[0],
                                n_out=d.n_classes, heads=self.heads,
                                norm_position=self.norm_position or "pre",
                                residual=self.residual, activation=self.activation,
                                init=self.init, init_scale=self.init_scale,
                                causal=not per_position, readout="all" if per_position else "last")

    def build_task(self) -> Task:
        """Train (the pretrained source network first, when ``pretrain`` is set)."""
        d = self.build_data()
        m = self.build_model(d)
        init_theta, frozen = None, ()
        if self.pretrain is not None:
            source = source_task(self.pretrain)
            k_init, _ = jax.random.split(self.key("train"))  # the init `train` would draw
            init_theta = transfer_theta(m, np.asarray(m.init(key=k_init)), source.model,
                                        source.theta, self.transfer_layers)
            frozen = tuple(range(self.transfer_layers)) if self.freeze else ()
        return train(m, d, steps=self.train_steps, lr=self.train_lr,
                     optimizer=self.train_optimizer, batch_size=self.train_batch,
                     n_checkpoints=self.train_checkpoints, bn_policy=self.bn_policy,
                     init_theta=init_theta, frozen_layers=frozen, key=self.key("train"))

    def build_plane(self, task: Task) -> Plane:
        layers = self.layers
        if layers is None and self.freeze and self.directions == "random":
            n = len(task.record_layers)
            layers = tuple(range(self.transfer_layers, n))  # only what can still learn
        return make_plane(task, self.directions, norm=self.norm, layers=layers,
                          step=self.norm_step, key=self.key("plane"))


