"""The `Surface` record and its file: ``loss[i, j] = L(θ* + alphas[i]·d1 + betas[j]·d2)``
on the whole evaluation set, with the accuracy on the same grid, and everything needed to
recompute any point of it (the format is in docs/FORMAT.md). Computed by
`landscape.surface._compute`.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from landscape.errors import LandscapeError
from landscape.files import atomic_savez, check_writable, json_default, read_npz
from landscape.nets import Layout
from landscape.surface._interp import bilinear

FORMAT = "landscape.surface/1"
#: evaluation sets up to this size are embedded in surface files; larger ones are stored by
#: content hash and regenerated (or supplied) when needed, unless ``embed_eval=True``
EMBED_LIMIT_BYTES = 32 << 20
#: what each entry of a surface file must be: (dtype kinds, number of dimensions)
_DTYPES = {"alphas": ("f", 1), "betas": ("f", 1), "loss": ("f", 2), "accuracy": ("f", 2),
           "theta": ("f", 1), "d1": ("f", 1), "d2": ("f", 1), "x_eval": ("f", None),
           "y_eval": ("iu", None), "bn_stats": ("f", None), "spec": ("U", 0), "layout": ("U", 0),
           "meta": ("U", 0)}
#: the entries of ``meta`` that loading and printing a surface rely on, and their JSON kinds
_META = {"center_loss": (int, float), "center_accuracy": (int, float), "n_nonfinite": (int,),
         "eval_set": (dict,), "dataset": (dict,), "bn_policy": (str,), "direction": (str,),
         "norm": (str,), "config": (dict,)}


@dataclasses.dataclass(eq=False, kw_only=True)
class Surface:
    """A computed loss surface and everything needed to recompute any point of it.

    Attributes:
      alphas: float32 ``[Ra]``, coordinates along d1.
      betas: float32 ``[Rb]``, coordinates along d2.
      loss: float32 ``[Ra, Rb]``, mean cross-entropy (nats) on the evaluation set.
      accuracy: float32 ``[Ra, Rb]``, in [0, 1].
      theta, d1, d2: float32 ``[P]``, θ* and the two directions.
      spec: the network spec (JSON-able); layout: the flat-vector `Layout`.
      x_eval: float32 ``[n, *sample_shape]`` (token ids as whole numbers), y_eval: int32
        ``[n]`` or ``[n, seq]``: the evaluation data. Files hold ``x_eval`` flat, ``[n, d]``;
        ``meta["eval_set"]["sample_shape"]`` (when not flat) gives the shape back.
      bn_stats: float32 ``[n_bn, 2, width]`` running (mean, var) at θ*, or empty.
      meta: dataset, seeds, direction method, normalization, batch-norm policy, timings, ...
      extra: further fields over (possibly coarser) grids of the same plane, by name:
        ``{"sharpness": {"alphas": [Ka], "betas": [Kb], "values": [Ka, Kb]}}``.
    """

    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    theta: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    spec: dict
    layout: Layout
    x_eval: np.ndarray
    y_eval: np.ndarray
    bn_stats: np.ndarray
    meta: dict
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.loss.shape

    @property
    def span(self) -> tuple[float, float, float, float]:
        return (float(self.alphas[0]), float(self.alphas[-1]),
                float(self.betas[0]), float(self.betas[-1]))

    @property
    def center_loss(self) -> float:
        """The surface at (0, 0) when the grid contains it (it does for odd resolutions)."""
        return float(self.meta["center_loss"])

    def summary(self) -> dict:
        finite = self.loss[np.isfinite(self.loss)]
        return {"grid": list(self.shape), "span": list(self.span),
                "min_loss": float(finite.min()) if finite.size else None,
                "max_loss": float(finite.max()) if finite.size else None,
                "center_loss": self.meta.get("center_loss"),
                "center_accuracy": self.meta.get("center_accuracy"),
                "n_nonfinite": int(self.meta.get("n_nonfinite", 0)),
                "direction": self.meta.get("direction"), "norm": self.meta.get("norm"),
                "bn_policy": self.meta.get("bn_policy")}

    def __repr__(self) -> str:
        s = self.summary()
        lo, hi = s["min_loss"], s["max_loss"]
        rng = f"{lo:.3g}–{hi:.3g}" if lo is not None else "none finite"
        net = self.spec.get("kind", "net")
        widths = self.spec.get("widths")
        if widths:
            net += " " + "-".join(map(str, widths)) + f" {self.spec.get('activation', '')}"
        extra = f", {s['n_nonfinite']} non-finite" if s["n_nonfinite"] else ""
        center = self.meta.get("center_loss")
        return (f"Surface({s['grid'][0]}×{s['grid'][1]} grid, a ∈ [{s['span'][0]:g}, "
                f"{s['span'][1]:g}], b ∈ [{s['span'][2]:g}, {s['span'][3]:g}], loss {rng}"
                + (f", at θ* {center:.3g}" if center is not None else "") + extra
                + f"; {net.strip()}, {s['direction']} directions, {self.theta.size:,} params)")

    def interpolate(self, ab, field: str = "loss") -> np.ndarray:
        """Bilinear interpolation of ``loss`` (or ``accuracy``) at points ``ab`` ``[..., 2]``;
        points outside the grid take the nearest edge value."""
        return bilinear(self.alphas, self.betas, getattr(self, field), ab)

    def eval_data(self, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation set ``(x, y)``: the embedded one, else ``x, y`` given by the caller,
        else regenerated from ``meta["eval_set"]["source"]``; the last two are checked against
        the stored content hash (a mismatch raises `LandscapeError`). ``x`` has the dataset's
        dtype (``meta["eval_set"]["dtype"]``: int32 token ids), float32 otherwise."""
        from landscape.surface._jobs import array_digest

        info = self.meta.get("eval_set", {})
        back = (lambda a: a.astype(info["dtype"])) if info.get("dtype") not in (None, "float32") \
            else (lambda a: a)     # token ids: back to integers, as the dataset holds them
        if x is None and self.x_eval.shape[0] == info.get("n", self.x_eval.shape[0]):
            return back(self.x_eval), self.y_eval
        if x is None:
            src = info.get("source")
            if not src:
                raise LandscapeError("this surface file does not embed its evaluation set and "
                                     "it cannot be regenerated; pass x, y")
            from landscape import data as data_mod

            d = data_mod.load(src["dataset"], seed=src.get("seed") or 0, n=src.get("n"),
                              classes=src.get("classes"), **(src.get("options") or {}))
            if info.get("subset"):
                sub = info["subset"]
                d = data_mod.eval_subset(d, sub["size"], seed=sub["seed"])
            x, y = d.x_eval, d.y_eval
        x, y = np.asarray(x, np.float32), np.asarray(y, np.int32)
        want = info.get("sha256")
        if want and array_digest(x, y) != want:
            raise LandscapeError(f"the evaluation set given does not match this surface's "
                                 f"(sha256 {want[:12]}…); it was computed on other data")
        return back(x), y

    def fingerprint(self) -> str:
        """A short hash of the grid (``alphas``, ``betas``) and the plane (θ*, d1, d2): two
        surfaces with the same fingerprint put the same (a, b) at the same weights.
        Trajectories record it (``meta["surface_fingerprint"]``), so balls are never drawn
        on a surface they did not roll on."""
        import hashlib

        h = hashlib.sha256()
        for v in (self.alphas, self.betas, self.theta, self.d1, self.d2):
            h.update(np.ascontiguousarray(v, np.float32).tobytes())
            h.update(b"|")
        return h.hexdigest()[:20]

    # ------------------------------------------------------------ file format

    def save(self, path: str, *, embed_eval: bool | None = None) -> str:
        """Write an ``.npz`` (no pickle) atomically: a temporary file renamed when complete.

        ``embed_eval``: store the evaluation set in the file (default: when it is at most
        `EMBED_LIMIT_BYTES`); otherwise only its content hash and how to regenerate it are kept
        in ``meta["eval_set"]`` and ``x_eval``/``y_eval`` are saved empty."""
        path = os.fspath(path)
        check_writable(path)
        nbytes = self.x_eval.size * 4 + self.y_eval.size * 4
        embed = nbytes <= EMBED_LIMIT_BYTES if embed_eval is None else bool(embed_eval)
        if self.x_eval.shape[0] == 0 and self.meta.get("eval_set", {}).get("n"):
            embed = False  # loaded without its data: nothing to embed
        meta = dict(self.meta)
        meta["eval_set"] = {**self.meta.get("eval_set", {}), "embedded": embed}
        x = self.x_eval if embed else self.x_eval[:0]
        y = self.y_eval if embed else self.y_eval[:0]
        x = x.reshape(x.shape[0], -1) if x.ndim > 2 else x   # flat in the file: [n, d]
        arrays = {
            "format": np.array(FORMAT),
            "alphas": self.alphas.astype(np.float32), "betas": self.betas.astype(np.float32),
            "loss": self.loss.astype(np.float32), "accuracy": self.accuracy.astype(np.float32),
            "theta": self.theta.astype(np.float32), "d1": self.d1.astype(np.float32),
            "d2": self.d2.astype(np.float32),
            "x_eval": x.astype(np.float32), "y_eval": y.astype(np.int32),
            "bn_stats": self.bn_stats.astype(np.float32),
            "spec": np.array(json.dumps(self.spec)),
            "layout": np.array(json.dumps(self.layout.to_json())),
            "meta": np.array(json.dumps(meta, default=json_default)),
        }
        for name, f in self.extra.items():
            for k in ("alphas", "betas", "values"):
                arrays[f"extra_{name}_{k}"] = np.asarray(f[k], np.float32)
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str) -> "Surface":
        """Read a file written by `save`; a missing, unreadable, damaged (checksum) or foreign
        file, or one whose arrays do not fit together, raises a `LandscapeError` naming it."""
        arrays = read_npz(path, FORMAT, ("alphas", "betas", "loss", "accuracy", "theta", "d1",
                                         "d2", "x_eval", "y_eval", "bn_stats", "spec", "layout",
                                         "meta"), dtypes=_DTYPES)
        extra_keys = [k for k in arrays if k.startswith("extra_") and k.endswith("_values")]
        try:
            extra = {k[6:-7]: {f: arrays[f"{k[:-7]}_{f}"] for f in ("alphas", "betas", "values")}
                     for k in extra_keys}
            for name, f in extra.items():
                if any(f[k].dtype.kind != "f" for k in f) or f["values"].shape != (
                        f["alphas"].size, f["betas"].size) or f["alphas"].ndim != 1 or f["betas"].ndim != 1:
                    raise ValueError(f"extra field {name!r} does not fit its grid")
            spec = json.loads(str(arrays["spec"]))
            meta = json.loads(str(arrays["meta"]))
            if not isinstance(spec, dict) or not isinstance(meta, dict):
                raise ValueError("spec and meta must be JSON objects")
            a, b, loss = arrays["alphas"], arrays["betas"], arrays["loss"]
            if a.size < 1 or b.size < 1 or loss.shape != (a.size, b.size) or \
                    arrays["accuracy"].shape != loss.shape:
                raise ValueError(f"loss {list(loss.shape)} and accuracy "
                                 f"{list(arrays['accuracy'].shape)} do not fit the grid "
                                 f"{a.size}×{b.size}")
            th = arrays["theta"]
            if arrays["d1"].shape != th.shape or arrays["d2"].shape != th.shape:
                raise ValueError("theta, d1 and d2 differ in size")
            xe, ye = arrays["x_eval"], arrays["y_eval"]
            if xe.ndim != 2 or ye.ndim not in (1, 2) or xe.shape[0] != ye.shape[0]:
                raise ValueError("x_eval is not [n, d] or y_eval is not [n] or [n, seq]")
            if ye.ndim == 2 and (meta.get("eval_set") or {}).get("label_shape") != [ye.shape[1]]:
                raise ValueError(f"y_eval is {list(ye.shape)} but meta eval_set label_shape "
                                 f"does not say so")
            sample = (meta.get("eval_set") or {}).get("sample_shape")
            if sample is not None and xe.shape[0]:
                if not (isinstance(sample, list) and all(isinstance(v, int) and v > 0
                                                         for v in sample)
                        and int(np.prod(sample)) == xe.shape[1]):
                    raise ValueError(f"meta eval_set sample_shape {sample!r} does not fit "
                                     f"x_eval {list(xe.shape)}")
                arrays["x_eval"] = xe.reshape((xe.shape[0],) + tuple(sample))
            bn = arrays["bn_stats"]
            if bn.size and (bn.ndim != 3 or bn.shape[1] != 2):
                raise ValueError(f"bn_stats is {list(bn.shape)}, not [n_bn, 2, width]")
            for k, kinds in _META.items():
                v = meta.get(k)
                if v is not None and (not isinstance(v, kinds) or isinstance(v, bool)):
                    raise ValueError(f"meta[{k!r}] is {v!r}")
            layout = Layout.from_json(json.loads(str(arrays["layout"])))
            stop = 0
            for p in layout.params:
                if not (isinstance(p.offset, int) and p.offset == stop and all(
                        isinstance(n, int) and n >= 0 for n in p.shape)):
                    raise ValueError("layout does not cut theta into consecutive parameters")
                stop = p.stop
            if stop != th.size:
                raise ValueError(f"layout covers {stop} parameters, theta has {th.size}")
            return cls(alphas=a, betas=b, loss=loss, accuracy=arrays["accuracy"], theta=th,
                       d1=arrays["d1"], d2=arrays["d2"], spec=spec, layout=layout,
                       x_eval=arrays["x_eval"], y_eval=arrays["y_eval"],
                       bn_stats=arrays["bn_stats"], meta=meta, extra=extra)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            raise LandscapeError(f"{path}: not a valid landscape surface file ({e})") from None




