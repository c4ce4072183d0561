"""The built-in transformer (issue 21): its forward pass against a hand-written numpy one on the
same parameters (pre- and post-norm, with and without residuals, causal or not, both
readouts), its layers and units, the sequence tasks' labels, and the CLI end to end."""

import json
import math
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from cli_errors import one_line_error

import landscape as ls
from landscape import data as data_mod
from landscape.nets import sample_losses
from landscape.pipeline import LandscapeConfig

# ------------------------------------------------------------------ an independent forward pass


def np_layer_norm(h, g, b, eps=1e-5):
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    return (h - mu) / np.sqrt(var + eps) * g + b


def np_gelu(z):  # tanh approximation, as jax.nn.gelu
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))


def np_transformer(P, tokens, *, n_blocks, heads, pre, residual, causal, readout, act):
    """One sample at a time, one head at a time, float64: the textbook transformer."""
    out = []
    for seq in tokens:
        T = len(seq)
        h = np.stack([P["embed"]["tok"][t] + P["embed"]["pos"][i] for i, t in enumerate(seq)])
        for i in range(n_blocks):
            b = f"block_{i}/"

            def attn(u):
                d = u.shape[1]
                dh = d // heads
                q = u @ P[b + "attn_q"]["w"] + P[b + "attn_q"]["b"]
                k = u @ P[b + "attn_k"]["w"] + P[b + "attn_k"]["b"]
                v = u @ P[b + "attn_v"]["w"] + P[b + "attn_v"]["b"]
                o = np.zeros((T, d))
                for hd in range(heads):
                    c = slice(hd * dh, (hd + 1) * dh)
                    for t in range(T):
                        keys = range(t + 1) if causal else range(T)
                        s = np.array([q[t, c] @ k[j, c] / math.sqrt(dh) for j in keys])
                        w = np.exp(s - s.max())
                        w /= w.sum()
                        o[t, c] = sum(w[n] * v[j, c] for n, j in enumerate(keys))
                return o @ P[b + "attn_out"]["w"] + P[b + "attn_out"]["b"]

            def ffn(u):
                z = u @ P[b + "ffn_in"]["w"] + P[b + "ffn_in"]["b"]
                return act(z) @ P[b + "ffn_out"]["w"] + P[b + "ffn_out"]["b"]

            for f, ln in ((attn, "ln1"), (ffn, "ln2")):
                g, s = P[b + ln]["scale"], P[b + ln]["shift"]
                if pre:
                    u = f(np_layer_norm(h, g, s))
                    h = h + u if residual else u
                else:
                    u = f(h)
                    h = np_layer_norm(h + u if residual else u, g, s)
        if pre:
            h = np_layer_norm(h, P["ln_f"]["scale"], P["ln_f"]["shift"])
        if readout == "last":
            h = h[-1]
        out.append(h @ P["head"]["w"] + P["head"]["b"])
    return np.stack(out)


def make(pre=True, residual=True, causal=False, readout="last", activation="gelu", blocks=2):
    return ls.transformer((8,) * blocks, vocab=6, seq_len=4, n_out=5, heads=2,
                          norm_position="pre" if pre else "post", residual=residual,
                          activation=activation, causal=causal, readout=readout)


def params(m, seed=0):
    """Initial θ plus noise everywhere, so LayerNorm scales and shifts and biases matter."""
    th = np.asarray(m.init(key=jax.random.key(seed)), np.float64)
    return th + 0.3 * np.random.default_rng(seed).normal(size=th.shape)


TOKENS = np.random.default_rng(1).integers(0, 6, (5, 4))


def ours(m, th):
    return np.asarray(m.apply(np.asarray(th, np.float32), TOKENS), np.float64)


def theirs(m, th, tokens=TOKENS):
    P = m.layout.unflatten(th)
    s = m.spec
    act = np_gelu if s["activation"] == "gelu" else (lambda z: np.maximum(z, 0))
    return np_transformer(P, tokens, n_blocks=len(s["widths"]), heads=s["heads"],
                          pre=s["norm_position"] == "pre", residual=s["residual"],
                          causal=s["causal"], readout=s["readout"], act=act)


