"""Scenes use the plane's own units and can show the real thing: balls start inside the grid
(and fill the shape asked for) on random, PCA and Hessian planes, and a projected landscape
runs weight-space balls shown at their projection with their true loss and distance from the
plane; adaptive optimizers say what they adapt."""

import numpy as np
import pytest

from landscape.errors import LandscapeError
from landscape.scene import build_stage, compute_scene
from landscape.scene._scene import Roll, Scene

NET = dict(dataset="moons", n_samples=96, widths=(6,), activation="tanh", init="xavier",
           output="sigmoid", train_steps=40)


class Planes(Scene):
    """Balls on a random, a PCA and a Hessian plane, and a projected landscape."""

    def construct(self):
        for d in ("random", "pca", "hessian"):
            land = self.landscape(directions=d, **NET, title=d)
            land.balls(name="disc", n=12, lr=0.05, batch_size=16)
            land.balls(name="grid", n=9, start="grid", radius=1.0, optimizer="adam", lr=0.01,
                       batch_size=16)
        land = self.landscape(**NET, mode="projected", title="projected")
        land.balls(name="proj", n=4, optimizer="adam", lr=0.01, batch_size=16)
        land.balls(name="fresh", n=2, lr=0.05, batch_size=16, origin="init")
        self.play(Roll(steps=3), run_time=1)


@pytest.fixture(scope="module")
def planes():
    scene = Planes(quality="tiny")
    scene.construct()
    return compute_scene(scene)


def test_balls_start_inside_the_grid_and_fill_it_on_every_plane(planes):
    units = []
    for r in planes.runs[:3]:
        a0, a1, b0, b1 = r.surface.span
        half = np.array([(a1 - a0) / 2, (b1 - b0) / 2])
        p = r.trajectory.positions[0]
        g = r.trajectory.group
        assert np.all(np.abs(p) <= half * (1 + 1e-6)), (r.landscape.title, p, half)
        # the disc (radius 0.9) reaches well out, not bunched at θ*
        assert np.abs(p[g == 0] / half).max(0).min() > 0.4, (r.landscape.title, p / half)
        # the grid of radius 1 has cell centres at ±(1 - 1/3) of the half-span
        np.testing.assert_allclose(np.sort(np.unique(np.round(p[g == 1, 0] / half[0], 5))),
                                   [-2 / 3, 0, 2 / 3], atol=1e-5)
        units.append(r.surface.meta["direction_meta"].get("span_unit", 1.0))
    assert units[0] == 1.0 and units[1] != 1.0 and units[2] != 1.0   # real plane units


def test_projected_landscape_runs_weight_space_balls(planes):
    r = planes.runs[3]
    tr = r.trajectory
    assert tr.mode == "projected" and r.simulator.mode == "projected"
    assert tr.off_plane[0, :4].max() < 1e-3 and tr.off_plane[0, 4:].min() > 0.1  # init: off
    assert np.isfinite(tr.true_loss).all()
    assert tr.groups[0]["optimizer_label"] == "adam (per weight)"
    s = planes.summary()["landscapes"][3]
    assert s["mode"] == "projected" and s["groups"][0]["true_loss_end"] is not None


def test_the_legend_says_what_adaptive_optimizers_adapt_and_shows_projected_truth(planes):
    assert planes.runs[0].trajectory.groups[1]["optimizer_label"] == "adam (per plane coordinate)"
    assert planes.runs[0].trajectory.groups[1]["adapts"] == "per plane coordinate"
    stage = build_stage(planes, size=(640, 360))
    try:
        for i, r in enumerate(planes.runs):
            stage.view(i).update(r.trajectory.frame(r.trajectory.n_frames - 1, r.surface))
        line = stage.view(0).hud.lines[1].GetInput()
        assert "adam (per plane coordinate)" in line, line
        proj = stage.view(3).hud.lines[0].GetInput()
        assert "adam (per weight)" in proj and "true loss" in proj and "off-plane" in proj, proj
        assert "weight-space runs at their projection" in stage.view(3).hud.title.GetInput()
    finally:
        stage.close()


def test_same_start_as_across_planes_of_different_span_is_an_error():
    class Mismatch(Scene):
        def construct(self):
            a = self.landscape(**NET, title="a").balls(n=3, batch_size=16)
            self.landscape(**{**NET, "span": 2.0}, title="b").balls(same_start_as=a,
                                                                     batch_size=16)
            self.play(Roll(steps=1), run_time=1)

    scene = Mismatch(quality="tiny")
    scene.construct()
    with pytest.raises(LandscapeError, match="same_start_as: landscape 2 spans"):
        compute_scene(scene)


def test_origin_needs_a_projected_landscape():
    class Bad(Scene):
        def construct(self):
            self.landscape(**NET).balls(n=2, origin="init")

    with pytest.raises(LandscapeError, match="origin applies to projected balls only"):
        Bad(quality="tiny").construct()
