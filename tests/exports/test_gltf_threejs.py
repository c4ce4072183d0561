"""A Blender-style import of the animated glTF: three.js's GLTFLoader (npm ``three``, installed
into the tests' node cache) in headless Chromium loads the file, an AnimationMixer plays it to
a time, and each of the file's cameras renders its view. The balls' world positions after
playing to the end are where the trajectory ends (the root's Z-up → Y-up turn and the view's
offset applied here, independently); a riding timelapse's morph weights follow the checkpoints.

Chromium is a test requirement (`.ci/run` installs it): without it these tests skip locally
and fail in CI."""

import io

import numpy as np
import pytest
from browser import Browser, require_chromium
from gltf_tools import read_gltf, threejs_page
from test_gltf_animation import escapes, ride, views, where_drawn  # noqa: F401 (fixtures)

require_chromium()

SIZE = (960, 360)
FLAGS = ["--allow-file-access-from-files"]     # three.js's modules come from file://


def play(page: str, t: float | None = None, png: str | None = None) -> tuple[dict, np.ndarray]:
    import imageio.v3 as iio

    with Browser(flags=FLAGS) as b:
        b.open("file://" + page + ("" if t is None else f"?t={t}"), size=SIZE)
        result = b.wait_for("window.result", timeout=120)
        b.pump(0.3)
        assert "error" not in result, result
        assert b.console_errors() == []
        img = np.asarray(iio.imread(io.BytesIO(b.screenshot(png))))[..., :3].astype(int)
        assert b.evaluate("document.title") == (f"animations={result['animations']} "
                                                f"tracks={result['tracks']}")
    return result, img


def y_up(p) -> np.ndarray:
    """Our +Z-up (x, y, z) as glTF's +Y up: the file's root turns -90° about x."""
    p = np.asarray(p, np.float64)
    return np.c_[p[..., 0], p[..., 2], -p[..., 1]]


def test_threejs_plays_the_balls_to_where_the_trajectory_ends(escapes, tmp_path):  # noqa: F811
    from landscape.scene import timeline

    page = threejs_page(escapes.glb, str(tmp_path / "play.html"))
    doc, _ = read_gltf(escapes.glb)
    n_balls = sum(r.trajectory.n_balls for r in escapes.computed.runs)
    scene = escapes.computed.scene
    spec = timeline(scene, scene.quality.fps)
    start, img0 = play(page, 0.0)
    end, img1 = play(page, None, png=str(tmp_path / "end.png"))
    assert end["animations"] == 1 and end["cameras"] == len(escapes.computed.runs)
    swapped = sum(1 for n in doc["nodes"] if n.get("extras", {}).get("escaped_at_keyframe", 0) > 0)
    assert swapped >= 3
    # a track per ball, 2 per camera, 2 per ball greyed when it escapes
    assert end["tracks"] == n_balls + 2 * len(escapes.computed.runs) + 2 * swapped
    assert end["duration"] == pytest.approx(len(spec) / scene.quality.fps, abs=1e-5)
    for i, (view, r) in enumerate(zip(views(doc), escapes.computed.runs)):
        hs = view["extras"]["height_scale"]
        dx = np.array(view.get("translation", [0.0, 0.0, 0.0]))
        balls = [k for k in view["children"] if " · ball " in doc["nodes"][k]["name"]]
        last = min(spec[-1].index[i], r.trajectory.n_frames - 1)
        for when, frame in ((start, 0), (end, last)):
            got = np.array([when["nodes"][str(k)] for k in balls])
            want = y_up(where_drawn(r, frame, hs) + dx)
            assert np.allclose(got, want, atol=1e-5), (i, frame)
    # a ball that escapes shows its colour at the start and grey at the end
    for k, node in enumerate(doc["nodes"]):
        if node.get("extras", {}).get("escaped_at_keyframe", 0) > 0:
            colour, grey = (str(c) for c in node["children"])
            assert (start["scale"][colour], start["scale"][grey]) == (1, 0)
            assert (end["scale"][colour], end["scale"][grey]) == (0, 1)
    assert img1.std() > 20                                  # something is drawn
    assert np.abs(img1 - img0).max(-1).mean() > 0.5         # and it moved


def test_threejs_morphs_a_riding_timelapse(ride, tmp_path):  # noqa: F811
    doc, _ = read_gltf(ride.glb)
    (view,) = views(doc)
    k = next(k for k in view["children"] if doc["nodes"][k]["name"] == "surface")
    page = threejs_page(ride.glb, str(tmp_path / "ride.html"))
    start, _ = play(page, 0.0)
    end, _ = play(page)
    C = ride.computed.runs[0].timelapse.n_checkpoints
    assert np.allclose(start["morph"][str(k)], np.eye(C - 1)[0], atol=1e-6)
    assert np.allclose(end["morph"][str(k)], 0, atol=1e-6)
