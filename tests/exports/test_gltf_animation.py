"""Animated glTF: every exported ``.glb``/``.gltf`` passes the Khronos validator with nothing to
report; one animation plays the video's timeline, one translation channel per ball, whose last
keyframe is where the trajectory ends (computed here from the trajectory's arrays and the scale
the file itself records); escaped balls stop; a riding timelapse morphs; the camera orbits as
the video's does; ``--frames`` thins the keyframes and is an error where it cannot apply."""

import types

import numpy as np
import pytest
from cli_errors import one_line_error, run
from gltf_tools import accessor, assert_valid, read_gltf

from landscape.exports._export import export

ESCAPES = '''\
"""Two tiny landscapes, the second's balls thrown off (the glTF animation tests)."""
from landscape.scene import Orbit, Roll, Scene

NET = dict(dataset="moons", n_samples=64, widths=(4,), output="sigmoid", train_steps=20)


class Escapes(Scene):
    """Balls that stay and balls that escape."""

    def construct(self):
        a = self.landscape(**NET, title="rolling")
        a.balls(name="slow", n=4, lr=0.05, batch_size=16)
        b = self.landscape(**NET, activation="tanh", title="thrown off")
        b.balls(name="fast", n=5, lr=30.0, batch_size=16)
        self.caption("rolling")
        self.play(Roll(steps=6), Orbit(degrees=30), run_time=4)
        self.play(Roll(steps=4, landscapes=a), Orbit(degrees=-10), run_time=2)
'''

TIMELAPSE = '''\
"""A tiny riding timelapse (the glTF morph-target tests)."""
from landscape.scene import Roll, Scene


class Ride(Scene):
    """The plane through θ_t as a small network trains."""

    def construct(self):
        self.timelapse(dataset="moons", n_samples=64, widths=(4,), output="sigmoid",
                       train_steps=20, train_checkpoints=4, kind="riding", n_checkpoints=3,
                       title="riding")
        self.play(Roll(steps=8), run_time=4)
'''


def scene_of(tmp_path_factory, name, text):
    from landscape.scene import compute_scene
    from landscape.scene._loader import build_scene

    path = tmp_path_factory.mktemp(name) / f"{name}.py"
    path.write_text(text)
    return str(path), compute_scene(build_scene(str(path), quality="tiny"))


@pytest.fixture(scope="module")
def escapes(tmp_path_factory):
    path, computed = scene_of(tmp_path_factory, "escapes", ESCAPES)
    out = tmp_path_factory.mktemp("escapes-out")
    files = {ext: str(out / f"e.{ext}") for ext in ("glb", "gltf")}
    for ext, f in files.items():
        info = export(computed, f)
        assert info["keyframes"] == info["steps"] > 2
    return types.SimpleNamespace(path=path, computed=computed, out=out, **files)


@pytest.fixture(scope="module")
def ride(tmp_path_factory):
    path, computed = scene_of(tmp_path_factory, "ride", TIMELAPSE)
    out = str(tmp_path_factory.mktemp("ride-out") / "r.glb")
    export(computed, out)
    return types.SimpleNamespace(path=path, computed=computed, glb=out)


def z_of(loss, hs: dict) -> np.ndarray:
    """The file's own height rule (the view node's ``extras.height_scale``)."""
    x = np.clip(np.where(np.isfinite(loss), loss, hs["loss_hi"]), hs["loss_lo"], hs["loss_hi"])
    h, h0 = (np.log10(x), np.log10(hs["loss_lo"])) if hs["log10"] else (x, hs["loss_lo"])
    return (h - h0) * hs["z_per_unit"]


def where_drawn(run, frame: int, hs: dict) -> np.ndarray:
    """Balls of ``run`` at trajectory ``frame`` in the surface mesh's coordinates: a and b
    clipped to the grid widened by a quarter of its span, one radius (1.6 % of the span)
    above the surface's loss under them."""
    a0, a1, b0, b1 = (float(v) for v in run.surface.span)
    span = max(a1 - a0, b1 - b0)
    p = np.asarray(run.trajectory.positions[frame], np.float64)
    h = np.asarray(run.trajectory.heights[frame], np.float64)
    return np.c_[np.clip(p[:, 0], a0 - span / 4, a1 + span / 4),
                 np.clip(p[:, 1], b0 - span / 4, b1 + span / 4), z_of(h, hs) + 0.016 * span]


def views(doc):
    return [doc["nodes"][k] for k in doc["nodes"][0]["children"] if "extras" in doc["nodes"][k]]


