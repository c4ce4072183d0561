"""A constructed scene written back as a scene file builds the same scene: for every scene in
scenes/, the file `scene_source` writes constructs equal landscapes (configs, titles, panels,
modes, scales, timelapses), equal ball groups (every setting, shared starts by position) and an
equal timeline (segments: run time, rolls, orbit, caption, camera)."""

import dataclasses
import glob
import os

import pytest

from landscape.playground import scene_source
from landscape.scene import build_scene

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENES = sorted(glob.glob(os.path.join(ROOT, "scenes", "*.py")))


def plan(scene) -> dict:
    """Everything a constructed scene holds, as plain values (shared starts by position)."""
    lands = []
    for land in scene.landscapes:
        groups = []
        for b in land.groups:
            d = {f.name: getattr(b, f.name) for f in dataclasses.fields(b)
                 if f.name not in ("same_start_as", "points")}
            d["points"] = None if b.points is None else b.points.tolist()
            d["same_start_as"] = None if b.same_start_as is None else b.same_start_as.where
            groups.append(d)
        lands.append({"config": land.config.to_dict(), "title": land.title, "index": land.index,
                      "panel": land.panel, "log_scale": land.log_scale, "mode": land.mode,
                      "scale": land.scale, "timelapse": land.timelapse, "groups": groups})
    return {"seed": scene.seed, "camera": scene.camera, "landscapes": lands,
            "segments": [dataclasses.asdict(s) for s in scene.segments]}


@pytest.mark.parametrize("path", SCENES, ids=[os.path.basename(p)[:-3] for p in SCENES])
def test_every_scene_written_back_builds_the_same_scene(path, tmp_path):
    scene = build_scene(path, None, quality="tiny")
    out = tmp_path / "written.py"
    out.write_text(scene_source(scene, doc="written back"))
    again = build_scene(str(out), None, quality="tiny")
    assert plan(again) == plan(scene)
    assert type(again).summary() == "written back"
