"""The flat parameter vector and how it maps onto named layers.

Every model's parameters live in one flat float32 vector θ, so that a point of the plane is
plain arithmetic, ``θ* + a·d1 + b·d2``. A `Layout` records, in order from input to output,
each parameter's layer, name, role, shape and slice of θ. It is JSON-serializable and is saved
inside every surface file, so anyone can cut a saved θ back into arrays with numpy alone.

Roles:
  ``weight``  a dense or conv kernel, an embedding table or a free tensor (a learned positional
              embedding); its ``out_axes`` index its output units (filters), one unit being one
              index over all of them, its slice spanning the other axes: what filter
              normalization rescales. ``(-1,)`` for the built-in ``[in, out]`` and
              ``[kh, kw, c_in, c_out]`` kernels, ``(0,)`` for Equinox's ``[out, in]`` and
              ``[out, in, kh, kw]`` and for an embedding table ``[vocab, d]`` (a unit is one
              token's row), ``(1, 2)`` for an attention kernel ``[d, heads, head_dim]``.
              ``out_axis`` is the first of them.
  ``bias``    a bias ``[out]`` (or ``[heads, head_dim]``, or Equinox's conv ``[out, 1, 1]``).
  ``bn``      a normalization layer's scale or shift ``[out]`` (batch, layer or RMS norm).
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
    out_axes: tuple[int, ...] = ()

    @property
    def out_axis(self) -> int:
        """The first output axis (``-1`` for a scalar)."""
        return self.out_axes[0] if self.out_axes else -1

    @property
    def n_units(self) -> int:
        """Output units (filters): the product of the output axes' sizes."""
        return math.prod(self.shape[a] for a in self.out_axes)

    def units(self, a: np.ndarray) -> np.ndarray:
        """This parameter's flat entries ``a`` as ``[n_units, entries per unit]``: row ``u``
        is unit ``u``'s slice (output axes first, in order, then the other axes)."""
        rest = [i for i in range(len(self.shape)) if i not in self.out_axes]
        return np.transpose(np.reshape(a, self.shape), self.out_axes + tuple(rest)).reshape(
            self.n_units, -1)

    def from_units(self, rows: np.ndarray) -> np.ndarray:
        """Inverse of `units`: ``[n_units, k]`` rows back to flat entries."""
        order = self.out_axes + tuple(i for i in range(len(self.shape)) if i not in self.out_axes)
        moved = np.reshape(rows, tuple(self.shape[i] for i in order))
        return np.transpose(moved, np.argsort(order)).reshape(-1)

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
        """``entries``: iterable of ``(layer, name, role, shape[, out_axes])`` in input → output
        order; ``out_axes`` is an axis or a tuple of axes, default -1 (the last)."""
        out, off = [], 0
        for layer, name, role, shape, *rest in entries:
            shape = tuple(int(s) for s in shape)
            p = Param(layer, name, role, shape, off, _axes(rest[0] if rest else -1, shape))
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
        """One row per parameter; ``out_axes`` appears only where a unit spans several axes
        (``out_axis`` is then the first), so files of single-axis models are as before."""
        rows = []
        for p in self.params:
            r = {"layer": p.layer, "name": p.name, "role": p.role, "shape": list(p.shape),
                 "offset": p.offset, "size": p.size, "out_axis": p.out_axis}
            if len(p.out_axes) > 1:
                r["out_axes"] = list(p.out_axes)
            rows.append(r)
        return rows

    @classmethod
    def from_json(cls, rows) -> "Layout":
        """Rows of `to_json`; files from before ``out_axis`` was recorded get the last axis."""
        out = []
        for r in rows:
            shape = tuple(r["shape"])
            ax = r.get("out_axes", r.get("out_axis", -1))
            out.append(Param(r["layer"], r["name"], r["role"], shape, r["offset"], _axes(ax, shape)))
        return cls(tuple(out))


def _axes(ax, shape) -> tuple[int, ...]:
    """An axis or axes (negative from the end) as sorted non-negative ones; ``()`` for a scalar."""
    if not shape:
        return ()
    items = ax if isinstance(ax, (tuple, list)) else (ax,)
    return tuple(sorted(int(a) % len(shape) for a in items))