def ball_channels(doc, view):
    """(node, sampler) of each translation channel of a ball of ``view``, in ball order."""
    balls = [k for k in view["children"] if " · ball " in doc["nodes"][k]["name"]]
    (anim,) = doc["animations"]
    by_node = {c["target"]["node"]: anim["samplers"][c["sampler"]] for c in anim["channels"]
               if c["target"]["path"] == "translation"}
    return [(doc["nodes"][k], by_node[k]) for k in balls]


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_every_ball_has_a_track_on_the_video_timeline(escapes, ext):
    from landscape.scene import timeline

    report = assert_valid(getattr(escapes, ext))
    assert report["info"]["animationCount"] == 1
    doc, blob = read_gltf(getattr(escapes, ext))
    scene = escapes.computed.scene
    fps = scene.quality.fps
    spec = timeline(scene, fps)
    (anim,) = doc["animations"]
    n_balls = sum(r.trajectory.n_balls for r in escapes.computed.runs)
    translations = [c for c in anim["channels"] if c["target"]["path"] == "translation"]
    # one channel per ball, plus each view's camera's
    assert len(translations) == n_balls + len(escapes.computed.runs)
    for view, r in zip(views(doc), escapes.computed.runs):
        chans = ball_channels(doc, view)
        assert len(chans) == r.trajectory.n_balls
        hs = view["extras"]["height_scale"]
        last = min(spec[-1].index[escapes.computed.runs.index(r)], r.trajectory.n_frames - 1)
        want = where_drawn(r, last, hs)
        for n, (node, sampler) in enumerate(chans):
            assert sampler["interpolation"] == "LINEAR"
            t = accessor(doc, blob, sampler["input"])
            # keyframes at the video's frames: step k at k / fps, the last at the run time
            assert np.allclose(t, np.arange(len(spec) + 1) / fps, atol=1e-6)
            assert t[-1] == pytest.approx(scene.run_time * scene.quality.time_scale, abs=0.6 / fps)
            xyz = accessor(doc, blob, sampler["output"])
            assert xyz.shape == (len(spec) + 1, 3)
            assert np.allclose(xyz[-1], want[n], atol=1e-5), (n, xyz[-1], want[n])
            assert np.allclose(node["translation"], want[n], atol=1e-5)   # the static pose
            first = where_drawn(r, 0, hs)[n]
            assert np.allclose(xyz[0], first, atol=1e-5)


def test_escaped_balls_stop_where_they_escaped(escapes):
    doc, blob = read_gltf(escapes.glb)
    run = escapes.computed.runs[1]
    esc = run.trajectory.escaped
    assert esc[-1].sum() >= 3                      # the scene does throw balls off
    n_stopped = 0
    for n, (node, sampler) in enumerate(ball_channels(doc, views(doc)[1])):
        xyz = accessor(doc, blob, sampler["output"])
        if not esc[-1, n]:
            continue
        k = node["extras"]["escaped_at_keyframe"]
        assert k >= 1 and np.all(xyz[k:] == xyz[k])
        n_stopped += 1
        # its colour until it escapes, then grey: two children swapped by STEP scale tracks
        # of two keyframes, the start and the escape
        (anim,) = doc["animations"]
        times = accessor(doc, blob, ball_channels(doc, views(doc)[1])[n][1]["input"])
        scales = {}
        for c in node["children"]:
            child = doc["nodes"][c]
            (ch,) = [ch for ch in anim["channels"] if ch["target"]["node"] == c]
            sampler = anim["samplers"][ch["sampler"]]
            assert ch["target"]["path"] == "scale" and sampler["interpolation"] == "STEP"
            assert np.array_equal(accessor(doc, blob, sampler["input"]), times[[0, k]])
            name = doc["meshes"][child["mesh"]]["name"]
            scales[name] = accessor(doc, blob, sampler["output"])
            assert child["scale"] == list(scales[name][-1])       # the static pose: the end
        assert np.array_equal(scales["fast"], [[1, 1, 1], [0, 0, 0]])
        assert np.array_equal(scales["escaped balls"], [[0, 0, 0], [1, 1, 1]])
    assert n_stopped == esc[-1].sum()


