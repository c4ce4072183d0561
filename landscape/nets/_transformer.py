"""The built-in transformer on a flat parameter vector: token and learned positional
embeddings, blocks of multi-head self-attention and a feed-forward layer with LayerNorm before
(``pre``) or after (``post``) each, residual connections that can be switched off, and a
readout at the last position (one label per sequence) or at every position.

Layers, input → output (the order they are applied, the order of the gradient panel):
``embed`` (``tok [vocab, d]``, ``pos [seq, d]``), then per block ``i`` from 0
``block_i/ln1``, ``attn_q``, ``attn_k``, ``attn_v``, ``attn_out``, ``block_i/ln2``,
``ffn_in``, ``ffn_out`` (pre-norm; post-norm applies ``ln1`` after the attention and ``ln2``
after the feed-forward), ``ln_f`` (pre-norm only: the final LayerNorm) and ``head``.

Units, for filter-normalized directions: a dense kernel ``[in, out]`` has one unit per output
index (``out_axis`` last; the attention kernels' output index runs over heads × head size);
an embedding table has one unit per row (a token's vector, a position's vector: ``out_axis``
0). LayerNorm scales and shifts have the role ``bn``: zero in random directions by default,
as batch norm's (Li et al.).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from landscape.errors import LandscapeError, choice
from landscape.nets._blocks import ACTIVATIONS, INITS, initial_theta
from landscape.nets._layout import Layout
from landscape.nets._model import Model

LN_EPS = 1e-5
NORM_POSITIONS = ("pre", "post")
READOUTS = ("last", "all")
#: the feed-forward layer is this many times the model width
FFN_MULT = 4


def layer_norm(h, scale, shift):
    """LayerNorm over the last axis (biased variance, `LN_EPS`)."""
    mu = jnp.mean(h, -1, keepdims=True)
    var = jnp.mean((h - mu) ** 2, -1, keepdims=True)
    return (h - mu) * jax.lax.rsqrt(var + LN_EPS) * scale + shift


def default_heads(width: int) -> int:
    """4 heads, or the most of 2 and 1 that divides ``width``."""
    return next(h for h in (4, 2, 1) if width % h == 0)


def transformer(widths=(64, 64), *, vocab: int, seq_len: int, n_out: int,
                heads: int | None = None, norm_position: str = "pre", residual: bool = True,
                activation: str = "gelu", init: str = "xavier", init_scale: float = 1.0,
                causal: bool = False, readout: str = "last") -> Model:
    """A transformer on token ids ``x [n, seq_len]`` (integers in ``[0, vocab)``; float
    arrays holding whole numbers are accepted, as the pipeline keeps evaluation sets float32).

    Args:
      widths: the model width of each block, all equal (``(64,) * 6``: 6 blocks of d = 64).
      vocab, seq_len: token vocabulary and sequence length; n_out: classes.
      heads: attention heads (must divide the width; default `default_heads`).
      norm_position: ``"pre"`` (``h + f(LN(h))``, and a final LayerNorm) or ``"post"``
        (``LN(h + f(h))``, the original transformer's).
      residual: ``False`` drops the ``h +`` of both sublayers of every block.
      activation: the feed-forward layer's (``gelu``, ``relu``, any of `ACTIVATIONS`).
      init: the kernels' and embeddings' initialization (fan-in and fan-out of a kernel; the
        width for both of an embedding); biases and LayerNorm shifts 0, scales 1.
      causal: each position attends only to itself and earlier ones.
      readout: ``"last"``: logits ``[n, n_out]`` from the last position; ``"all"``: logits
        ``[n, seq_len, n_out]``, one per position.

    >>> m = transformer((16, 16), vocab=8, seq_len=3, n_out=7, heads=2)
    >>> m.layers[:3], m.layers[-1]
    (('embed', 'block_0/ln1', 'block_0/attn_q'), 'head')
    """
    widths, heads, vocab, seq_len, n_out = _checked(
        widths, heads, norm_position, activation, init, readout, init_scale, vocab, seq_len,
        n_out)
    d, n_blocks, pre = widths[0], len(widths), norm_position == "pre"
    layout = transformer_layout(d, n_blocks, vocab=vocab, seq_len=seq_len, n_out=n_out,
                                pre=pre)
    net = _Forward(layout, n_blocks=n_blocks, seq_len=seq_len, heads=heads, pre=pre,
                   residual=residual, act=ACTIVATIONS[activation], causal=causal,
                   readout=readout)
    f = FFN_MULT * d
    per_block = seq_len * (4 * d * d + 2 * d * f) + 2 * heads * seq_len * seq_len * (d // heads)
    n_read = 1 if readout == "last" else seq_len
    spec = {"kind": "transformer", "widths": list(widths), "vocab": vocab, "seq_len": seq_len,
            "n_out": n_out, "heads": heads, "norm_position": norm_position,
            "residual": bool(residual), "activation": activation, "init": init,
            "init_scale": float(init_scale), "causal": bool(causal), "readout": readout,
            "ffn_mult": FFN_MULT, "ln_eps": LN_EPS, "batchnorm": False, "skip": bool(residual),
            "output": "softmax", "sample_shape": [seq_len], "n_tokens": vocab}
    return Model(spec=spec, layout=layout, output="softmax",
                 macs_per_sample=n_blocks * per_block + n_read * d * n_out + seq_len * d,
                 init_fn=_initializer(layout, init, init_scale, d), first_fn=net.first,
                 head_fn=net.head, apply_fn=net.apply, first_macs=seq_len * d)


def _checked(widths, heads, norm_position, activation, init, readout, init_scale, vocab,
             seq_len, n_out):
    """The arguments checked, each error one line: ``(widths, heads, vocab, seq_len, n_out)``
    as integers."""
    widths = tuple(int(w) for w in widths)
    if not widths or any(w <= 0 for w in widths):
        raise LandscapeError(f"widths must be one or more positive integers, got {list(widths)}")
    if len(set(widths)) != 1:
        raise LandscapeError(f"a transformer's blocks all have one width (the residual stream); "
                             f"got widths {','.join(map(str, widths))}: give one number per "
                             f"block, all equal (e.g. {widths[0]},{widths[0]})")
    d = widths[0]
    heads = default_heads(d) if heads is None else heads
    if isinstance(heads, bool) or int(heads) != heads or heads < 1 or d % int(heads):
        raise LandscapeError(f"--heads must be a whole number that divides the width {d}, "
                             f"got {heads}")
    choice("norm position", norm_position, NORM_POSITIONS)
    choice("activation", activation, ACTIVATIONS)
    choice("init", init, INITS)
    choice("readout", readout, READOUTS)
    if not (math.isfinite(init_scale) and init_scale > 0):
        raise LandscapeError(f"init scale must be a positive number, got {init_scale}")
    for name, v in (("vocabulary", vocab), ("sequence length", seq_len), ("classes", n_out)):
        if int(v) != v or v < 1:
            raise LandscapeError(f"the {name} must be a positive whole number, got {v}")
    return widths, int(heads), int(vocab), int(seq_len), int(n_out)


def transformer_layout(d: int, n_blocks: int, *, vocab: int, seq_len: int, n_out: int,
                       pre: bool = True) -> Layout:
    """The parameters in the order they are applied (see the module's docstring)."""
    f = FFN_MULT * d

    def ln(name):
        return [(name, "scale", "bn", (d,)), (name, "shift", "bn", (d,))]

    def dense(name, n_in, n_o):
        return [(name, "w", "weight", (n_in, n_o)), (name, "b", "bias", (n_o,))]

    entries = [("embed", "tok", "weight", (vocab, d), 0), ("embed", "pos", "weight", (seq_len, d), 0)]
    for i in range(n_blocks):
        b = f"block_{i}/"
        attn = [e for s in ("attn_q", "attn_k", "attn_v", "attn_out") for e in dense(b + s, d, d)]
        ffn = dense(b + "ffn_in", d, f) + dense(b + "ffn_out", f, d)
        entries += (ln(b + "ln1") + attn + ln(b + "ln2") + ffn) if pre else \
            (attn + ln(b + "ln1") + ffn + ln(b + "ln2"))
    if pre:
        entries += ln("ln_f")
    entries += dense("head", d, n_out)
    return Layout.build(entries)


def _initializer(layout: Layout, init: str, init_scale: float, d: int):
    """θ's initial values: kernels and embeddings from ``init`` (an embedding's fan-in and
    fan-out are both the width), LayerNorm scales 1, biases and shifts 0."""

    def init_fn(key):
        return initial_theta(layout, jax.random.split(key, len(layout.params)), init,
                             init_scale, lambda p: (d, d) if p.layer == "embed" else p.shape)

    return init_fn


class _Forward:
    """The forward pass on a flat θ: `first` (the embeddings, linear in θ), `head` (the blocks
    and the readout) and `apply` (both)."""

    def __init__(self, layout, *, n_blocks, seq_len, heads, pre, residual, act, causal,
                 readout):
        self.layout, self.n_blocks, self.seq_len, self.heads = layout, n_blocks, seq_len, heads
        self.pre, self.residual, self.act, self.readout = pre, residual, act, readout
        self.mask = jnp.tril(jnp.ones((seq_len, seq_len), bool)) if causal else None

    def tokens(self, x):
        x = jnp.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.seq_len:
            raise LandscapeError(f"the transformer takes token ids [n, {self.seq_len}], got "
                                 f"{list(x.shape)}")
        return x.astype(jnp.int32)

    def first(self, theta, x):
        """Token plus positional embedding ``[n, seq, d]``: linear in θ."""
        E = self.layout.unflatten(theta)["embed"]
        return E["tok"][self.tokens(x)] + E["pos"]

    def attention(self, P, b, h):
        n, d = h.shape[0], h.shape[-1]
        dh = d // self.heads
        q, k, v = ((h @ P[b + s]["w"] + P[b + s]["b"]).reshape(n, self.seq_len, self.heads, dh)
                   for s in ("attn_q", "attn_k", "attn_v"))
        s = jnp.einsum("nqhc,nkhc->nhqk", q, k) / math.sqrt(dh)
        if self.mask is not None:
            s = jnp.where(self.mask, s, -jnp.inf)
        o = jnp.einsum("nhqk,nkhc->nqhc", jax.nn.softmax(s, -1), v).reshape(n, self.seq_len, d)
        return o @ P[b + "attn_out"]["w"] + P[b + "attn_out"]["b"]

    def ffn(self, P, b, h):
        u = self.act(h @ P[b + "ffn_in"]["w"] + P[b + "ffn_in"]["b"])
        return u @ P[b + "ffn_out"]["w"] + P[b + "ffn_out"]["b"]

    def head(self, theta, z, bn_stats=None, bn_mode="batch"):
        P = self.layout.unflatten(theta)
        h = z
        for i in range(self.n_blocks):
            b = f"block_{i}/"
            for sub, norm in ((self.attention, "ln1"), (self.ffn, "ln2")):
                L = P[b + norm]
                if self.pre:
                    u = sub(P, b, layer_norm(h, L["scale"], L["shift"]))
                    h = h + u if self.residual else u
                else:
                    u = sub(P, b, h)
                    h = layer_norm(h + u if self.residual else u, L["scale"], L["shift"])
        if self.pre:
            h = layer_norm(h, P["ln_f"]["scale"], P["ln_f"]["shift"])
        if self.readout == "last":
            h = h[:, -1]
        return h @ P["head"]["w"] + P["head"]["b"]

    def apply(self, theta, x, bn_stats=None, bn_mode="batch"):
        return self.head(theta, self.first(theta, x), bn_stats, bn_mode)
