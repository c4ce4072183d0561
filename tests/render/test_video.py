"""Video export read back from disk: frame count, size, fps, frames that change; atomic writes;
and a fixed low-resolution scene against a stored reference image."""

from __future__ import annotations

import os

import numpy as np
import pytest

pv = pytest.importorskip("pyvista")
pv.OFF_SCREEN = True

from synthetic import bowl_surface, spiral_trajectory  # noqa: E402

from landscape.errors import LandscapeError  # noqa: E402
from landscape.render import QUALITY, Stage, VideoWriter, resolve_quality  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
REFERENCE = os.path.join(DATA, "render_reference.png")


@pytest.fixture(scope="module")
def scene():
    a, b, loss, acc = bowl_surface(41)
    traj = spiral_trajectory(a, b, loss, n_balls=30, n_frames=12, seed=3)
    st = Stage(1, size=(320, 240), off_screen=True)
    v = st.view(0)
    v.set_surface((a, b, loss, acc))
    v.set_balls(traj.groups, traj.group, traj.layers, title="export")
    st.camera("iso")
    yield st, v, traj
    st.close()


def render_to(path, scene, fmt=None, n=None, fps=10, fail_at=None, exc=RuntimeError):
    st, v, traj = scene
    n = traj.n_frames if n is None else n
    with VideoWriter(path, fmt=fmt, fps=fps, size=st.size, total=n, progress=False) as w:
        for t in range(n):
            if t == fail_at:
                raise exc("boom")
            v.update(traj.frame(t))
            st.orbit(3)
            w.write(st)
    return path


def _changes(frames):
    return np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean()


def test_mp4_reads_back(scene, tmp_path):
    import imageio.v2 as iio

    path = render_to(str(tmp_path / "out.mp4"), scene, fps=12)
    r = iio.get_reader(path, format="FFMPEG")
    meta = r.get_meta_data()
    frames = [f for f in r]
    r.close()
    assert len(frames) == 12
    assert frames[0].shape == (240, 320, 3)
    assert meta["fps"] == pytest.approx(12)
    assert meta["size"] == (320, 240)
    assert "h264" in meta.get("codec", "h264")
    assert _changes(frames) > 2
    assert os.listdir(tmp_path) == ["out.mp4"]                 # no temp file left behind


def test_gif_reads_back(scene, tmp_path):
    from PIL import Image

    path = render_to(str(tmp_path / "out.gif"), scene, fps=10)
    im = Image.open(path)
    assert im.n_frames == 12 and im.size == (320, 240)
    assert im.info["duration"] == 100
    frames = []
    for k in range(im.n_frames):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGB")))
    assert _changes(frames) > 2


def test_png_sequence_reads_back(scene, tmp_path):
    from PIL import Image

    out = tmp_path / "frames"
    render_to(str(out), scene, fmt="png")
    names = sorted(os.listdir(out))
    assert names == [f"frame_{k:05d}.png" for k in range(12)]
    frames = [np.asarray(Image.open(out / n).convert("RGB")) for n in names]
    assert frames[0].shape == (240, 320, 3)
    assert _changes(frames) > 2
    # a second export replaces the folder whole
    render_to(str(out), scene, fmt="png", n=3)
    assert len(os.listdir(out)) == 3


@pytest.mark.parametrize("ext", ["mp4", "gif", "png"])
@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_failed_export_leaves_no_file(scene, tmp_path, ext, exc):
    dest = tmp_path / (f"out.{ext}" if ext != "png" else "frames")
    fmt = "png" if ext == "png" else None
    with pytest.raises(exc):
        render_to(str(dest), scene, fmt=fmt, fail_at=5, exc=exc)
    assert os.listdir(tmp_path) == []


def test_failed_export_keeps_previous_file(scene, tmp_path):
    dest = tmp_path / "out.mp4"
    dest.write_bytes(b"previous")
    with pytest.raises(RuntimeError):
        render_to(str(dest), scene, fail_at=3)
    assert dest.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["out.mp4"]