def test_tracks_hold_after_the_escape_even_if_the_positions_move():
    """The hold is the writer's, not only the trajectory's: a ball whose recorded position still
    moves after it escaped is held at its first escaped keyframe; a ball off the grid waits
    at the renderer's edge."""
    from landscape.exports._gltf_animation import ball_tracks
    from landscape.picture import HeightScale

    T, N = 6, 2
    pos = np.zeros((T, N, 2), np.float32)
    pos[:, 0, 0] = np.linspace(0, 0.5, T)           # ball 0 keeps moving
    pos[:, 1, 1] = np.linspace(0, -3.0, T)          # ball 1 leaves the grid, not escaped
    esc = np.zeros((T, N), bool)
    esc[3:, 0] = True                               # ball 0 escapes at frame 3
    tr = types.SimpleNamespace(positions=pos, heights=np.ones((T, N), np.float32), escaped=esc)
    view = types.SimpleNamespace(trajectory=tr, frames=np.arange(T),
                                 surface=types.SimpleNamespace(span=(-1.0, 1.0, -1.0, 1.0)),
                                 scale=HeightScale(0.5, 2.0, False, 1.0), span=2.0, radius=0.032)
    xyz, first = ball_tracks(view, np.array([0, 2, 3, 4, 5]))
    assert list(first) == [2, -1]
    assert np.allclose(xyz[2:, 0, 0], 0.3)
    # drawn at most a quarter of the span (2) beyond the grid's edge, as the renderer does
    assert np.allclose(xyz[:, 1, 1], np.maximum(pos[[0, 2, 3, 4, 5], 1, 1], -1.5))
    assert np.allclose(xyz[:, :, 2], 1.0 - 0.5 + 0.032)


def test_frames_thins_the_keyframes(escapes, tmp_path, capsys):
    out = tmp_path / "thin.glb"
    code, _, err = run(capsys, "export", escapes.path, "-q", "tiny", "--frames", "3", "-o", out)
    assert code == 0, err
    assert_valid(out)
    full, fblob = read_gltf(escapes.glb)
    doc, blob = read_gltf(out)
    for (_, s_full), (_, s) in zip(ball_channels(full, views(full)[0]),
                                   ball_channels(doc, views(doc)[0])):
        t, t_full = accessor(doc, blob, s["input"]), accessor(full, fblob, s_full["input"])
        assert len(t) == 3 and t[0] == 0 and t[-1] == t_full[-1] and t[1] in t_full
        xyz, xyz_full = accessor(doc, blob, s["output"]), accessor(full, fblob, s_full["output"])
        assert np.allclose(xyz[[0, -1]], xyz_full[[0, -1]])
        assert np.allclose(xyz[1], xyz_full[list(t_full).index(t[1])])


def test_frames_is_an_error_where_it_cannot_apply(escapes, tmp_path, capsys):
    for n in ("1", "0", "-4"):
        line = one_line_error(capsys, tmp_path, "export", escapes.path, "-q", "tiny",
                              "--frames", n, "-o", tmp_path / "x.glb")
        assert "at least 2" in line
    for ext in ("html", "vtp", "obj"):
        line = one_line_error(capsys, tmp_path, "export", escapes.path, "-q", "tiny",
                              "--view", "1", "--frames", "5", "-o", tmp_path / f"x.{ext}")
        assert "--frames" in line and ".glb" in line


def test_frames_needs_balls_on_a_surface(tmp_path, capsys, mlp_task):
    from sample_files import make_files

    files = make_files(mlp_task, str(tmp_path), resolution=(9, 7))
    line = one_line_error(capsys, tmp_path, "export", files.surface_path, "--frames", "4",
                          "-o", tmp_path / "s.glb")
    assert "no balls" in line
    out = tmp_path / "s.glb"
    code, _, err = run(capsys, "export", files.surface_path, "--trajectory",
                       files.trajectory_path, "--frames", "4", "-o", out)
    assert code == 0, err
    assert_valid(out)
    doc, blob = read_gltf(out)
    (anim,) = doc["animations"]
    t = accessor(doc, blob, anim["samplers"][0]["input"])
    assert len(t) == 4 and t[0] == 0
    assert len([c for c in anim["channels"] if c["target"]["path"] == "translation"]) \
        == files.trajectory.n_balls          # a still camera has no channel
    # the surface's trajectory ends where the file's last keyframe is
    view = views(doc)[0]
    run_ = types.SimpleNamespace(surface=files.surface, trajectory=files.trajectory)
    want = where_drawn(run_, files.trajectory.n_frames - 1, view["extras"]["height_scale"])
    got = np.array([accessor(doc, blob, s["output"])[-1] for _, s in ball_channels(doc, view)])
    assert np.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("which", [0, 1])
