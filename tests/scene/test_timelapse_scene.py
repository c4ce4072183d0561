"""The training-timelapse scene: the real network's ball sits on its own checkpoint's surface,
at its own loss (checked against an independent forward pass), and the scene's claims about
the two runs hold; a timelapse that cannot be made is a one-line error at construction."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from landscape.errors import LandscapeError
from landscape.pipeline._timelapse import checkpoint_position, full_losses, surface_at
from landscape.scene._scene import Roll, Scene

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def computed():
    from test_scenes import computed as scene_computed  # one compute per session

    return scene_computed("training_timelapse")


def test_the_network_ball_sits_on_its_checkpoint_surface_at_its_own_loss(computed):
    for r in computed.runs:
        tl, tr = r.timelapse, r.trajectory
        assert tl.kind == "riding" and tr.n_balls == 1
        k, w = checkpoint_position(tl, tr.n_frames)
        c = tl.surfaces[0].loss.shape[0] // 2                 # the grid's centre node: θ_t
        task = r.landscape.config.build_task()
        thetas = np.asarray(task.checkpoints, np.float32)
        idx = [int(np.flatnonzero(np.asarray(task.checkpoint_steps) == s)[0]) for s in tl.steps]
        own = full_losses(task, thetas[idx], [task.at(t).bn_stats for t in thetas[idx]])
        for t in (0, tr.n_frames - 1):
            kk = int(k[t]) + (1 if w[t] == 1.0 else 0)        # the checkpoint at this frame
            grid = surface_at(tl, int(k[t]), float(w[t]))
            np.testing.assert_array_equal(tr.positions[t, 0], [0.0, 0.0])
            assert tr.heights[t, 0] == pytest.approx(float(grid[c, c]), rel=1e-6)
            assert float(grid[c, c]) == pytest.approx(float(own[kk]), rel=1e-4)
            assert tr.true_loss[t, 0] == pytest.approx(float(own[kk]), rel=1e-4)
        # the panel's numbers are the run's own per-step gradient norms (the last checkpoint,
        # after the last step, shows that step's)
        for t in (0, tr.n_frames // 2, tr.n_frames - 1):
            s = min(int(tr.steps[t]), len(tl.grad_norms) - 1)
            np.testing.assert_array_equal(tr.grad_norms[t, 0], tl.grad_norms[s])


def test_sigmoid_first_layer_starts_vanishing_and_lags_relu_keeps_level(computed):
    sig, relu = computed.runs
    g = sig.timelapse.grad_norms
    assert g[0, 0] < 0.05 * g[0, -1]                          # ~1/50 at the start: blue
    rc = sig.timelapse.relative_change[-1]
    assert rc[0] < 0.5 * rc[-1]                              # the first layer moved least
    rr = relu.timelapse.relative_change[-1]
    assert rr[0] > 0.5 * rr[-1]
    gr = relu.timelapse.grad_norms[0]
    assert 1 / 3 < gr[0] / gr[-1] < 3
    assert relu.timelapse.loss[-1] < 0.1 * sig.timelapse.loss[-1]


def test_a_timelapse_needs_a_trained_network_and_two_checkpoints():
    class Untrained(Scene):
        def construct(self):
            self.timelapse(train_steps=0)
            self.play(Roll(steps=5))

    class One(Scene):
        def construct(self):
            self.timelapse(train_steps=10, n_checkpoints=1)
            self.play(Roll(steps=5))

    with pytest.raises(LandscapeError, match="not trained"):
        Untrained(quality="tiny").construct()
    with pytest.raises(LandscapeError, match="at least 2 checkpoints"):
        One(quality="tiny").construct()


def test_transfer_learning_reused_layers_reach_a_lower_loss_in_the_same_steps():
    """The transfer scene's race on its own data: the networks that reuse the conv layers of
    the 0–4 network are below the one from scratch after the same number of steps, from a
    tenth of the run on, and at the end; the frozen run's conv layers never changed."""
    from test_scenes import computed as scene_computed

    scratch, tuned, frozen = (r.timelapse for r in scene_computed("transfer_learning").runs)
    np.testing.assert_array_equal(scratch.steps, tuned.steps)
    late = scratch.steps >= 0.1 * scratch.steps[-1]
    assert np.all(tuned.loss[late] < scratch.loss[late]), (tuned.loss, scratch.loss)
    assert np.all(frozen.loss[late] < scratch.loss[late]), (frozen.loss, scratch.loss)
    assert frozen.relative_change[-1][:2].max() == 0.0         # conv layers frozen
    assert tuned.relative_change[-1][:2].min() > 0.0


def test_early_layers_panel_draws_each_units_weight_change_and_relu_learns_more():
    """The features panel's images are the first layer's weights at the checkpoint (reshaped
    8×8 per unit) minus those at initialization; the ReLU network's first layer changes many
    times more, relative to its size, than the sigmoid network's."""
    from test_scenes import computed as scene_computed

    from landscape.pipeline._restore import task_from_surface
    from landscape.render import Stage

    sig, relu = scene_computed("early_layers").runs
    for r in (sig, relu):
        feats = r.activations["features"]
        tl = r.timelapse
        model = task_from_surface(tl.surfaces[0]).model
        p = model.layout.get("dense_0", "w")
        w_last = tl.surfaces[-1].theta[p.offset:p.stop].reshape(p.shape)
        np.testing.assert_array_equal(feats[-1], w_last.T.reshape(-1, 8, 8))
    change = lambda r: (np.linalg.norm(r.activations["features"][-1] - r.activations["features"][0])
                        / np.linalg.norm(r.activations["features"][0]))
    assert change(relu) > 5 * change(sig), (change(relu), change(sig))
    st = Stage(1, size=(640, 360), off_screen=True)
    v = st.view(0)
    v.set_surface(relu.surface)
    v.set_balls(relu.trajectory.groups, relu.trajectory.group, relu.trajectory.layers)
    f = relu.activations["features"]
    v.show_features(f[0], relu.activations["scale"])
    v.alt_panel.update(f[-1])
    np.testing.assert_array_equal(v.alt_panel.rgba[1:], v.alt_panel.colors_of(f[-1]))
    blank = v.alt_panel.colors_of(f[0])                  # no change: the panel's background
    assert (blank == blank[0]).all()
    st.close()
