"""Issue 19: outputs and the cache on a full, read-only or vanishing disk, through the real CLI.

An output that cannot be written ends in one ``landscape: error: <path>: cannot write: ...``
line naming what is needed (the free space), exit status 2, no traceback, and nothing left in
the folder (no partial file, no temporary file), whether the disk is full before the write
(refused before any compute) or fills during it. A cache that cannot be written is one
``landscape: warning: could not write the cache`` line, and the job finishes (exit 0) with the
output an uncached run writes.

The disks are small tmpfs mounts (``mount -t tmpfs -o size=...``), so these tests need root
(or a user allowed to mount); elsewhere they skip, saying so.
"""

import contextlib
import errno
import os
import pathlib
import shutil
import subprocess
import time
import uuid

import numpy as np
import pytest
from cli_process import TINY_SCENE, landscape

TINY = ["--widths", "8", "--train-steps", "10", "--dataset", "moons", "--samples", "64"]
# no -q: it silences notices, the cache warning among them
SURFACE_ARGS = ["surface", "--widths", "16", "--dataset", "moons", "--grid", "31"]


def _try_mount(d, *opts) -> str | None:
    """Mount a tmpfs on ``d``; None when done, else why not."""
    if not shutil.which("mount"):
        return "no mount command"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(opts), "tmpfs", str(d)],
                       capture_output=True, text=True, check=False)
    return None if r.returncode == 0 else (r.stderr.strip() or f"mount exited {r.returncode}")


@contextlib.contextmanager
def tmpfs(base, size: str, free: int | None = None, read_only: bool = False):
    """A tmpfs of ``size`` mounted in a new folder under ``base``; ``free``: fill it with one
    file (``fill``) until only about that many bytes are left (0: until the disk is full);
    ``read_only``: remounted read-only after filling."""
    d = base / f"disk-{uuid.uuid4().hex[:8]}"
    d.mkdir()
    why = _try_mount(d, f"size={size}", "mode=0777")
    if why is not None:
        d.rmdir()
        pytest.skip(f"needs a small tmpfs, and mounting one was refused ({why}): run as root")
    try:
        if free is not None:
            _fill(d / "fill", free)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True)
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)
        with contextlib.suppress(OSError):
            d.rmdir()


def _fill(path, leave: int) -> None:
    st = os.statvfs(path.parent)
    room = st.f_bfree * st.f_frsize - leave
    try:
        with open(path, "wb", buffering=0) as fh:
            fh.write(b"\0" * max(room, 0))
            while leave == 0:
                fh.write(b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e


def assert_one_line_error(r, path, *needles):
    """Exit 2, no traceback, stderr's last line the error naming ``path``."""
    assert r.returncode == 2, (r.returncode, r.stderr[-3000:])
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"landscape: error: {path}: cannot write"), last
    for n in needles:
        assert n in last, last
    return last


def assert_only_fill(d):
    assert sorted(os.listdir(d)) in (["fill"], []), sorted(os.listdir(d))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A cache with the scene's surface, a 41×41 surface file and a trajectory, made once."""
    d = tmp_path_factory.mktemp("full-disk")
    cache = d / "cache"
    (d / "tiny.py").write_text(TINY_SCENE.replace("RUN_TIME", "8"))
    (d / "long.py").write_text(TINY_SCENE.replace("RUN_TIME", "400"))
    for args in ([*TINY, "--grid", "41", "-q", "-o", d / "s.npz"],):
        r = landscape("surface", *args, cache=cache)
        assert r.returncode == 0, r.stderr[-2000:]
    r = landscape("simulate", *TINY, "--grid", "5", "--balls", "5", "--steps", "4",
                  "--batch-size", "16", "-o", d / "t.npz", cache=cache)
    assert r.returncode == 0, r.stderr[-2000:]
    r = landscape("render", d / "tiny.py", "-q", "tiny", "-o", d / "ok.mp4", cache=cache)
    assert r.returncode == 0, r.stderr[-2000:]
    return d, cache