def test_the_camera_orbits_as_the_video_does(escapes, which):
    """Each view's camera node (under the view, as each panel of the video has its camera):
    its lines of sight all pass through one focal point, from one distance and the preset's
    elevation, and its azimuth turns by the scene's orbits (30° over the first segment, then
    -10°), read back from the keyframes alone."""
    from landscape.picture import CAMERAS

    doc, blob = read_gltf(escapes.glb)
    cams = [k for k, n in enumerate(doc["nodes"]) if "camera" in n]
    view = views(doc)[which]
    assert len(cams) == len(doc["cameras"]) == 2
    k = cams[which]
    assert k in view["children"]
    cam = doc["nodes"][k]
    assert doc["cameras"][cam["camera"]]["perspective"]["yfov"] == pytest.approx(np.radians(30))
    (anim,) = doc["animations"]
    path = {c["target"]["path"]: anim["samplers"][c["sampler"]] for c in anim["channels"]
            if c["target"]["node"] == k}
    pos = accessor(doc, blob, path["translation"]["output"]).astype(float)
    x, y, z, w = accessor(doc, blob, path["rotation"]["output"]).astype(float).T
    assert np.allclose(x * x + y * y + z * z + w * w, 1, atol=1e-5)
    fwd = -np.c_[2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)]  # -Z
    P = np.eye(3)[None] - fwd[:, :, None] * fwd[:, None, :]
    focal = np.linalg.solve(P.sum(0), np.einsum("kij,kj->i", P, pos))
    rel = pos - focal
    dist = np.linalg.norm(rel, axis=1)
    assert np.allclose(np.einsum("kij,kj->ki", P, rel), 0, atol=1e-4 * dist.max())
    assert np.allclose(dist, dist[0], rtol=1e-4)
    # the focal point is the middle of the views' grids (they share one extent here)
    a0, a1, b0, b1 = escapes.computed.runs[which].surface.span
    assert np.allclose(focal[:2], [(a0 + a1) / 2, (b0 + b1) / 2], atol=1e-4)
    el0, az0 = CAMERAS[escapes.computed.scene.camera]
    assert np.allclose(np.degrees(np.arcsin(rel[:, 2] / dist)), el0, atol=1e-3)
    az = np.degrees(np.unwrap(np.arctan2(rel[:, 1], rel[:, 0])))
    q = escapes.computed.scene.quality
    n1 = int(round(4 * q.time_scale * q.fps))       # the first segment's last frame
    assert az[0] == pytest.approx(az0, abs=1e-3)
    assert az[n1] - az[0] == pytest.approx(30, abs=1e-3)
    assert az[-1] - az[0] == pytest.approx(20, abs=1e-3)


def test_a_riding_timelapse_morphs(ride):
    report = assert_valid(ride.glb)
    assert report["info"]["hasMorphTargets"] and report["info"]["animationCount"] == 1
    doc, blob = read_gltf(ride.glb)
    (view,) = views(doc)
    hs = view["extras"]["height_scale"]
    run_ = ride.computed.runs[0]
    tl = run_.timelapse
    surface_node = next(doc["nodes"][k] for k in view["children"]
                        if doc["nodes"][k]["name"] == "surface")
    mesh = doc["meshes"][surface_node["mesh"]]
    (prim,) = mesh["primitives"]
    C = tl.n_checkpoints
    assert len(prim["targets"]) == C - 1 and mesh["weights"] == [0.0] * (C - 1)
    base = accessor(doc, blob, prim["attributes"]["POSITION"])
    assert np.allclose(base[:, 2], z_of(tl.surfaces[-1].loss.ravel(), hs), atol=1e-5)
    for j, target in enumerate(prim["targets"]):
        d = accessor(doc, blob, target["POSITION"])
        assert np.allclose(d[:, :2], 0)
        assert np.allclose(base[:, 2] + d[:, 2], z_of(tl.surfaces[j].loss.ravel(), hs),
                           atol=1e-5)
    (anim,) = doc["animations"]
    k = doc["nodes"].index(surface_node)
    (ch,) = [c for c in anim["channels"] if c["target"]["node"] == k]
    assert ch["target"]["path"] == "weights"
    s = anim["samplers"][ch["sampler"]]
    t = accessor(doc, blob, s["input"])
    w = accessor(doc, blob, s["output"]).reshape(len(t), C - 1)
    assert np.allclose(w[0], np.eye(C - 1)[0])        # the first checkpoint at the start
    assert np.allclose(w[-1], 0)                      # the base (last checkpoint) at the end
    assert np.all(w >= 0) and np.all(w.sum(1) <= 1 + 1e-6)