@pytest.mark.parametrize("pre", [True, False])
@pytest.mark.parametrize("residual", [True, False])
def test_forward_pass_equals_a_hand_written_one(pre, residual):
    m = make(pre=pre, residual=residual)
    th = params(m)
    np.testing.assert_allclose(ours(m, th), theirs(m, th), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("causal,readout,activation", [(True, "last", "relu"),
                                                        (False, "all", "gelu"),
                                                        (True, "all", "relu")])
def test_causal_mask_and_per_position_readout_match_by_hand(causal, readout, activation):
    m = make(causal=causal, readout=readout, activation=activation)
    th = params(m, 3)
    got = ours(m, th)
    assert got.shape == ((5, 4, 5) if readout == "all" else (5, 5))
    np.testing.assert_allclose(got, theirs(m, th), rtol=2e-4, atol=2e-5)


def test_pre_and_post_norm_and_residuals_change_the_function():
    pre, post, flat = make(pre=True), make(pre=False), make(pre=True, residual=False)
    th = params(pre)
    th_post = post.layout.flatten(pre.layout.unflatten(th))  # the same weights, minus ln_f
    assert pre.n_params == post.n_params + 2 * 8 == flat.n_params
    a, b, c = ours(pre, th), ours(post, th_post), ours(flat, th)
    assert np.abs(a - b).max() > 1e-2       # where LayerNorm sits changes the function
    assert np.abs(a - c).max() > 1e-2       # so does the residual stream
    # and each is its own hand-written version
    np.testing.assert_allclose(b, theirs(post, th_post.astype(np.float64)), rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(c, theirs(flat, th), rtol=2e-4, atol=2e-5)


def test_causal_attention_ignores_later_tokens():
    m = make(causal=True, readout="all")
    th = np.asarray(params(m), np.float32)
    x = TOKENS.copy()
    y = x.copy()
    y[:, -1] = (y[:, -1] + 1) % 6
    a, b = np.asarray(m.apply(th, x)), np.asarray(m.apply(th, y))
    np.testing.assert_array_equal(a[:, :-1], b[:, :-1])
    assert np.abs(a[:, -1] - b[:, -1]).max() > 1e-3


def test_layers_are_named_in_the_order_they_are_applied():
    pre = make(blocks=2)
    assert pre.layers == ("embed", "block_0/ln1", "block_0/attn_q", "block_0/attn_k",
                          "block_0/attn_v", "block_0/attn_out", "block_0/ln2", "block_0/ffn_in",
                          "block_0/ffn_out", "block_1/ln1", "block_1/attn_q", "block_1/attn_k",
                          "block_1/attn_v", "block_1/attn_out", "block_1/ln2", "block_1/ffn_in",
                          "block_1/ffn_out", "ln_f", "head")
    post = make(pre=False, blocks=1)
    assert post.layers == ("embed", "block_0/attn_q", "block_0/attn_k", "block_0/attn_v",
                           "block_0/attn_out", "block_0/ln1", "block_0/ffn_in",
                           "block_0/ffn_out", "block_0/ln2", "head")
    # the gradient panel counts the layers with weights
    assert ls.nets.weight_layers(pre.layout)[:3] == ["embed", "block_0/attn_q", "block_0/attn_k"]
    assert {p.role for p in pre.layout.params if "/ln" in p.layer or p.layer == "ln_f"} == {"bn"}
    # --layers takes these names (and indices over the weight layers)
    assert ls.nets.resolve_layers(pre.layout, ("block_1/attn_q", "head", 0)) == (0, 7, 13)


def test_filter_normalized_directions_per_unit():
    d = data_mod.modular(5, seed=0)
    m = LandscapeConfig(dataset="modular", modulus=5, model="transformer", widths=(8,),
                        heads=2).build_model(d)
    th = np.asarray(params(m), np.float32)
    task = ls.training.task_from_params(m, d, th)
    plane = ls.random_plane(task, key=jax.random.key(4))
    T, D = m.layout.unflatten(th), m.layout.unflatten(plane.d1)
    for p in m.layout.params:
        t, v = np.asarray(T[p.layer][p.name], np.float64), np.asarray(D[p.layer][p.name], np.float64)
        if p.role != "weight":
            assert not v.any(), (p.layer, p.name)       # biases and LayerNorm: zero
        elif p.layer == "embed":                        # a unit is a row (a token, a position)
            np.testing.assert_allclose(np.linalg.norm(v, axis=1), np.linalg.norm(t, axis=1), rtol=1e-4)
        else:                                           # a unit is one output index
            np.testing.assert_allclose(np.linalg.norm(v, axis=0), np.linalg.norm(t, axis=0), rtol=1e-4)


def test_bad_widths_and_heads_are_one_line_errors():
    with pytest.raises(ls.LandscapeError, match="all equal"):
        ls.transformer((16, 8), vocab=5, seq_len=3, n_out=4)
    with pytest.raises(ls.LandscapeError, match="divides the width 16"):
        ls.transformer((16,), vocab=5, seq_len=3, n_out=4, heads=3)
    with pytest.raises(ls.LandscapeError, match="norm position"):
        ls.transformer((16,), vocab=5, seq_len=3, n_out=4, norm_position="middle")


# ------------------------------------------------------------------ the sequence tasks


def test_modular_labels_and_a_disjoint_split():
    p = 11
    d = data_mod.modular(p, seed=3)
    for (a, b, eq), y in zip(np.concatenate([d.x, d.x_test]).tolist(),
                             np.concatenate([d.y, d.y_test]).tolist()):
        assert eq == p and 0 <= a < p and 0 <= b < p
        assert y == (a + b) % p
    train = {tuple(r) for r in d.x.tolist()}
    test = {tuple(r) for r in d.x_test.tolist()}
    assert not train & test
    assert len(train) + len(test) == p * p == len(train | test)
    assert abs(len(train) - p * p / 2) <= 1
    assert d.n_tokens == p + 1 and d.n_classes == p and d.x_eval is d.x
    assert d.x.dtype == np.int32 and d.sample_shape == (3,)
    other = data_mod.modular(p, seed=4)
    assert {tuple(r) for r in other.x.tolist()} != train     # the seed picks the split


@pytest.mark.parametrize("name,rule", [("reverse", lambda s: list(reversed(s))),
                                       ("sort", sorted)])
def test_reverse_and_sort_labels(name, rule):
    d = data_mod.load(name, seed=2, n=50)
    assert d.x.shape == d.y.shape == (50, data_mod.SEQ_LEN)
    for x, y in zip(d.x.tolist(), d.y.tolist()):
        assert y == rule(x)
    assert d.label_shape == (data_mod.SEQ_LEN,) and d.n_tokens == 10


def test_per_position_loss_is_the_mean_over_positions():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3, 5)).astype(np.float32)
    y = rng.integers(0, 5, (4, 3))
    loss, correct = (np.asarray(v) for v in sample_losses(logits, y, "softmax"))
    for i in range(4):
        ce = [-(logits[i, t, y[i, t]] - np.log(np.exp(logits[i, t]).sum())) for t in range(3)]
        assert loss[i] == pytest.approx(np.mean(ce), rel=1e-5)
        assert correct[i] == pytest.approx(np.mean([logits[i, t].argmax() == y[i, t]
                                                    for t in range(3)]))


