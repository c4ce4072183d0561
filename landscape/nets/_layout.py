"""The flat parameter vector and how it maps onto named layers.

Every model's parameters live in one flat float32 vector θ, so that a point of the plane is
plain arithmetic, ``θ* + a·d1 + b·d2``. A `Layout` records, in order from input to output,
each parameter's layer, name, role, shape and slice of θ. It is JSON-serializable and is saved
inside every surface file, so anyone can cut a saved θ back into arrays with numpy alone.

Roles:
  ``weight``  a dense or conv kernel; its ``out_axis`` indexes output units (filters), the axis
              filter normalization rescales along: the last for the built-in ``[in, out]`` and
              ``[kh, kw, c_in, c_out]`` kernels, 0 for Equinox's ``[out, in]``/``[out, in, kh, kw]``.
  ``bias``    a bias vector ``[out]``.
  ``bn``      a batch-norm scale or shift ``[out]``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Param:
    layer: str
    name: str
    role: str
    shape: tuple[int, ...]
    offset: int
    out_axis: int = -1

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def stop(self) -> int:
        return self.offset + self.size


@dataclasses.dataclass(frozen=True)
class Layout:
    """Ordered parameters of a model (input → output) and their slices of the flat θ."""

    params: tuple[Param, ...]

    @classmethod
    def build(cls, entries) -> "Layout":
        """``entries``: iterable of ``(layer, name, role, shape[, out_axis])`` in input → output
        order (``out_axis`` defaults to -1, the last)."""
        out, off = [], 0
        for layer, name, role, shape, *rest in entries:
            shape = tuple(int(s) for s in shape)
            ax = int(rest[0]) if rest else -1
            if shape and ax < 0:
                ax += len(shape)
            p = Param(layer, name, role, shape, off, ax if shape else -1)
            out.append(p)
            off = p.stop
        return cls(tuple(out))

    @property
    def size(self) -> int:
        return self.params[-1].stop if self.params else 0

    @property
    def layers(self) -> tuple[str, ...]:
        seen: list[str] = []
        for p in self.params:
            if p.layer not in seen:
                seen.append(p.layer)
        return tuple(seen)

    def get(self, layer: str, name: str) -> Param:
        for p in self.params:
            if p.layer == layer and p.name == name:
                return p
        raise KeyError(f"{layer}.{name}")

    def unflatten(self, theta) -> dict[str, dict[str, object]]:
        """Cut a flat vector (numpy or jax) into ``{layer: {name: array}}``."""
        out: dict[str, dict[str, object]] = {}
        for p in self.params:
            out.setdefault(p.layer, {})[p.name] = theta[p.offset:p.stop].reshape(p.shape)
        return out

    def flatten(self, tree: dict) -> np.ndarray:
        """Inverse of `unflatten` (numpy)."""
        return np.concatenate([np.asarray(tree[p.layer][p.name], np.float32).reshape(-1)
                               for p in self.params]) if self.params else np.zeros(0, np.float32)

    def mask(self, roles) -> np.ndarray:
        """Boolean ``[size]`` mask of the entries whose role is in ``roles``."""
        m = np.zeros(self.size, bool)
        for p in self.params:
            if p.role in roles:
                m[p.offset:p.stop] = True
        return m

    def segments(self, roles=("weight",)) -> tuple[list[str], np.ndarray]:
        """Layer names having a param of ``roles``, and a ``[size]`` int index of the layer
        each entry belongs to (``-1`` for entries of other roles): what a layer index counts."""
        names: list[str] = []
        seg = np.full(self.size, -1, np.int32)
        for p in self.params:
            if p.role in roles:
                if p.layer not in names:
                    names.append(p.layer)
                seg[p.offset:p.stop] = names.index(p.layer)
        return names, seg

    def to_json(self) -> list[dict]:
        return [{"layer": p.layer, "name": p.name, "role": p.role, "shape": list(p.shape),
                 "offset": p.offset, "size": p.size, "out_axis": p.out_axis} for p in self.params]

    @classmethod
    def from_json(cls, rows) -> "Layout":
        """Rows of `to_json`; files from before ``out_axis`` was recorded get the last axis."""
        out = []
        for r in rows:
            shape = tuple(r["shape"])
            ax = int(r.get("out_axis", -1))
            out.append(Param(r["layer"], r["name"], r["role"], shape, r["offset"],
                             ax + len(shape) if shape and ax < 0 else ax))
        return cls(tuple(out))
