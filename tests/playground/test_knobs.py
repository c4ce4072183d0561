"""The knob table every face reads: keys, steps, slider positions (no computing)."""

from __future__ import annotations

import pytest

from landscape.playground import CONTROLS, KEYS, LABELS
from landscape.playground._knobs import at_position, position, step_value


def test_every_knob_has_one_key_of_its_own_and_a_label():
    assert set(KEYS) == set(CONTROLS) == set(LABELS)
    assert len(set(KEYS.values())) == len(KEYS)
    # the window's own keys (render/_window.py binds these) are never a knob's
    window = {"space", "Right", "r", "plus", "equal", "minus", "t", "g", "l", "s", "h", "f",
              "c", "Home", "v", "q", "Escape", "Tab", *"123456789"}
    assert not window & set(KEYS.values())
    assert not window & {k.upper() for k in KEYS.values() if len(k) == 1}


def test_a_key_steps_choices_round_toggles_and_clamps_numbers():
    acts = CONTROLS["activation"][1]
    assert step_value("activation", acts[-1], +1) == acts[0]
    assert step_value("activation", acts[0], -1) == acts[-1]
    assert step_value("batchnorm", False) is True
    assert step_value("depth", 8, +1) == 8 and step_value("depth", 1, -1) == 1
    assert step_value("width", 64, +1) == 128 and step_value("width", 128, +1) == 128
    assert step_value("lr", 0.1, +1) == 0.2 and step_value("lr", 10.0, +1) == 10.0
    assert step_value("batch_size", None, -1, n_data=200) == 100


@pytest.mark.parametrize("knob", [k for k, s in CONTROLS.items() if s[0] in ("int", "log")])
def test_a_slider_position_and_its_value_agree(knob):
    for x in (0.0, 0.25, 0.5, 0.9, 1.0):
        v = at_position(knob, x, n_data=300)
        assert abs(position(knob, v, n_data=300) - x) < 0.08, (knob, x, v)
    assert at_position(knob, 0.0, 300) <= at_position(knob, 1.0, 300)
