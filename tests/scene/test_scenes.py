"""Every scene in scenes/ runs end to end at tiny quality, produces a valid video, and makes its
point on its own data (the claim each scene's docstring states)."""

import glob
import os

import numpy as np
import pytest

from landscape.measures import _flow as flow
from landscape.scene import Computed, compute_scene, render, timeline
from landscape.scene._loader import build_scene, load_scenes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENE_FILES = sorted(glob.glob(os.path.join(ROOT, "scenes", "*.py")))
EXPECTED = {"two_layer_network", "local_minima", "vanishing_gradient", "initialization",
            "activations", "batch_norm", "exploding_gradient", "gradient_clipping",
            "optimizers", "learning_rate", "skip_connections", "layer_speed",
            "saturation", "chain_rule", "training_timelapse", "transfer_learning",
            "early_layers"}

_computed = {}


def computed(name: str) -> Computed:
    """The scene in scenes/<name>.py computed at tiny quality (once per session)."""
    if name not in _computed:
        scene = build_scene(os.path.join(ROOT, "scenes", f"{name}.py"), quality="tiny")
        _computed[name] = compute_scene(scene)
    return _computed[name]


def loss(run, t=-1):
    """Mean surface loss under the balls at recorded step ``t`` (all groups)."""
    h = run.trajectory.heights[t]
    return float(np.mean(h[np.isfinite(h)]))


def group_loss(run, g, t=-1):
    tr = run.trajectory
    h = tr.heights[t, tr.group == g]
    return float(np.mean(h[np.isfinite(h)]))


def profile(run, t=0):
    """Mean per-layer weight-gradient norm over the balls at step ``t``, input → output."""
    return np.nanmean(run.trajectory.grad_norms[t], 0)


def escaped(run):
    return int(run.trajectory.escaped[-1].sum())




# ------------------------------------------------------------------ the library as a whole


def test_the_library_has_every_scene_with_a_docstring_that_says_how_to_run_it():
    names = {os.path.splitext(os.path.basename(f))[0] for f in SCENE_FILES}
    assert EXPECTED <= names
    for f in SCENE_FILES:
        with open(f) as fh:
            src = fh.read()
        assert src.startswith('"""'), f
        doc = src.split('"""')[1]
        assert "landscape render scenes/" in doc, f"{f}: the docstring must say how to run it"
        scenes = load_scenes(f)
        assert len(scenes) == 1 and all(cls.summary() for cls in scenes.values()), f


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scene_renders_a_valid_tiny_video(name, tmp_path):
    import imageio.v2 as imageio

    c = computed(name)
    for r in c.runs:  # the renderer's contract: no NaN in positions
        assert np.isfinite(r.trajectory.positions).all()
    out = str(tmp_path / f"{name}.mp4")
    info = render(c, out)
    assert os.path.getsize(out) > 0 and info["frames"] == len(timeline(c.scene, 2))
    reader = imageio.get_reader(out)
    frames = [f for f in reader]
    assert len(frames) == info["frames"] >= 5
    assert frames[0].shape[:2] == (112, 192)
    assert max(np.abs(f.astype(int) - frames[0]).mean() for f in frames[1:]) > 0.5, \
        "the video does not change over time"
    assert [p for p in os.listdir(tmp_path) if p != f"{name}.mp4"] == []  # no temp files left


# ------------------------------------------------------------------ each scene's claim


def test_two_layer_network_balls_reach_the_valley():
    (r,) = computed("two_layer_network").runs
    assert escaped(r) == 0
    assert loss(r) < 0.1 * loss(r, 0)
    assert r.trajectory.census and r.trajectory.census[0]["loss"] < 0.1
    assert np.linalg.norm(r.trajectory.census[0]["position"]) < 0.2  # at θ*


def test_local_minima_census_finds_side_valleys_and_the_centre_has_no_bottom():
    """Side valleys of different depth trap settled balls (the census); the balls in the
    trained network's valley are far lower, still descending, and so not settled."""
    (r,) = computed("local_minima").runs
    tr = r.trajectory
    census = tr.census
    assert len(census) > 1
    losses = [c["loss"] for c in census]
    assert losses == sorted(losses) and losses[-1] - losses[0] > 0.5
    assert sum(c["n_balls"] for c in census) == int(tr.settled[-1].sum())
    sliding = ~tr.settled[-1] & ~tr.escaped[-1]
    assert sliding.sum() >= 2
    assert tr.heights[-1, sliding].max() < 0.1 * losses[0] and tr.heights[-1, sliding].max() < 0.05
    mid = tr.n_frames // 2
    assert tr.heights[-1, sliding].mean() < 0.9 * tr.heights[mid, sliding].mean()  # still falling


