"""Every landscape ``.npz`` carries a checksum of its own content (issue 19): an altered array
is caught even when its zip entry was rewritten with a valid CRC, a truncated file is caught,
and files written before checksums (none) still load."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from npz_files import (
    header_length,
    members,
    save_without_checksum,
    small_surface,
    small_trajectory,
    write_members,
)

from landscape.balls import Trajectory
from landscape.errors import LandscapeError
from landscape.files import atomic_savez, content_checksum, read_npz
from landscape.measures._line import Line
from landscape.surface import Surface


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    s = small_surface()
    t = small_trajectory(s)
    line = Line(np.linspace(0, 1, 5, dtype=np.float32), np.arange(5, dtype=np.float32),
                np.full(5, 0.5, np.float32), np.zeros(17, np.float32), np.ones(17, np.float32),
                {"kind": "interpolation"})
    return {"surface": (Surface, s.save(str(d / "s.npz")), s),
            "trajectory": (Trajectory, t.save(str(d / "t.npz")), t),
            "line": (Line, line.save(str(d / "l.npz")), line)}


def _flip_inside(src, dst, key: str) -> None:
    """Copy ``src`` to ``dst`` with one byte of array ``key``'s data altered, the zip member
    rewritten with a fresh CRC: the zip itself is valid, only the content is wrong."""
    parts = members(src)
    npy = bytearray(parts[key + ".npy"])
    npy[header_length(bytes(npy))] ^= 0x40
    parts[key + ".npy"] = bytes(npy)
    write_members(dst, parts)


@pytest.mark.parametrize("kind,key", [("surface", "loss"), ("surface", "theta"),
                                      ("trajectory", "positions"), ("line", "loss")])
def test_altered_array_inside_a_valid_zip_is_caught_by_the_checksum(files, tmp_path, kind, key):
    cls, path, _ = files[kind]
    bad = tmp_path / "bad.npz"
    _flip_inside(path, bad, key)
    # the container is fine: zip CRCs pass and numpy reads the altered array without complaint
    with zipfile.ZipFile(bad) as zf:
        assert zf.testzip() is None
    with np.load(bad, allow_pickle=False) as z:
        assert not np.array_equal(z[key], np.load(path)[key], equal_nan=True)
    with pytest.raises(LandscapeError) as e:
        cls.load(str(bad))
    msg = str(e.value)
    assert msg == f"{bad}: damaged (checksum mismatch): recompute it or restore it from a copy"
    assert "\n" not in msg


def test_in_place_byte_flip_is_caught(files, tmp_path):
    """Flipped on disk (zip CRC left stale): still one line, never a traceback."""
    _, path, _ = files["surface"]
    raw = bytearray(open(path, "rb").read())
    i = raw.index(b"\x93NUMPY", raw.index(b"loss.npy")) + 200
    raw[i] ^= 1
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(LandscapeError, match=r"flip\.npz: (cannot read|damaged|not a valid)"):
        Surface.load(str(bad))


@pytest.mark.parametrize("kind", ["surface", "trajectory", "line"])
@pytest.mark.parametrize("frac", [0.0, 0.1, 0.5, 0.97])
def test_truncated_file_is_one_line(files, tmp_path, kind, frac):
    cls, path, _ = files[kind]
    raw = open(path, "rb").read()
    bad = tmp_path / "short.npz"
    bad.write_bytes(raw[:int(len(raw) * frac)])
    with pytest.raises(LandscapeError) as e:
        cls.load(str(bad))
    assert str(e.value).startswith(f"{bad}: ") and "\n" not in str(e.value)


@pytest.mark.parametrize("kind", ["surface", "trajectory", "line"])
def test_round_trip_and_files_without_a_checksum_still_load(files, tmp_path, kind):
    cls, path, obj = files[kind]
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    assert arrays["checksum"].dtype.kind == "U" and str(arrays["checksum"]) == content_checksum(arrays)
    old = tmp_path / "old.npz"
    save_without_checksum(old, arrays)
    assert "checksum" not in np.load(old).files
    for p in (path, str(old)):
        back = cls.load(p)
        for name in ("loss", "positions", "t", "theta"):
            if hasattr(obj, name):
                np.testing.assert_array_equal(getattr(back, name), getattr(obj, name))


def test_checksum_covers_names_dtypes_and_shapes(tmp_path):
    a = {"format": np.array("x/1"), "v": np.arange(6, dtype=np.float32)}
    base = content_checksum(a)
    assert content_checksum({**a, "v": a["v"].reshape(2, 3)}) != base
    assert content_checksum({**a, "v": a["v"].astype(np.float64)}) != base
    assert content_checksum({"format": a["format"], "w": a["v"]}) != base
    assert content_checksum({**a, "checksum": np.array("anything")}) == base
    assert content_checksum({**a, "v": np.asfortranarray(a["v"].reshape(2, 3))}) == \
        content_checksum({**a, "v": a["v"].reshape(2, 3)})
    p = atomic_savez(str(tmp_path / "x.npz"), a)
    assert str(read_npz(p, "x/1", ("v",))["checksum"]) == base
    with pytest.raises(ValueError, match="reserved"):
        atomic_savez(str(tmp_path / "y.npz"), {**a, "checksum": np.array("mine")})
    # an added or a removed entry is a mismatch, like an altered one
    parts = members(p)
    write_members(tmp_path / "added.npz", {**parts, "w.npy": parts["v.npy"]})
    with pytest.raises(LandscapeError, match="checksum mismatch"):
        read_npz(str(tmp_path / "added.npz"), "x/1", ("v",))


def test_damaged_job_block_is_recomputed_and_old_blocks_still_read(tmp_path):
    from landscape.surface._jobs import BlockJob

    folder = str(tmp_path / "job")
    job = BlockJob(folder, "h", 3, (4, 2))
    for k in range(3):
        job.save(k, np.full((4, 2), k, np.float32))
    assert BlockJob(folder, "h", 3, (4, 2)).done.all()
    _flip_inside(job.path(1), tmp_path / "b.npz", "block")
    (tmp_path / "b.npz").replace(job.path(1))
    again = BlockJob(folder, "h", 3, (4, 2))
    assert again.done.tolist() == [True, False, True]   # the damaged block is recomputed
    # a block as earlier versions wrote it (a bare .npy, no checksum) is still read
    import os

    os.remove(job.path(2))
    np.save(os.path.join(folder, "block-000002.npy"), np.full((4, 2), 2, np.float32))
    third = BlockJob(folder, "h", 3, (4, 2))
    assert third.done.tolist() == [True, False, True]
    np.testing.assert_array_equal(third.load(2), np.full((4, 2), 2, np.float32))
    # a truncated block is not whole: recomputed too
    raw = open(job.path(0), "rb").read()
    open(job.path(0), "wb").write(raw[:len(raw) // 2])
    assert BlockJob(folder, "h", 3, (4, 2)).done.tolist() == [False, False, True]


def test_damaged_cache_entry_is_reported_and_recomputed(tmp_path, monkeypatch):
    """A cache entry altered inside a valid zip: one 'corrupt … checksum mismatch' line,
    recomputed, and the same numbers as before."""
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path / "cache"))
    from landscape.pipeline import LandscapeConfig, build_surface

    cfg = LandscapeConfig(dataset="moons", n_samples=200, widths=(8,), train_steps=10, grid=5)
    first = build_surface(cfg, progress=False, log=lambda line: None).surface
    (entry,) = (tmp_path / "cache").glob("surface-*.npz")
    _flip_inside(entry, tmp_path / "x.npz", "loss")
    (tmp_path / "x.npz").replace(entry)
    lines = []
    again = build_surface(cfg, progress=False, log=lines.append)
    assert again.timings["cached"] is False
    corrupt = [line for line in lines if "corrupt" in line]
    assert len(corrupt) == 1 and "checksum mismatch" in corrupt[0], lines
    np.testing.assert_array_equal(again.surface.loss, first.loss)
    assert build_surface(cfg, progress=False).timings["cached"] is True   # repaired
