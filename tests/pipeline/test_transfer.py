"""Transfer learning: a CNN trained on digits 0–4 lends its convolutions to digits 5–9; frozen
or fine-tuned, it reaches a lower loss in the same steps than the same network from scratch."""

import jax
import numpy as np
import pytest

from landscape import data, nets
from landscape.errors import LandscapeError
from landscape.nets._layers import layer_mask
from landscape.pipeline._build import build_surface
from landscape.pipeline._config import LandscapeConfig
from landscape.pipeline._transfer import source_task, transfer_theta

SOURCE = LandscapeConfig(model="cnn", widths=(8, 16), classes=(0, 1, 2, 3, 4), train_steps=200)
NEW = LandscapeConfig(model="cnn", widths=(8, 16), classes=(5, 6, 7, 8, 9), train_steps=20,
                      train_optimizer="sgd", train_lr=0.05, train_batch=64, grid=5)


def test_class_subsets_relabel_and_share_one_standardization():
    full = data.digits()
    d = data.load("digits", classes=(5, 6, 7, 8, 9))
    assert d.n_classes == 5 and d.name == "digits[5,6,7,8,9]"
    keep = full.y >= 5
    np.testing.assert_array_equal(d.x, full.x[keep])
    np.testing.assert_array_equal(d.y, full.y[keep] - 5)
    d2 = data.load("digits", classes=(9, 0))
    assert set(d2.y[full.y[(full.y == 9) | (full.y == 0)] == 9]) == {0}
    for bad in ((3,), (1, 1), (0, 10), ("a", 1)):
        with pytest.raises(LandscapeError, match="two or more distinct labels"):
            data.load("digits", classes=bad)


@pytest.fixture(scope="module")
def losses():
    out = {}
    for name, cfg in (("scratch", NEW), ("fine-tuned", NEW.replace(pretrain=SOURCE, transfer_layers=2)),
                      ("frozen", NEW.replace(pretrain=SOURCE, transfer_layers=2, freeze=True))):
        out[name] = [cfg.replace(seed=s).build_task() for s in (0, 1)]
    return out


def test_transfer_reaches_a_lower_loss_in_the_same_steps(losses):
    """Measured (3 seeds, source trained 500 steps): after 10 / 30 / 100 SGD steps the loss is
    0.61 / 0.24 / 0.080 from scratch, 0.29 / 0.13 / 0.052 fine-tuned, 0.30 / 0.14 / 0.065
    frozen."""
    mean = {k: np.mean([t.evaluate()[0] for t in v]) for k, v in losses.items()}
    assert mean["fine-tuned"] < 0.75 * mean["scratch"], mean
    assert mean["frozen"] < 0.75 * mean["scratch"], mean


def test_transferred_layers_come_from_the_source_and_frozen_ones_stay(losses):
    src = source_task(SOURCE)
    keep = layer_mask(src.model.layout, (0, 1))
    for name in ("fine-tuned", "frozen"):
        t = losses[name][0]
        np.testing.assert_array_equal(t.theta0[keep], src.theta[keep])
    scratch = losses["scratch"][0]
    # the upper layer starts from the same draw as from scratch: the only difference is the reuse
    np.testing.assert_array_equal(losses["frozen"][0].theta0[~keep], scratch.theta0[~keep])
    frozen = losses["frozen"][0]
    np.testing.assert_array_equal(frozen.checkpoints[:, keep],
                                  np.broadcast_to(src.theta[keep], (len(frozen.checkpoints), keep.sum())))
    assert not np.array_equal(losses["fine-tuned"][0].theta[keep], src.theta[keep])


def test_frozen_plane_moves_only_trainable_layers_and_digest_covers_the_source():
    cfg = NEW.replace(pretrain=SOURCE, transfer_layers=2, freeze=True, train_steps=0)
    s, _ = build_surface(cfg)
    keep = layer_mask(s.layout, (0, 1))
    assert np.all(s.d1[keep] == 0) and np.any(s.d1[~keep] != 0)
    assert s.meta["direction_meta"]["layers"] == [2]
    assert s.meta["config"]["pretrain"]["classes"] == [0, 1, 2, 3, 4]
    digests = {cfg.digest(), cfg.replace(freeze=False).digest(),
               cfg.replace(transfer_layers=1).digest(),
               cfg.replace(pretrain=SOURCE.replace(train_steps=201)).digest()}
    assert len(digests) == 4


def test_transfer_errors():
    with pytest.raises(LandscapeError, match="need a pretrained network"):
        NEW.replace(freeze=True).validate()
    with pytest.raises(LandscapeError, match="pretrain must be a LandscapeConfig, got dict"):
        NEW.replace(pretrain={"model": "cnn"}, transfer_layers=1).validate()
    with pytest.raises(LandscapeError, match="needs transfer_layers"):
        NEW.replace(pretrain=SOURCE).validate()
    with pytest.raises(LandscapeError, match="leaves nothing to train"):
        NEW.replace(pretrain=SOURCE, transfer_layers=3, freeze=True).validate()
    with pytest.raises(LandscapeError, match="transfer layers must be 1..3"):
        NEW.replace(pretrain=SOURCE, transfer_layers=4).validate()
    with pytest.raises(LandscapeError, match="cannot reuse layer 1"):
        NEW.replace(pretrain=SOURCE.replace(widths=(8, 12)), transfer_layers=2).validate()
    with pytest.raises(LandscapeError, match="must be trained"):
        NEW.replace(pretrain=SOURCE.replace(train_steps=0), transfer_layers=1).validate()
    with pytest.raises(LandscapeError, match="layer 0 is frozen"):
        NEW.replace(pretrain=SOURCE, transfer_layers=1, freeze=True, layers=(0, 2)).validate()


def test_transfer_theta_copies_weights_biases_of_the_first_layers():
    m = nets.mlp((6, 5), n_in=4, n_out=3)
    src = nets.mlp((6, 7), n_in=4, n_out=2)
    base = np.asarray(m.init(key=jax.random.key(0)))
    st = np.asarray(src.init(key=jax.random.key(1)))
    out = transfer_theta(m, base, src, st, 1)
    for p in m.layout.params:
        want = st[src.layout.get(p.layer, p.name).offset:][:p.size] if p.layer == "dense_0" \
            else base[p.offset:p.stop]
        np.testing.assert_array_equal(out[p.offset:p.stop], want)
    with pytest.raises(LandscapeError, match="cannot reuse layer 1"):
        transfer_theta(m, base, src, st, 2)