def commands(d, out):
    """Each output-writing command, to a file named ``out/<name>``."""
    return {
        "render.mp4": ["render", d / "tiny.py", "-q", "tiny", "-o", out / "v.mp4"],
        "render.gif": ["render", d / "tiny.py", "-q", "tiny", "-o", out / "v.gif"],
        "render.png": ["render", d / "tiny.py", "-q", "tiny", "--format", "png",
                       "-o", out / "frames"],
        "surface": ["surface", *TINY, "--grid", "41", "-q", "-o", out / "s.npz"],
        "simulate": ["simulate", *TINY, "--grid", "5", "--balls", "5", "--steps", "4",
                     "--batch-size", "16", "-o", out / "t.npz"],
        "export.glb": ["export", d / "s.npz", "-o", out / "e.glb"],
        "export.html": ["export", d / "s.npz", "-o", out / "e.html"],
        "export.vtp": ["export", d / "s.npz", "-o", out / "e.vtp"],
        "export.ply": ["export", d / "s.npz", "-o", out / "e.ply"],
        "plot.png": ["plot", d / "s.npz", "-o", out / "p.png"],
        "plot.pdf": ["plot", d / "s.npz", "-o", out / "p.pdf"],
    }


NAMES = list(commands(pathlib.Path("d"), pathlib.Path("o")))


@pytest.mark.parametrize("name", NAMES)
def test_output_on_a_full_disk_before_the_write(inputs, tmp_path, name):
    """0 bytes free: refused in one line before any compute (fast), nothing written."""
    d, cache = inputs
    with tmpfs(tmp_path, "64k", free=0) as disk:
        argv = commands(d, disk)[name]
        t0 = time.monotonic()
        r = landscape(*argv, cache=cache)
        out = argv[-1]
        assert_one_line_error(r, out, "no space left on the device", "0 bytes free")
        assert_only_fill(disk)
    assert time.monotonic() - t0 < 120


@pytest.mark.parametrize("name", NAMES)
def test_output_on_a_disk_that_fills_during_the_write(inputs, tmp_path, name):
    """A few kB free: the write starts and fails part-way (ffmpeg, PIL, numpy, VTK's
    writers): one line with the free space, and neither the file nor a temporary one left."""
    d, cache = inputs
    with tmpfs(tmp_path, "64k", free=6000) as disk:
        argv = commands(d, disk)[name]
        r = landscape(*argv, cache=cache)
        assert_one_line_error(r, argv[-1], "no space left on the device", "free in")
        assert_only_fill(disk)


@pytest.mark.parametrize("name", ["render.mp4", "surface", "export.html", "plot.pdf"])
def test_output_on_a_read_only_disk(inputs, tmp_path, name):
    """Root ignores permission bits, but not a read-only mount."""
    d, cache = inputs
    with tmpfs(tmp_path, "64k", read_only=True) as disk:
        argv = commands(d, disk)[name]
        r = landscape(*argv, cache=cache)
        assert_one_line_error(r, argv[-1], "not writable", "read-only")
        assert_only_fill(disk)


def test_output_folder_removed_during_a_render(inputs, tmp_path):
    """The folder the video is being written into is removed while ffmpeg writes: one line
    saying it no longer exists, exit 2."""
    d, cache = inputs
    out = tmp_path / "gone"
    out.mkdir()
    p = landscape("render", d / "long.py", "-q", "tiny", "-o", out / "v.mp4", cache=cache,
                  wait=False)
    for _ in range(1200):
        if any(n.endswith(".part.mp4") for n in os.listdir(out)) or p.poll() is not None:
            break
        time.sleep(0.1)
    shutil.rmtree(out)
    _, err = p.communicate(timeout=600)
    r = subprocess.CompletedProcess(p.args, p.returncode, "", err)
    assert_one_line_error(r, out / "v.mp4", "does not exist")
    assert not out.exists()