def test_quality_table_and_bad_arguments(scene, tmp_path):
    assert QUALITY == {"low": (854, 480, 15), "medium": (1280, 720, 30),
                       "high": (1920, 1080, 60)}
    assert resolve_quality("low") == ((854, 480), 15)
    assert resolve_quality("high", size=(640, 360)) == ((640, 360), 60)
    assert resolve_quality(None, fps=24) == ((1280, 720), 24)
    with pytest.raises(LandscapeError, match="quality preset"):
        resolve_quality("ultra")
    with pytest.raises(LandscapeError, match="video format"):
        VideoWriter(str(tmp_path / "x.mp4"), fmt="avi")
    with pytest.raises(LandscapeError, match="format"):
        VideoWriter(str(tmp_path / "x.webm"))
    with pytest.raises(LandscapeError, match="does not exist"):
        VideoWriter(str(tmp_path / "nope" / "x.mp4"))
    # the same checks as every other output (landscape.files.check_writable): a video may not
    # be a folder, a folder of PNG frames may already exist
    (tmp_path / "d.mp4").mkdir()
    with pytest.raises(LandscapeError, match="is a directory"):
        VideoWriter(str(tmp_path / "d.mp4"))
    (tmp_path / "d.mp4").rmdir()
    (tmp_path / "frames").mkdir()
    w = VideoWriter(str(tmp_path / "frames"), progress=False)
    assert os.path.basename(w.tmp) == f".frames.{os.getpid()}.part"
    w.abort()
    os.rmdir(tmp_path / "frames")
    st = scene[0]
    with pytest.raises(LandscapeError, match="same size"):
        with VideoWriter(str(tmp_path / "x.mp4"), quality="low", progress=False) as w:
            w.write(st)
    with pytest.raises(LandscapeError, match="no frames"):
        with VideoWriter(str(tmp_path / "y.mp4"), size=st.size, progress=False):
            pass
    assert os.listdir(tmp_path) == []


def test_odd_size_mp4_is_padded_not_resized(tmp_path):
    import imageio.v2 as iio

    path = str(tmp_path / "odd.mp4")
    with VideoWriter(path, size=(65, 49), fps=5, progress=False) as w:
        for k in range(3):
            w.write(np.full((49, 65, 3), 40 * k, np.uint8))
    r = iio.get_reader(path, format="FFMPEG")
    assert r.get_meta_data()["size"] == (66, 50)
    assert sum(1 for _ in r) == 3
    r.close()


def reference_scene() -> np.ndarray:
    a, b, loss, acc = bowl_surface(33)
    traj = spiral_trajectory(a, b, loss, n_balls=24, n_frames=10, seed=7)
    st = Stage(1, size=(240, 160), off_screen=True)
    v = st.view(0)
    v.set_surface((a, b, loss, acc))
    v.set_balls(traj.groups, traj.group, traj.layers, title="reference")
    for t in range(6):
        v.update(traj.frame(t))
    st.camera("iso")
    img = st.screenshot()
    st.close()
    return img


def test_reference_image():
    """A fixed low-resolution scene matches tests/data/render_reference.png. After a deliberate
    visual change, regenerate it with LANDSCAPE_UPDATE_REFERENCE=1 and look at it."""
    from PIL import Image

    img = reference_scene()
    if os.environ.get("LANDSCAPE_UPDATE_REFERENCE"):
        os.makedirs(DATA, exist_ok=True)
        Image.fromarray(img).save(REFERENCE)
    ref = np.asarray(Image.open(REFERENCE).convert("RGB"))
    assert ref.shape == img.shape
    diff = np.abs(ref.astype(int) - img.astype(int))
    assert diff.mean() < 3.0, diff.mean()
    assert (diff.max(-1) > 60).mean() < 0.02
    # and the check can fail: the same scene with its balls moved is far from the reference
    shifted = np.roll(img, 12, axis=1)
    assert np.abs(ref.astype(int) - shifted.astype(int)).mean() > 3.0
