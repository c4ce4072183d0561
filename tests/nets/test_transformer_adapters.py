"""Transformers from Flax linen, Flax NNX and Equinox through the adapters with no overrides:
embedding tables, a learned positional tensor, multi-head attention kernels whose units span
two axes, LayerNorm/RMSNorm, biases. Checked against the libraries' own calls, filter norms per
unit by numpy loops over a table of unit axes written here (not read from the layout), the
normalization parameters' treatment in random directions, the layer order, and the errors."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import landscape as ls
from landscape import planes, training
from landscape.errors import LandscapeError
from landscape.nets import Layout, layer_segments

nn = pytest.importorskip("flax.linen")
nnx = pytest.importorskip("flax.nnx")
eqx = pytest.importorskip("equinox")

V, T, D, H, C = 16, 8, 32, 4, 16  # vocabulary, sequence, width, heads, classes


def tokens(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, V, (n, T)).astype(np.int32)


# ---------------------------------------------------------------- the three transformers

class LinenBlock(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = x + nn.MultiHeadDotProductAttention(num_heads=H)(nn.LayerNorm()(x))
        # Dense_0 is built first and applied second: the order must come from use, not names
        return x + nn.Dense(D)(nn.gelu(nn.Dense(2 * D)(nn.LayerNorm()(x))))


class LinenTransformer(nn.Module):
    @nn.compact
    def __call__(self, ids):
        x = nn.Embed(V, D)(ids)
        x = x + self.param("pos", nn.initializers.normal(0.5), (T, D))[: ids.shape[1]]
        for _ in range(2):
            x = LinenBlock()(x)
        return nn.Dense(C)(nn.RMSNorm()(x).mean(1))


class NNXBlock(nnx.Module):
    def __init__(self, rngs):
        self.ln1 = nnx.LayerNorm(D, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(num_heads=H, in_features=D, decode=False, rngs=rngs)
        self.ln2 = nnx.RMSNorm(D, rngs=rngs)
        self.ffn_in = nnx.Linear(D, 2 * D, rngs=rngs)
        self.ffn_out = nnx.Linear(2 * D, D, rngs=rngs)

    def __call__(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ffn_out(jax.nn.gelu(self.ffn_in(self.ln2(x))))


class NNXTransformer(nnx.Module):
    def __init__(self, rngs):
        self.embed = nnx.Embed(V, D, rngs=rngs)
        self.pos = nnx.Param(0.5 * jax.random.normal(jax.random.key(7), (1, T, D)))
        self.blocks = nnx.List([NNXBlock(rngs) for _ in range(2)])
        self.head = nnx.Linear(D, C, rngs=rngs)

    def __call__(self, ids):
        x = self.embed(ids) + self.pos[...]
        for b in self.blocks:
            x = b(x)
        return self.head(x.mean(1))


class EqxBlock(eqx.Module):
    ln1: eqx.nn.LayerNorm
    attn: eqx.nn.MultiheadAttention
    ln2: eqx.nn.LayerNorm
    mlp: eqx.nn.MLP

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.ln1 = eqx.nn.LayerNorm(D)
        self.attn = eqx.nn.MultiheadAttention(H, D, use_query_bias=True, use_key_bias=True,
                                              use_value_bias=True, use_output_bias=True, key=k1)
        self.ln2 = eqx.nn.LayerNorm(D)
        self.mlp = eqx.nn.MLP(D, D, 2 * D, 1, activation=jax.nn.gelu, key=k2)

    def __call__(self, x):
        h = jax.vmap(self.ln1)(x)
        x = x + self.attn(h, h, h)
        return x + jax.vmap(self.mlp)(jax.vmap(self.ln2)(x))


class EqxTransformer(eqx.Module):
    embed: eqx.nn.Embedding
    pos: jax.Array
    blocks: list
    head: eqx.nn.Linear

    def __init__(self, key):
        ks = jax.random.split(key, 4)
        self.embed = eqx.nn.Embedding(V, D, key=ks[0])
        self.pos = 0.5 * jax.random.normal(ks[1], (T, D))
        self.blocks = [EqxBlock(k) for k in jax.random.split(ks[2], 2)]
        self.head = eqx.nn.Linear(D, C, key=ks[3])

    def __call__(self, ids):
        x = jax.vmap(self.embed)(ids) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(x.mean(0))


def leaf_name(path) -> tuple[str, str]:
    """(layer, name) of a pytree path, written out here rather than taken from the adapter."""
    ks = []
    for k in path:
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                ks.append(str(getattr(k, attr)))
                break
    if ks[-1] == "value":  # an NNX Variable's array
        ks = ks[:-1]
    return ("/".join(ks[:-1]) or ks[-1], ks[-1])


def from_theta(m, theta, tree):
    """``tree`` with every array leaf replaced by its slice of ``theta``, found by name."""
    def leaf(path, a):
        p = m.layout.get(*leaf_name(path))
        assert p.shape == np.shape(a)
        return jnp.asarray(theta[p.offset:p.stop].reshape(p.shape))
    return jax.tree_util.tree_map_with_path(leaf, tree)


def linen():
    mod = LinenTransformer()
    v = mod.init(jax.random.key(0), tokens(2))
    m = ls.from_flax(mod, v, tokens(2))
    return m, lambda th, x: mod.apply({"params": from_theta(m, th, v["params"])}, x)


def nnx_model():
    model = NNXTransformer(nnx.Rngs(0))
    m = ls.from_nnx(model, tokens(2))
    g, params, rest = nnx.split(model, nnx.Param, ...)
    return m, lambda th, x: nnx.merge(g, from_theta(m, th, params), rest)(x)


def equinox():
    model = EqxTransformer(jax.random.key(0))
    m = ls.from_equinox(model, tokens(2))
    params, static = eqx.partition(model, eqx.is_inexact_array)
    return m, lambda th, x: jax.vmap(eqx.combine(from_theta(m, th, params), static))(x)


MAKERS = {"linen": linen, "nnx": nnx_model, "equinox": equinox}


@pytest.fixture(scope="module", params=list(MAKERS))
def made(request):
    return request.param, *MAKERS[request.param]()


def expected_units(kind, layer, name, shape):
    """The unit axes each kind of parameter must get (the README's rules), by name."""
    if name in ("embedding",) or layer == "embed":
        return (0,)                                   # one token's row
    if name == "pos":
        return tuple(range(len(shape) - 1))           # one position's vector
    if kind != "equinox" and layer.split("/")[-1] in ("query", "key", "value"):
        return (1, 2)                                 # [d, heads, head_dim]: (head, j)
    if kind != "equinox" and layer.endswith("/out"):
        return (2,)                                   # [heads, head_dim, d]
    return (0,) if kind == "equinox" else (1,)        # Linear [out, in], Dense [in, out]


def task_for(m, seed=0):
    x = tokens(12, seed)
    y = np.arange(12, dtype=np.int32) % C
    data = ls.Dataset("tokens", x.astype(np.float32), y, x.astype(np.float32), y, C)
    return training.task_from_params(m, data, m.init(key=None))


# ---------------------------------------------------------------- the tests

def test_each_transformer_adapts_with_no_overrides_and_gets_each_rule(made):
    kind, m, _ = made
    roles = {(p.layer, p.name): p for p in m.layout.params}
    weights = [p for p in m.layout.params if p.role == "weight"]
    assert len(weights) == 1 + 1 + 2 * 6 + 1  # embed, pos, per block q k v out ffn×2, head
    for p in weights:
        assert p.out_axes == expected_units(kind, p.layer, p.name, p.shape), (p.layer, p.name)
    norms = [k for k in roles if "ln" in k[0] or "Norm" in k[0]]
    assert norms and all(roles[k].role == "bn" for k in norms)
    biases = [p for p in m.layout.params if p.role == "bias"]
    assert all("Norm" not in p.layer and "ln" not in p.layer for p in biases)
    if kind != "equinox":  # DenseGeneral's [heads, head_dim] biases are biases
        assert any(p.shape == (H, D // H) for p in biases)
    assert len(biases) == 2 * 6 + 1


def test_the_adapted_apply_is_the_models_own_call_at_any_theta(made):
    kind, m, user = made
    x = tokens(5, seed=3)
    theta = np.asarray(m.init(key=None))
    moved = theta + 0.1 * np.random.default_rng(1).standard_normal(theta.size).astype(np.float32)
    for th in (theta, moved):
        want = np.asarray(user(jnp.asarray(th), jnp.asarray(x)))
        # the data may hold token ids as float rows: the adapter casts them back
        got = np.asarray(m.apply(jnp.asarray(th), jnp.asarray(x, jnp.float32)))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert m.spec["sample_shape"] == [T] and m.spec["input_dtype"] == "int32"


def test_gradients_grouped_by_layer_equal_jax_grad_of_the_users_apply(made):
    kind, m, user = made
    x, y = jnp.asarray(tokens(4, seed=5)), jnp.arange(4) % C

    def xent(logits):
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(4), y])

    theta = jnp.asarray(m.init(key=None))
    g = np.asarray(jax.grad(lambda th: xent(m.apply(th, x)))(theta))
    g_user = np.asarray(jax.grad(lambda th: xent(user(th, x)))(theta))
    names, seg_w, seg_b = layer_segments(m.layout)  # what the panel's bars are made of
    assert names == [l for l in m.layers if "Norm" not in l and "ln" not in l]
    for seg in (seg_w, seg_b):
        for i, name in enumerate(names):
            np.testing.assert_allclose(np.linalg.norm(g[seg == i]),
                                       np.linalg.norm(g_user[seg == i]), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(g, g_user, rtol=1e-4, atol=1e-7)
    assert np.linalg.norm(g) > 0


def test_filter_norms_per_unit_by_numpy_loops(made):
    kind, m, _ = made
    task = task_for(m)
    pl = planes.random_plane(task, key=jax.random.key(4))
    checked = 0
    for p in m.layout.params:
        if p.role != "weight":
            continue
        d = pl.d1[p.offset:p.stop].reshape(p.shape)
        t = task.theta[p.offset:p.stop].reshape(p.shape)
        axes = expected_units(kind, p.layer, p.name, p.shape)
        for unit in itertools.product(*(range(p.shape[a]) for a in axes)):
            where = [slice(None)] * len(p.shape)
            for a, i in zip(axes, unit):
                where[a] = i
            du, tu = d[tuple(where)], t[tuple(where)]
            assert du.size == p.size // np.prod([p.shape[a] for a in axes])
            np.testing.assert_allclose(np.linalg.norm(du), np.linalg.norm(tu), rtol=1e-4,
                                       err_msg=f"{p.layer}/{p.name} unit {unit}")
            checked += 1
    assert checked > 400


def test_normalization_parameters_are_zero_unless_included(made):
    kind, m, _ = made
    task = task_for(m)
    bn = m.layout.mask(("bn",))
    bias = m.layout.mask(("bias",))
    assert bn.sum() >= 4 * D and bias.sum() > 0
    off = planes.random_plane(task, key=jax.random.key(2))
    on = planes.random_plane(task, key=jax.random.key(2), ignore_biasbn=False)
    for d in (off.d1, off.d2):
        assert not d[bn].any() and not d[bias].any()
    for d in (on.d1, on.d2):  # Li et al.'s convention when included: θ*'s own values
        np.testing.assert_array_equal(d[bn], task.theta[bn])
        assert np.abs(d[bn]).sum() > 0
    w = m.layout.mask(("weight",))
    np.testing.assert_array_equal(on.d1[w], off.d1[w])


def test_layers_are_ordered_by_first_use(made):
    kind, m, _ = made
    block = {"linen": ["LayerNorm_0", "MultiHeadDotProductAttention_0/query",
                       "MultiHeadDotProductAttention_0/key", "MultiHeadDotProductAttention_0/value",
                       "MultiHeadDotProductAttention_0/out", "LayerNorm_1", "Dense_1", "Dense_0"],
             "nnx": ["ln1", "attn/query", "attn/key", "attn/value", "attn/out", "ln2", "ffn_in",
                     "ffn_out"],
             "equinox": ["ln1", "attn/query_proj", "attn/key_proj", "attn/value_proj",
                         "attn/output_proj", "ln2", "mlp/layers/0", "mlp/layers/1"]}[kind]
    prefix = {"linen": "LinenBlock_{}/", "nnx": "blocks/{}/", "equinox": "blocks/{}/"}[kind]
    first, last = {"linen": (["Embed_0", "pos"], ["RMSNorm_0", "Dense_0"]),
                   "nnx": (["embed", "pos"], ["head"]),
                   "equinox": (["embed", "pos"], ["head"])}[kind]
    want = first + [prefix.format(i) + b for i in range(2) for b in block] + last
    assert list(m.layers) == want


def test_layout_with_units_over_two_axes_survives_json():
    m, _ = linen()
    rows = m.layout.to_json()
    q = next(r for r in rows if r["layer"].endswith("query") and r["name"] == "kernel")
    assert q["out_axes"] == [1, 2] and q["out_axis"] == 1
    assert all("out_axes" not in r for r in rows if r["name"] == "bias")  # single axis: as before
    back = Layout.from_json(rows)
    assert back == m.layout


def test_embedding_by_one_hot_matmul_and_heads_by_einsum():
    def apply_fn(p, x):
        h = jax.nn.one_hot(x.astype(jnp.int32), V) @ p["embed"]["table"]          # [n, T, D]
        h = jnp.einsum("ntd,dhk->nthk", h, p["attn"]["w"])                       # [n, T, H, k]
        return h.reshape(h.shape[0], -1) @ p["head"]["w"]

    params = {"embed": {"table": jnp.ones((V, D))}, "attn": {"w": jnp.ones((D, H, 8))},
              "head": {"w": jnp.ones((T * H * 8, C))}}
    m = ls.from_apply_fn(apply_fn, params, tokens(2))
    got = {p.layer: p.out_axes for p in m.layout.params}
    assert got == {"embed": (0,), "attn": (1, 2), "head": (1,)}
    assert m.layers == ("embed", "attn", "head")


class Gated(nn.Module):
    @nn.compact
    def __call__(self, ids):
        x = nn.Embed(V, D)(ids)
        gate = self.param("gate", nn.initializers.normal(1.0), (T, H, D // H))
        x = (x.reshape(x.shape[:2] + (H, D // H)) * gate).reshape(x.shape)  # fits no rule
        return nn.Dense(C)(x.mean(1))


def test_a_parameter_that_fits_no_rule_is_one_line_naming_it_and_out_axes():
    mod = Gated()
    v = mod.init(jax.random.key(0), tokens(2))
    with pytest.raises(LandscapeError) as e:
        ls.from_flax(mod, v, tokens(2))
    msg = str(e.value)
    assert "\n" not in msg and "'gate'" in msg and "(8, 4, 8)" in msg and "'mul'" in msg
    assert "out_axes={'gate'" in msg and "tuple of axes" in msg


def test_out_axes_takes_a_tuple_of_axes_and_checks_them():
    mod = Gated()
    v = mod.init(jax.random.key(0), tokens(2))
    m = ls.from_flax(mod, v, tokens(2), out_axes={"gate": (1, 2)})
    p = m.layout.get("gate", "gate")
    assert p.role == "weight" and p.out_axes == (1, 2) and p.n_units == H * (D // H)
    d = planes.normalize(np.random.default_rng(0).standard_normal(m.n_params).astype(np.float32),
                         np.asarray(m.init(key=None)), m.layout)
    g, t = d[p.offset:p.stop].reshape(p.shape), np.asarray(v["params"]["gate"])
    for h in range(H):
        for j in range(D // H):
            np.testing.assert_allclose(np.linalg.norm(g[:, h, j]), np.linalg.norm(t[:, h, j]),
                                       rtol=1e-4)
    assert ls.from_flax(mod, v, tokens(2), out_axes={"gate": -1}).layout.get("gate", "gate").out_axes == (2,)
    for bad, words in [((1, 3), "axis 3 is out of range for shape (8, 4, 8)"),
                       ((1, 1), "names an axis twice"), ("x", "an axis or a tuple of axes"),
                       ((), "an axis or a tuple of axes")]:
        with pytest.raises(LandscapeError, match=words.replace("(", r"\(").replace(")", r"\)")):
            ls.from_flax(mod, v, tokens(2), out_axes={"gate": bad})
    with pytest.raises(LandscapeError, match="out_axes names no parameter 'nope'"):
        ls.from_flax(mod, v, tokens(2), out_axes={"nope": 0})


def test_surface_of_a_linen_transformer_is_its_own_apply_point_by_point():
    m, user = linen()
    task = task_for(m)
    pl = planes.random_plane(task, key=jax.random.key(5))
    s = ls.compute_surface(task, pl, span=0.6, resolution=3, progress=False)
    x, y = jnp.asarray(tokens(12, 0)), jnp.arange(12) % C
    for i, j in [(0, 0), (1, 1), (2, 0)]:
        th = task.theta + s.alphas[i] * pl.d1 + s.betas[j] * pl.d2
        logits = user(jnp.asarray(th), x)
        want = float(-jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(12), y]))
        np.testing.assert_allclose(s.loss[i, j], want, rtol=2e-5)
    assert len(set(np.round(s.loss.ravel(), 4))) > 3  # the plane moves the loss


def test_stacked_blocks_under_scan_keep_the_stacked_axis_as_units():
    def apply_fn(p, x):
        h = x @ p["inp"]["w"]                                                    # [n, D]
        h, _ = jax.lax.scan(lambda c, w: (jnp.tanh(c @ w), None), h, p["stack"]["w"])
        return h @ p["head"]["w"]

    k = jax.random.split(jax.random.key(0), 3)
    params = {"inp": {"w": jax.random.normal(k[0], (T, D))},
              "stack": {"w": jax.random.normal(k[1], (3, D, D))},               # [L, in, out]
              "head": {"w": jax.random.normal(k[2], (D, C))}}
    m = ls.from_apply_fn(apply_fn, params, np.ones((2, T), np.float32))
    assert m.layers == ("inp", "stack", "head")
    assert m.layout.get("stack", "w").out_axes == (0, 2)  # block l's column j: w[l, :, j]