def test_video_encoder_stopping_is_one_line(tmp_path, monkeypatch):
    """ffmpeg killed under the writer (BrokenPipe on its stdin, then its exit status): one
    `LandscapeError` line, and no file."""
    import signal

    from landscape.errors import LandscapeError
    from landscape.render import VideoWriter

    frame = np.zeros((112, 192, 3), np.uint8)
    w = VideoWriter(tmp_path / "v.mp4", size=(192, 112), fps=2)
    w.write(frame)
    os.kill(w._writer.pid, signal.SIGKILL)
    w._writer.wait()
    with pytest.raises(LandscapeError) as e:
        for _ in range(200):
            w.write(frame)
        w.close()
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'v.mp4'}: ") and "\n" not in msg, msg
    assert "ffmpeg" in msg
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- the cache


def _grid(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in ("loss", "accuracy", "alphas", "betas")}


@pytest.fixture(scope="module")
def uncached(tmp_path_factory):
    d = tmp_path_factory.mktemp("uncached")
    r = landscape(*SURFACE_ARGS, "--no-cache", "-o", d / "s.npz", cache=d / "unused")
    assert r.returncode == 0, r.stderr[-2000:]
    return _grid(d / "s.npz")


def _assert_warned_once_and_same(r, out, uncached):
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "UserWarning" not in r.stderr, r.stderr[-3000:]
    lines = [ln for ln in r.stderr.splitlines() if "could not write the cache" in ln]
    assert len(lines) == 1 and lines[0].startswith("landscape: warning: could not write the "
                                                   "cache ("), r.stderr[-3000:]
    got = _grid(out)
    assert all(np.array_equal(got[k], uncached[k], equal_nan=True) for k in got)
    return lines[0]


def test_a_full_cache_warns_once_and_runs_uncached(tmp_path, uncached):
    """The cache's disk is full from the start: compiled programs, job blocks and the surface
    all fail to be written, and the user hears of it once."""
    with tmpfs(tmp_path, "64k", free=0) as disk:
        r = landscape(*SURFACE_ARGS, "-o", tmp_path / "s.npz", cache=disk / "cache")
        line = _assert_warned_once_and_same(r, tmp_path / "s.npz", uncached)
        assert "No space left" in line or "no space left" in line, line


def test_a_cache_that_fills_during_the_job(tmp_path, uncached):
    """Room for the job folder's block but not for the published surface (the compiled
    programs kept elsewhere, so the sizes are the job's own): the job finishes, warns once,
    and leaves no temporary file in the cache."""
    xla = tmp_path / "xla"
    xla.mkdir()
    with tmpfs(tmp_path, "64k") as disk:
        cache = disk / "cache"
        cache.mkdir()
        os.symlink(xla, cache / "xla")
        r = landscape(*SURFACE_ARGS, "-o", tmp_path / "s.npz", cache=cache)
        line = _assert_warned_once_and_same(r, tmp_path / "s.npz", uncached)
        assert "surface-" in line and "no space left on the device" in line, line
        left = [os.path.join(root, f) for root, _, files in os.walk(cache) for f in files]
        assert all(f.endswith(".lock") for f in left), left


def test_a_read_only_cache_warns_once(tmp_path, uncached):
    with tmpfs(tmp_path, "64k", read_only=True) as disk:
        r = landscape(*SURFACE_ARGS, "-o", tmp_path / "s.npz", cache=disk / "cache")
        _assert_warned_once_and_same(r, tmp_path / "s.npz", uncached)


def test_notebook_still_and_video_save_write_their_bytes(tmp_path):
    """``Still.save`` / ``Video.save`` called ``atomic_write`` (a context manager) as a function
    and wrote nothing; on a full disk they raise the one-line error and leave nothing."""
    from landscape.errors import LandscapeError
    from landscape.scene import Still, Video

    data = bytes(range(256)) * 64
    Still(data, (4, 4)).save(tmp_path / "s.png")
    Video(data, {"size": (4, 4), "frames": 1, "fps": 1}).save(tmp_path / "v.mp4")
    assert (tmp_path / "s.png").read_bytes() == data == (tmp_path / "v.mp4").read_bytes()
    with tmpfs(tmp_path, "64k", free=6000) as disk:
        with pytest.raises(LandscapeError, match="no space left on the device"):
            Still(data, (4, 4)).save(disk / "s.png")
        assert_only_fill(disk)