def test_modulus_and_token_errors():
    with pytest.raises(ls.LandscapeError, match="modular dataset only"):
        data_mod.load("digits", modulus=7)
    with pytest.raises(ls.LandscapeError, match="modulus must be"):
        data_mod.load("modular", modulus=1)
    x = np.array([[0, 1], [2, 9]])
    with pytest.raises(ls.LandscapeError, match=r"token ids must be integers in \[0, 5\)"):
        ls.Dataset("toks", x, np.zeros(2, int), x, np.zeros(2, int), 2, n_tokens=5)


# ------------------------------------------------------------------ data of any shape


def test_image_shaped_inputs_train_and_round_trip_through_a_surface_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4, 4, 3)).astype(np.float32)
    y = rng.integers(0, 3, 24).astype(np.int32)
    d = ls.Dataset("imgs", x, y, x, y, 3)
    assert d.sample_shape == (4, 4, 3) and d.n_features == 48
    m = ls.mlp((8,), n_in=d.n_features, n_out=3)
    th = np.asarray(m.init(key=jax.random.key(0)))
    # the MLP flattens each sample in C order: the same logits as on x.reshape(n, -1)
    np.testing.assert_array_equal(np.asarray(m.apply(th, x)), np.asarray(m.apply(th, x.reshape(24, -1))))
    task = ls.train(m, d, steps=3, key=jax.random.key(1))
    s = ls.compute_surface(task, ls.random_plane(task, key=jax.random.key(2)), resolution=3)
    path = s.save(str(tmp_path / "s.npz"))
    z = np.load(path)
    assert z["x_eval"].shape == (24, 48)                    # flat in the file
    meta = json.loads(str(z["meta"]))["eval_set"]
    assert meta["sample_shape"] == [4, 4, 3] and meta["dtype"] == "float32"
    np.testing.assert_array_equal(z["x_eval"].reshape(24, *meta["sample_shape"]), x)
    back = ls.Surface.load(path)
    np.testing.assert_array_equal(back.x_eval, x)
    with pytest.raises(ls.LandscapeError, match=r"\[n, \*sample_shape\]"):
        ls.Dataset("flat", x[:, 0, 0, 0], y, x[:, 0, 0, 0], y, 3)


