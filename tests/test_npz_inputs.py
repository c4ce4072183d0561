"""Hostile ``.npz`` inputs (issue 19): every member's ``.npy`` header is checked against the bytes
the zip says it holds before anything is allocated, object and structured arrays are refused,
and wrong dtypes or shapes of known entries are one `landscape: error:` line."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from npz_files import (
    members,
    npy_bytes,
    npy_claiming,
    save_without_checksum,
    small_surface,
    small_trajectory,
    write_members,
)

from landscape.balls import Trajectory
from landscape.cli import main
from landscape.errors import LandscapeError
from landscape.files import atomic_savez, format_tag, read_npy
from landscape.surface import Surface


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    d = tmp_path_factory.mktemp("valid")
    s = small_surface()
    return {"surface": s.save(str(d / "s.npz")), "trajectory": small_trajectory(s).save(str(d / "t.npz"))}


def _arrays(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k != "checksum"}


def _one_line(capsys, argv) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("landscape: error: "), err
    assert "Traceback" not in err
    return lines[0]


HUGE = (10 ** 6, 10 ** 6)   # 8 TB of float64


def test_huge_header_claim_is_refused_without_allocating(valid, tmp_path):
    parts = members(valid["surface"])
    parts["loss.npy"] = npy_claiming("<f8", HUGE)
    bad = tmp_path / "huge.npz"
    write_members(bad, parts)
    tracemalloc.start()
    try:
        with pytest.raises(LandscapeError) as e:
            Surface.load(str(bad))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(e.value)
    assert msg == (f"{bad}: not a valid landscape.surface/1 file (loss's header claims "
                   f"8,000,000,000,000 bytes (<f8 (1000000, 1000000)) but it holds 16)")
    assert peak < 50 << 20, peak


def test_huge_header_claim_peak_rss_does_not_grow(valid, tmp_path):
    """In a fresh process, so the peak resident size measures this load alone; a claim of 1 GiB
    (allocatable, so a reader trusting the header would take it) and one of 8 TB."""
    parts = members(valid["surface"])
    for name, shape in (("gib.npz", (2 ** 15, 2 ** 12)), ("tb.npz", HUGE)):
        write_members(tmp_path / name, {**parts, "theta.npy": npy_claiming("<f8", shape)})
    script = r"""
import json, resource, sys
from landscape.errors import LandscapeError
from landscape.surface import Surface
Surface.load(sys.argv[1])                       # a valid file first: code paths warm
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
msgs = []
for p in sys.argv[2:]:
    try:
        Surface.load(p)
    except LandscapeError as e:
        msgs.append(str(e))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"kib": after - before, "msgs": msgs}))
