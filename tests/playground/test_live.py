"""`Live`: the playground as the window steers it — panel rows, disabled values with their
reason, one line per change, a change that cannot apply leaving the state as it was."""

import pytest

import landscape as ls
from landscape.playground import Live


@pytest.fixture(scope="module")
def live():
    pg = ls.Playground(dataset="moons", widths=(8, 8), train_steps=0, quality="tiny",
                       simulate=False)
    return Live(pg)


def test_rows_show_values_and_why_the_next_one_cannot_apply(live):
    rows = {k: live.row(0, k) for k in live.knobs(0)}
    assert set(rows) == set(ls.playground.CONTROLS)
    assert rows["activation"]["text"] == "relu" and rows["activation"]["reason"] is None
    assert rows["batchnorm"]["text"] == "off" and rows["batchnorm"]["kind"] == "toggle"
    assert 0 <= rows["lr"]["pos"] <= 1 and rows["dataset"]["pos"] is None
    # no training: the next plane, PCA, is disabled with the reason
    assert rows["directions"]["reason"].startswith("pca: PCA directions need training")
    assert live.why(0, "directions", "hessian") is None
    assert "batch" in live.why(0, "batch_size", 10 ** 6)


def test_a_change_is_one_line_and_one_that_cannot_apply_changes_nothing(live):
    assert live.sources()[0].snapshot().step == 0
    r = live.apply(0, {"lr": 0.2})
    assert r["ok"] and r["line"].startswith("learning rate: 0.1 → 0.2, balls in "), r
    assert live.value(0, "lr") == 0.2
    r = live.apply(0, {"activation": "tanh", "width": 4})
    assert r["line"].startswith("activation: relu → tanh, width: 8 → 4, surface in "), r
    source = live.pg.source()
    bad = live.apply(0, {"directions": "pca"})
    assert not bad["ok"] and "cannot apply" in bad["line"] and "PCA" in bad["reason"]
    assert live.pg.source() == source and live.value(0, "directions") == "random"