def test_a_token_surface_file_rebuilds_its_arrays(tmp_path):
    cfg = LandscapeConfig(dataset="reverse", n_samples=16, model="transformer", widths=(8,),
                          heads=2, train_steps=0, grid=3)
    task = cfg.build_task()
    s = ls.compute_surface(task, cfg.build_plane(task), resolution=3)
    # the centre is θ*: the loss there equals the per-position cross-entropy by hand
    logits = theirs(task.model, np.asarray(task.theta, np.float64), tokens=task.data.x)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    want = -np.mean([logp[i, t, task.data.y[i, t]] for i in range(16) for t in range(6)])
    assert s.loss[1, 1] == pytest.approx(want, rel=1e-5)
    path = s.save(str(tmp_path / "t.npz"), embed_eval=False)
    x, y = ls.Surface.load(path).eval_data()       # regenerated from the recipe, hash checked
    assert x.dtype == np.int32
    np.testing.assert_array_equal(x, task.data.x)
    np.testing.assert_array_equal(y, task.data.y)


# ------------------------------------------------------------------ the CLI


def test_cli_errors_are_one_line(capsys, tmp_path):
    base = ["surface", "--grid", "3", "--train-steps", "0", "-o", tmp_path / "x.npz"]
    tr = ["--model", "transformer", "--dataset", "modular", "--modulus", "5"]
    assert "divides the width 16" in one_line_error(capsys, tmp_path, *base, *tr, "--widths",
                                                    "16,16", "--heads", "3")
    assert "all equal" in one_line_error(capsys, tmp_path, *base, *tr, "--widths", "16,8")
    assert "modular dataset only" in one_line_error(capsys, tmp_path, *base, "--modulus", "7")
    line = one_line_error(capsys, tmp_path, *base, "--heads", "2")
    assert "--heads applies to the transformer" in line and "MLP" in line
    assert "--norm-position" in one_line_error(capsys, tmp_path, *base, "--model", "cnn",
                                               "--norm-position", "post")
    assert "--no-residual" in one_line_error(capsys, tmp_path, *base, "--no-residual")
    assert "use --model transformer" in one_line_error(capsys, tmp_path, *base, "--dataset", "sort")
    assert "token sequences" in one_line_error(capsys, tmp_path, *base, "--model", "transformer")


def surface_json(tmp_path, *extra):
    env = {**os.environ, "LANDSCAPE_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "landscape.cli", "surface", "--model", "transformer", "--widths",
           "16,16", "--heads", "2", "--dataset", "modular", "--modulus", "7", "--grid", "5",
           "--json", "-q", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_transformer_surface_end_to_end(tmp_path):
    out = tmp_path / "mod.npz"
    trained = surface_json(tmp_path, "--train-steps", "60", "-o", str(out))
    initial = surface_json(tmp_path, "--train-steps", "0")      # θ* = the same initialization
    assert math.isfinite(trained["center_loss"]) and math.isfinite(initial["center_loss"])
    assert trained["center_loss"] < 0.5 * initial["center_loss"]
    s = ls.Surface.load(str(out))
    assert s.spec["kind"] == "transformer" and s.loss.shape == (5, 5)
    assert np.isfinite(s.loss).all()
    # the saved grid's centre, recomputed from the file alone (model rebuilt from its spec)
    m = ls.nets.build(s.spec)
    x, y = s.eval_data()
    logits = np.asarray(m.apply(s.theta, x), np.float64)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert s.loss[2, 2] == pytest.approx(-np.mean(logp[np.arange(len(y)), y]), rel=1e-4)
    assert all((y == (x[:, 0] + x[:, 1]) % 7).tolist())