def test_vanishing_gradient_first_layer_plane_is_flat_and_its_balls_stay():
    """The claims: two slices through the same untrained deep sigmoid network, moving only the
    first / only the last layer's weights by the same step per weight. The first layer's plane
    is flatter than the last's by more than an order of magnitude, the same balls (same starts,
    lr and minibatches) move far less and lose far less on it, and the gradient reaching the
    first layer is below a tenth of the output layer's (a blue bar)."""
    first, last = computed("vanishing_gradient").runs
    assert first.surface.meta["config"]["layers"] == [0]
    assert last.surface.meta["config"]["layers"] == [10]
    assert first.surface.center_loss == last.surface.center_loss      # the same point θ*
    rng = lambda r: float(np.nanmax(r.surface.loss) - np.nanmin(r.surface.loss))
    assert rng(first) < 0.1 * rng(last), (rng(first), rng(last))
    np.testing.assert_array_equal(first.trajectory.positions[0], last.trajectory.positions[0])
    moved = lambda r: float(np.linalg.norm(r.trajectory.positions[-1]
                                           - r.trajectory.positions[0], axis=1).mean())
    assert moved(first) < 0.3 * moved(last), (moved(first), moved(last))
    assert loss(first, 0) - loss(first) < 0.1 * (loss(last, 0) - loss(last))
    for r in (first, last):
        p = profile(r)
        assert np.all(np.diff(p) > 0), p            # smaller at every layer toward the input
        assert p[0] < 0.1 * p[-1] and flow.classify(p)[0] == "vanishing"
        assert escaped(r) == 0


def test_layer_speed_sigmoid_first_layer_is_flat_relu_he_is_not():
    """Per-layer planes (same step per weight): for the sigmoid N(0, 1) network the first
    layer's plane is flatter than the last's by over an order of magnitude and its balls stay
    put; for ReLU with He weights the two are within a factor of a few and both sets of balls
    move. Each row shares one height scale, rows do not (``scale=`` keys)."""
    sig_first, sig_last, relu_first, relu_last = computed("layer_speed").runs
    rng = lambda r: float(np.nanmax(r.surface.loss) - np.nanmin(r.surface.loss))
    assert rng(sig_first) < 0.1 * rng(sig_last), (rng(sig_first), rng(sig_last))
    assert rng(relu_last) / 5 < rng(relu_first) < 5 * rng(relu_last), \
        (rng(relu_first), rng(relu_last))
    moved = lambda r: float(np.linalg.norm(r.trajectory.positions[-1]
                                           - r.trajectory.positions[0], axis=1).mean())
    assert moved(sig_first) < 0.3 * moved(sig_last)
    assert moved(relu_first) > 0.3 * moved(relu_last)
    assert flow.verdict(profile(sig_first)) == "vanishing"
    assert flow.verdict(profile(relu_first)) == "balanced"
    from landscape.picture._scale import view_ranges

    runs = (sig_first, sig_last, relu_first, relu_last)
    ranges = view_ranges([r.surface.loss for r in runs], [None] * 4,
                         [r.landscape.scale for r in runs])
    assert ranges[0][1] == ranges[1][1] and ranges[2][1] == ranges[3][1]
    assert ranges[0][1] != ranges[2][1]


def test_saturation_normal_saturates_xavier_does_not_and_the_panel_shows_it():
    """The activation panel's numbers are `saturation.activation_stats` at θ* of each view's
    network, recomputed here; N(0, 1) saturates several times more units than Xavier in every
    layer, and its activations spread over the sigmoid's whole range."""
    from landscape.measures import _saturation as saturation
    from landscape.pipeline._restore import task_from_surface
    from landscape.render import Stage

    normal, xavier = computed("saturation").runs
    for r in (normal, xavier):
        again = saturation.activation_stats(task_from_surface(r.surface))
        np.testing.assert_allclose(r.activations.saturated, again.saturated)
        np.testing.assert_allclose(r.activations.values, again.values)
    sn, sx = normal.activations.saturated, xavier.activations.saturated
    assert sn.mean() > 0.15 and sx.mean() < 0.05, (sn, sx)
    assert np.all(sn > 3 * sx), (sn, sx)
    q = list(normal.activations.percentiles)
    spread = lambda st: st.values[:, q.index(95)] - st.values[:, q.index(5)]
    assert spread(normal.activations).mean() > 2 * spread(xavier.activations).mean()
    st = Stage(2, size=(480, 270), off_screen=True)
    v = st.view(0)
    v.set_surface(normal.surface)
    v.set_balls(normal.trajectory.groups, normal.trajectory.group, normal.trajectory.layers)
    v.show_activations(normal.activations)
    shown = [t.GetInput() for t in v.alt_panel.saturated_texts]
    assert shown == [f"{100 * x:.0f}%" for x in sn]
    assert not v.panel.poly_actor.GetVisibility() and v.panel_shown
    v.show_panel(False)
    assert not v.panel_shown and not v.alt_panel.actor.GetVisibility()
    st.close()


