"""Choosing layers by index or name: what ``--layers 0``, ``layers=(8, 9)`` and
``frozen_layers=`` count.

A layer index counts the layers that have a weight tensor, input → output, from 0 (for the
built-in MLP, ``dense_0`` … ``dense_L``; for the CNN, ``conv_0`` … then ``dense_K``); a negative
index counts from the output (``-1`` is the last layer); a layer's name works too.
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError
from landscape.nets._layout import Layout


def weight_layers(layout: Layout) -> list[str]:
    """Names of the layers that have a weight tensor, input → output: what a layer index
    (``layers=(0,)``, ``--layers 0``) counts."""
    return layout.segments(("weight",))[0]


def resolve_layers(layout: Layout, layers) -> tuple[int, ...]:
    """Layer indices (0-based over `weight_layers`, input → output; negative ones count from
    the output, ``-1`` being the last) or names, as sorted non-negative indices.

    An empty list, an empty entry, an unknown name, an index out of range or a layer named
    twice raises a `LandscapeError` naming the valid range and the layer names.
    """
    names = weight_layers(layout)
    L = len(names)
    valid = f"this network has {L} weight layers, 0..{L - 1} (input → output): {', '.join(names)}"
    if isinstance(layers, (int, np.integer, str)):
        layers = (layers,)
    items = list(layers)
    if not items:
        raise LandscapeError(f"the layer list is empty; {valid}")
    out: list[int] = []
    for v in items:
        text = str(v).strip()
        if isinstance(v, (bool, np.bool_)) or text == "":
            raise LandscapeError(f"bad layer {v!r} in the layer list; {valid}")
        if isinstance(v, (int, np.integer)) or text.lstrip("+-").isdigit():
            i = int(text)
            if not -L <= i < L:
                raise LandscapeError(f"layer {i} is out of range; {valid}")
            i %= L
        elif text in names:
            i = names.index(text)
        else:
            raise LandscapeError(f"no layer named {text!r}; {valid}")
        if i in out:
            raise LandscapeError(f"layer {names[i]} (index {i}) is listed twice")
        out.append(i)
    return tuple(sorted(out))


def layer_mask(layout: Layout, layers) -> np.ndarray:
    """Boolean ``[P]``: the entries of θ (weights, biases, batch norm) of the given layers."""
    names = weight_layers(layout)
    keep = {names[i] for i in resolve_layers(layout, layers)}
    m = np.zeros(layout.size, bool)
    for p in layout.params:
        if p.layer in keep:
            m[p.offset:p.stop] = True
    return m