"""
    r = subprocess.run([sys.executable, "-c", script, valid["surface"], str(tmp_path / "gib.npz"),
                        str(tmp_path / "tb.npz")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(res["msgs"]) == 2 and all("header claims" in m for m in res["msgs"]), res
    assert res["kib"] < 50 * 1024, res


def test_huge_claim_through_the_cli_is_one_line(valid, tmp_path, capsys):
    parts = members(valid["surface"])
    write_members(tmp_path / "huge.npz", {**parts, "loss.npy": npy_claiming("<f8", HUGE)})
    line = _one_line(capsys, ["plot", str(tmp_path / "huge.npz"), "-o", str(tmp_path / "f.png")])
    assert "header claims 8,000,000,000,000 bytes" in line
    assert not (tmp_path / "f.png").exists()
    # the format entry itself claiming a huge array: not recognised, one line
    write_members(tmp_path / "tag.npz", {**parts, "format.npy": npy_claiming("<U20", HUGE)})
    assert format_tag(str(tmp_path / "tag.npz")) is None
    line = _one_line(capsys, ["export", str(tmp_path / "tag.npz"), "-o", str(tmp_path / "x.html")])
    assert "neither a scene" in line


@pytest.mark.parametrize("what,part,match", [
    ("object array", npy_bytes(np.array([{"a": 1}], dtype=object)), "holds Python objects"),
    ("object 0-d", npy_bytes(np.array(None, dtype=object)), "holds Python objects"),
    ("structured", npy_bytes(np.zeros(3, [("a", "<f4"), ("b", "<i4")])), "no landscape file holds"),
    ("short member", npy_bytes(np.zeros((7, 5), np.float32))[:-8], "claims 140 bytes .* holds 132"),
    ("long member", npy_bytes(np.zeros((7, 5), np.float32)) + b"xx", "holds 142"),
    ("no header", b"not an array at all", "no valid .npy header"),
    ("empty", b"", "no valid .npy header"),
    ("version 3", b"\x93NUMPY\x03\x00" + b"\0" * 60, "version 3.0"),
    ("negative shape", npy_claiming("<f4", (-1, 5)), "invalid shape|no valid"),
])
def test_bad_members_are_refused(valid, tmp_path, capsys, what, part, match):
    parts = members(valid["surface"])
    parts["loss.npy"] = part
    bad = tmp_path / "bad.npz"
    write_members(bad, parts)
    with pytest.raises(LandscapeError, match=match) as e:
        Surface.load(str(bad))
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{bad}: ")
    assert "landscape: error: " in _one_line(capsys, ["plot", str(bad), "-o", str(tmp_path / "f.png")])


def test_zip_oddities_are_refused(valid, tmp_path):
    parts = members(valid["surface"])
    write_members(tmp_path / "extra.npz", {**parts, "readme.txt": b"hello"})
    with pytest.raises(LandscapeError, match="'readme.txt', which is not a .npy array"):
        Surface.load(str(tmp_path / "extra.npz"))
    import zipfile

    with zipfile.ZipFile(tmp_path / "dup.npz", "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        with pytest.warns(UserWarning):
            zf.writestr("loss.npy", parts["loss.npy"])
    with pytest.raises(LandscapeError, match="'loss' twice"):
        Surface.load(str(tmp_path / "dup.npz"))
    (tmp_path / "text.npz").write_text("just text")
    with pytest.raises(LandscapeError, match="cannot read"):
        Surface.load(str(tmp_path / "text.npz"))
    with pytest.raises(LandscapeError, match="is a directory"):
        Surface.load(str(tmp_path))


@pytest.mark.parametrize("checksummed", [False, True])
@pytest.mark.parametrize("key,value,match", [
    ("loss", lambda a: a.astype(np.int32), r"loss is <i4 \[7, 5\]; expected float with 2 dim"),
    ("loss", lambda a: a.T, "do not fit the grid 7×5"),
    ("loss", lambda a: a[None], "expected float with 2 dimensions"),
    ("alphas", lambda a: a[:3], "do not fit the grid"),
    ("theta", lambda a: a[:-1], "theta, d1 and d2 differ|layout covers"),
    ("d1", lambda a: a.astype(np.complex64), "expected float"),
    ("y_eval", lambda a: a.astype(np.float32), "expected int/uint"),
    ("meta", lambda a: np.array(b"{}"), "meta is |S2"),
    ("meta", lambda a: np.array("[1, 2]"), "must be JSON objects"),
    ("spec", lambda a: np.array("{not json"), "not a valid landscape surface file"),
    ("layout", lambda a: np.array('[{"layer": "x"}]'), "not a valid landscape surface file"),
    ("layout", lambda a: np.array("[]"), "layout covers 0 parameters, theta has 17"),
    ("format", lambda a: np.array(["landscape.surface/1"]), "format tag None"),
    ("format", lambda a: np.array("landscape.trajectory/1"), "not a landscape.surface/1 file"),
])
def test_wrong_dtypes_and_shapes_of_known_entries(valid, tmp_path, capsys, checksummed, key,
                                                  value, match):
    """Crafted files: without a checksum (as an earlier version's file), and with a valid one
    for the altered content (the checksum says nothing about whether the content makes sense)."""
    arrays = _arrays(valid["surface"])
    arrays[key] = value(arrays[key])
    bad = str(tmp_path / "bad.npz")
    atomic_savez(bad, arrays) if checksummed else save_without_checksum(bad, arrays)
    with pytest.raises(LandscapeError, match=match) as e:
        Surface.load(bad)
    assert "\n" not in str(e.value)
    _one_line(capsys, ["plot", bad, "-o", str(tmp_path / "f.png")])


@pytest.mark.parametrize("key,value,match", [
    ("positions", lambda a: a[..., :1], r"positions is \[5, 6, 1\], expected \[5, 6, 2\]"),
    ("positions", lambda a: a.astype(np.int64), "expected float"),
    ("heights", lambda a: a[:-1], "heights is"),
    ("group", lambda a: a + 7, "group is not among the groups"),
    ("escaped", lambda a: a.astype(np.float32), "expected bool"),
    ("grad_norms", lambda a: a[..., :1], r"grad_norms_bias is \[5, 6, 2\], expected \[5, 6, 1\]"),
    ("mode", lambda a: np.array("sideways"), "unknown mode"),
    ("info", lambda a: np.array("{}"), "not a valid landscape trajectory file"),
    ("info", lambda a: np.array("[]"), "not a valid landscape trajectory file"),
])
def test_wrong_trajectory_entries(valid, tmp_path, capsys, key, value, match):
    arrays = _arrays(valid["trajectory"])
    arrays[key] = value(arrays[key])
    bad = str(tmp_path / "bad.npz")
    atomic_savez(bad, arrays)
    with pytest.raises(LandscapeError, match=match):
        Trajectory.load(bad)
    _one_line(capsys, ["plot", valid["surface"], "--trajectory", bad, "-o", str(tmp_path / "f.png")])


def test_bare_npy_reader(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(read_npy(str(tmp_path / "a.npy")), np.arange(5))
    (tmp_path / "b.npy").write_bytes(npy_claiming("<f8", HUGE))
    with pytest.raises(LandscapeError, match="header claims"):
        read_npy(str(tmp_path / "b.npy"))
    np.save(tmp_path / "c.npy", np.array([1, "x"], dtype=object), allow_pickle=True)
    with pytest.raises(LandscapeError, match="Python objects"):
        read_npy(str(tmp_path / "c.npy"))
    with pytest.raises(LandscapeError, match="cannot read"):
        read_npy(str(tmp_path / "missing.npy"))