def test_chain_rule_product_equals_autodiff_and_the_panel_shows_it():
    """The chain-rule scene's panel: ∂C/∂b₁ as the chain rule's product equals jax.grad's;
    the product the error meets falls by over an order of magnitude from the output neuron to
    the second; the table prints exactly those numbers."""
    from landscape.measures._chain import chain_rule
    from landscape.pipeline._restore import task_from_surface
    from landscape.render import Stage

    (r,) = computed("chain_rule").runs
    cv = r.activations
    assert cv.grad_b1 == pytest.approx(cv.grad_b1_autodiff, rel=1e-4, abs=1e-10)
    task = task_from_surface(r.surface)
    c = chain_rule(task.model, task.theta, task.data.x_eval, task.data.y_eval)
    np.testing.assert_allclose(cv.running, np.median(c.running, 0))
    assert abs(cv.running[0]) < 0.1 * abs(cv.running[-2]), cv.running
    assert np.all(cv.slopes <= 0.25)
    st = Stage(1, size=(640, 360), off_screen=True)
    v = st.view(0)
    v.set_surface(r.surface)
    v.set_balls(r.trajectory.groups, r.trajectory.group, r.trajectory.layers)
    v.show_chain(cv)
    text = v.alt_panel.texts[0].GetInput()
    assert f"{cv.grad_b1:+.4e}" in text and f"{cv.grad_b1_autodiff:+.4e}" in text
    assert f"{cv.running[0]:+.2e}" in text
    st.close()


def test_initialization_he_trains_best_and_normal_worst():
    normal, xavier, he = computed("initialization").runs
    c = [x.surface.center_loss for x in (normal, xavier, he)]
    assert c[2] < c[1] < c[0], c
    assert c[0] > 2.0                              # N(0, 1): stuck at chance
    p = profile(he)
    assert p.max() / p.min() < 3                   # He keeps the layers level


def test_initialization_normal_net_is_dead_at_the_bottom_of_a_one_cell_pit():
    """The N(0, 1) view's claims: every unit of the last hidden layer is dead on every sample
    (the output is a constant: loss ln 10, no gradient below), and θ* is a pit narrower than a
    grid cell: every neighbouring grid point's loss is astronomically higher, which is why the
    view marks θ* with a pin."""
    from landscape.measures import _saturation as saturation
    from landscape.render._meshes import pin_top

    normal = computed("initialization").runs[0]
    task = normal.landscape.config.build_task()
    st = saturation.activation_stats(task)
    assert st.dead[-1] == 1.0, st.dead
    L = normal.surface.loss
    c = L.shape[0] // 2
    assert abs(L[c, c] - np.log(10)) < 1e-3
    assert np.delete(L[c - 1:c + 2, c - 1:c + 2].ravel(), 4).min() > 1e6
    a = np.asarray(normal.surface.alphas)
    A, B = np.meshgrid(a, np.asarray(normal.surface.betas), indexing="ij")
    Z = np.log10(np.minimum(L, 1e4))                # the view's log heights, clipped
    assert pin_top(Z, A, B, float(Z[c, c]), float(Z.max())) is not None


def test_activations_sigmoid_vanishes_the_others_train():
    sig, tanh, relu, leaky = computed("activations").runs
    assert sig.surface.center_loss > 2.0
    assert max(x.surface.center_loss for x in (tanh, relu, leaky)) < 0.5
    ratio = lambda x: profile(x)[0] / profile(x)[-1]
    assert ratio(sig) < 0.01 and min(ratio(x) for x in (tanh, relu, leaky)) > 0.1
    assert loss(sig) > 2 * max(loss(x) for x in (tanh, relu, leaky))


def test_batch_norm_levels_the_gradients_and_trains():
    plain, bn = computed("batch_norm").runs
    assert bn.surface.center_loss < 0.5 * plain.surface.center_loss
    ratio = lambda x: profile(x)[0] / profile(x)[-1]
    assert ratio(plain) < 1e-3 and ratio(bn) > 0.05
    assert loss(bn) < loss(plain)


def test_exploding_gradient_balls_escape_and_norms_grow_toward_the_input():
    """The claims in magnitudes: every layer's gradient is larger than the next one's (each
    layer multiplies the backward signal by more than one), the input layer's is more than ten
    times the output layer's (a red bar: `landscape.measures._flow`), and most balls are thrown off."""
    (r,) = computed("exploding_gradient").runs
    tr = r.trajectory
    assert escaped(r) > tr.n_balls // 2
    p = profile(r)
    assert np.all(p[:-1] > p[1:]), p                      # growing toward the input
    assert flow.classify(p)[0] == "exploding", p          # its bar is red (ratio > 10)
    assert p[0] > 10 * p[-1]
    assert np.isfinite(tr.heights).all()                  # escaped balls frozen, never NaN
    # escaped balls keep the norms they escaped with: never drawn as vanishing
    gone = tr.escaped[-1]
    assert np.isfinite(tr.grad_norms[-1, gone]).all() and (tr.grad_norms[-1, gone] > 0).all()


def test_gradient_clipping_no_ball_escapes_and_they_descend():
    """Same network, start points and lr as the exploding scene; the weight-space gradient is
    clipped to global norm 1 before projection. No ball escapes where most did without; the
    panel shows the same unclipped gradients (identical at step 0: the clip does not change
    what is measured)."""
    (r,) = computed("gradient_clipping").runs
    (e,) = computed("exploding_gradient").runs
    g = r.trajectory.groups[0]
    assert g["clip_norm"] == 1.0 and g["lr"] == e.trajectory.groups[0]["lr"]
    assert "∇θL is clipped to global norm 1 (all parameters)" in g["clipping"]
    assert escaped(r) == 0 and escaped(e) > e.trajectory.n_balls // 2
    assert loss(r) < 0.5 * loss(r, 0)
    np.testing.assert_array_equal(r.trajectory.positions[0], e.trajectory.positions[0])
    np.testing.assert_allclose(profile(r), profile(e), rtol=1e-5)
    assert r.surface.meta["config_hash"] == e.surface.meta["config_hash"]  # same landscape


def test_optimizers_race_from_the_same_points_and_sgd_is_last():
    (r,) = computed("optimizers").runs
    tr = r.trajectory
    sgd, mom, adam = (tr.positions[0, tr.group == g] for g in range(3))
    np.testing.assert_array_equal(sgd, mom)
    np.testing.assert_array_equal(sgd, adam)
    t = 50  # a quarter of the race
    assert group_loss(r, 1, t) < 0.5 * group_loss(r, 0, t)
    assert group_loss(r, 2, t) < 0.5 * group_loss(r, 0, t)


def test_learning_rate_small_creeps_right_lands_large_escapes():
    small, right, large = computed("learning_rate").runs
    np.testing.assert_array_equal(small.trajectory.positions[0], large.trajectory.positions[0])
    assert escaped(small) == 0 and escaped(right) == 0
    assert loss(right) < 0.2 * loss(small)
    assert escaped(large) > large.trajectory.n_balls // 2


def ridges_per_line(loss) -> float:
    """Roughness: the mean number of ridges (interior local maxima) met along the grid's lines
    (every row and every column of the loss grid). Along any line through a single smooth
    valley the loss falls and then rises, so it meets no ridge; each ridge on a line is the
    wall between two valleys that line crosses. Independent of the loss's scale."""
    out = []
    for M in (np.asarray(loss, np.float64), np.asarray(loss, np.float64).T):
        for line in M:
            s = np.sign(np.diff(line))
            s = s[s != 0]
            out.append(int(((s[:-1] > 0) & (s[1:] < 0)).sum()))
    return float(np.mean(out))


def test_skip_connections_residual_trains_far_better_on_a_smoother_surface():
    from scipy.ndimage import minimum_filter

    plain, res = computed("skip_connections").runs
    assert res.surface.center_loss < 0.2 * plain.surface.center_loss
    assert loss(res) < 0.5 * loss(plain)
    # "rough, with side valleys" against "a smooth single valley", measured
    assert ridges_per_line(plain.surface.loss) > 1.0
    assert ridges_per_line(res.surface.loss) < 0.25
    n_minima = lambda L: int((L == minimum_filter(L, size=3, mode="nearest")).sum())
    assert n_minima(res.surface.loss) == 1 < n_minima(plain.surface.loss)


def test_ridges_per_line_on_analytic_surfaces():
    a = np.linspace(-1, 1, 21)
    A, B = np.meshgrid(a, a, indexing="ij")
    assert ridges_per_line(A ** 2 + 2 * B ** 2) == 0.0
    wavy = A ** 2 + B ** 2 + 0.3 * np.cos(8 * A)             # ridges across every row
    assert ridges_per_line(wavy) >= 1.0
