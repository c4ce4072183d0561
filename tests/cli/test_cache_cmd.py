"""`landscape cache info|clear` (issue 19): what is in the cache, removing it without touching
what another process holds, and every bad DAYS or LANDSCAPE_CACHE_MAX ending in one line."""

import datetime
import json
import os
import subprocess
import sys
import time

import pytest
from cache_files import DAY, Holder, put, put_xla
from cli_errors import one_line_error, run

from landscape.cli._main import main


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("LANDSCAPE_CACHE", str(root))
    monkeypatch.delenv("LANDSCAPE_CACHE_MAX", raising=False)
    return root


def populate(r):
    put(f"{r}/surface-aa.npz", 1000, age_days=20)
    put(f"{r}/surface-aa.npz.lock", 0)
    put(f"{r}/timelapse-bb.npz", 2000, age_days=3)
    put(f"{r}/jobs/surface-cc/block-000000.npy", 300, age_days=10)
    put_xla(r, "jit_f-1", 400, age_days=1)
    put(f"{r}/mine.txt", 5, age_days=100)


def info_json(capsys):
    code, out, err = run(capsys, "cache", "info", "--json")
    assert code == 0, err
    return json.loads(out)


def test_info_on_a_missing_cache(cache, capsys):
    code, out, err = run(capsys, "cache", "info")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"cache: {cache} (not created yet: the cache is empty)",
        "size: 0 B; cap 5.0 GiB (default; set LANDSCAPE_CACHE_MAX to change)"]
    s = info_json(capsys)
    assert s["exists"] is False and s["bytes"] == 0 and s["path"] == str(cache)
    assert not cache.exists()  # looking creates nothing


def test_info_on_a_populated_cache(cache, capsys, monkeypatch):
    populate(cache)
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "2G")
    s = info_json(capsys)
    assert {k: (v["count"], v["bytes"]) for k, v in s["kinds"].items()} == {
        "surface": (1, 1000), "timelapse": (1, 2000), "job": (1, 300), "xla": (1, 408),
        "partial": (0, 0), "other": (1, 5)}
    assert s["bytes"] == 3713 and s["counted_bytes"] == 3708 and s["lock_files"] == 1
    assert s["limit"] == {"bytes": 2 * 2**30, "set_by": "LANDSCAPE_CACHE_MAX=2G"}
    # mine.txt (100 days) is not landscape's: not the oldest use
    oldest = datetime.datetime.fromisoformat(s["oldest_use"]).timestamp()
    assert abs(oldest - (time.time() - 20 * DAY)) < 120
    code, out, _ = run(capsys, "cache", "info")
    lines = out.splitlines()
    assert lines[0] == f"cache: {cache}"
    assert lines[1] == "size: 3.6 KiB; cap 2.0 GiB (LANDSCAPE_CACHE_MAX=2G)"
    assert "  surfaces                1      1000 B" in lines
    assert "  compiled programs       1       408 B" in lines
    assert lines[-1].startswith("last used: oldest ") and "(20 days ago)" in lines[-1]
    assert "(1 day ago)" in lines[-1]


def test_clear_everything(cache, capsys):
    populate(cache)
    code, out, err = run(capsys, "cache", "clear")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == ("removed 4 entries (1 surface, 1 timelapse, 1 job folder, 1 compiled "
                        "program), freed 3.6 KiB")
    assert lines[2] == "left 1 other file that landscape did not write: mine.txt"
    s = info_json(capsys)
    assert s["counted_bytes"] == 0 and s["kinds"]["other"]["count"] == 1
    assert (cache / "surface-aa.npz.lock").exists()  # lock files stay (deleting them races)


def test_clear_older_than(cache, capsys):
    populate(cache)
    code, out, err = run(capsys, "cache", "clear", "--older-than", "7", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert sorted(r["removed"]) == ["jobs/surface-cc", "surface-aa.npz"]
    assert r["freed_bytes"] == 1300 and r["in_use"] == [] and r["failed"] == []
    assert (cache / "timelapse-bb.npz").exists() and (cache / "xla" / "jit_f-1-cache").exists()
    code, out, _ = run(capsys, "cache", "clear", "--older-than", "0.5")
    assert "removed 2 entries last used more than 0.5 days ago" in out
    code, out, _ = run(capsys, "cache", "clear", "--older-than", "0.5")
    assert "removed nothing: no entries last used more than 0.5 days ago" in out


def test_clear_keeps_an_entry_another_process_holds(cache, capsys):
    populate(cache)
    h = Holder(cache / "timelapse-bb.npz")
    try:
        code, out, err = run(capsys, "cache", "clear")
        assert code == 0, err
        assert "kept 1 in use by another process: timelapse-bb.npz" in out
        assert (cache / "timelapse-bb.npz").read_bytes() == b"x" * 2000
        assert not (cache / "surface-aa.npz").exists()
    finally:
        h.close()
    code, out, _ = run(capsys, "cache", "clear")   # released: it goes now
    assert "removed 1 entry (1 timelapse), freed 2.0 KiB" in out


def test_an_entry_that_cannot_be_removed_is_one_error_line(cache, capsys, monkeypatch):
    populate(cache)
    real = os.remove

    def refuse(path, *a, **kw):
        if os.path.basename(str(path)) == "surface-aa.npz":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **kw)

    monkeypatch.setattr(os, "remove", refuse)
    code, out, err = run(capsys, "cache", "clear")
    assert code == 2
    assert err == (f"landscape: error: could not remove {cache / 'surface-aa.npz'}: "
                   f"PermissionError: Permission denied\n")
    assert "removed 3 entries (1 timelapse, 1 job folder, 1 compiled program)" in out
    assert (cache / "surface-aa.npz").exists()


def test_clear_a_missing_cache(cache, capsys):
    code, out, err = run(capsys, "cache", "clear")
    assert code == 0 and out == f"cache: {cache} (not created yet: nothing to clear)\n"
    assert not cache.exists()


@pytest.mark.parametrize("days", ["-1", "abc", "nan", "inf", "-0.5", ""])
def test_bad_days_is_one_line(cache, capsys, tmp_path, days):
    populate(cache)
    before = sorted(os.listdir(cache))
    line = one_line_error(capsys, tmp_path, "cache", "clear", "--older-than", days)
    assert "--older-than" in line and "DAYS must be a number of days" in line
    assert sorted(os.listdir(cache)) == before


@pytest.mark.parametrize("value", ["abc", "-5G", "12 parsecs", "0.5"])
def test_bad_cap_is_one_line(cache, capsys, tmp_path, monkeypatch, value):
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", value)
    line = one_line_error(capsys, tmp_path, "cache", "info")
    assert line.startswith(f"landscape: error: LANDSCAPE_CACHE_MAX={value!r}")
    # a computing command fails the same way, before any work
    line = one_line_error(capsys, tmp_path, "surface", "--dataset", "moons", "--grid", "5", "-q")
    assert line.startswith(f"landscape: error: LANDSCAPE_CACHE_MAX={value!r}")


def test_info_after_a_real_surface_run(tmp_path):
    """The names and kinds are those a real `landscape surface` writes; a second run is a hit
    and refreshes the entry's last use."""
    env = dict(os.environ, LANDSCAPE_CACHE=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    env.pop("LANDSCAPE_CACHE_MAX", None)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)   # the suite's shared folder: not here

    def cli(*argv):
        r = subprocess.run([sys.executable, "-m", "landscape.cli", *argv], env=env,
                           capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
        return r.stdout

    argv = ["surface", "--dataset", "moons", "--samples", "128", "--widths", "8",
            "--train-steps", "20", "--grid", "5", "-q"]
    cli(*argv)
    s = json.loads(cli("cache", "info", "--json"))
    k = s["kinds"]
    assert k["surface"]["count"] == 1 and k["job"]["count"] == 0
    xla_dir = tmp_path / "cache" / "xla"   # programs that took ≥ 0.2 s to compile
    xla = os.listdir(xla_dir) if xla_dir.exists() else []
    assert k["xla"]["count"] == len([n for n in xla if n.endswith("-cache")])
    assert k["partial"]["count"] == k["other"]["count"] == k["timelapse"]["count"] == 0
    (entry,) = [n for n in os.listdir(tmp_path / "cache") if n.endswith(".npz")]
    assert entry.startswith("surface-")
    assert k["surface"]["bytes"] == os.path.getsize(tmp_path / "cache" / entry)
    # JAX keeps a last-use record for every program (its size-capped cache is on)
    assert all(n[:-6] + "-atime" in xla for n in xla if n.endswith("-cache"))
    old = time.time() - 3 * DAY
    os.utime(tmp_path / "cache" / entry, (old, old))
    cli(*argv)  # a hit
    assert os.stat(tmp_path / "cache" / entry).st_mtime > time.time() - 120
    out = cli("cache", "clear")
    assert out.splitlines()[1].startswith(f"removed {1 + k['xla']['count']} entries (1 surface")
    assert json.loads(cli("cache", "info", "--json"))["counted_bytes"] == 0


def test_a_cache_path_that_is_a_file_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path / "f"))
    for action in ("info", "clear"):
        line = one_line_error(capsys, tmp_path, "cache", action)
        assert line == (f"landscape: error: the cache {tmp_path / 'f'} is a file, not a folder; "
                        f"point LANDSCAPE_CACHE at a folder")


def test_cache_needs_an_action(capsys):
    code, out, err = run(capsys, "cache")
    assert code == 2 and err.startswith("landscape: error: cache: ") and len(err.splitlines()) == 1
    assert main(["cache", "--help"]) == 0


def test_jax_compilation_cache_dir_puts_the_programs_there(tmp_path):
    """JAX's own variable wins over the landscape cache's ``xla`` folder: the programs go to
    the named folder, which `landscape cache` then neither counts nor clears."""
    shared = tmp_path / "programs"
    env = dict(os.environ, LANDSCAPE_CACHE=str(tmp_path / "cache"), JAX_PLATFORMS="cpu",
               JAX_COMPILATION_CACHE_DIR=str(shared))

    def cli(*argv):
        r = subprocess.run([sys.executable, "-m", "landscape.cli", *argv], env=env,
                           capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
        return r.stdout

    cli("surface", "--dataset", "moons", "--samples", "128", "--widths", "8", "--train-steps",
        "20", "--grid", "5", "-q")
    programs = [n for n in os.listdir(shared) if n.endswith("-cache")]
    assert programs                                     # the grid engine compiles for > 0.2 s
    assert not (tmp_path / "cache" / "xla").exists()
    assert json.loads(cli("cache", "info", "--json"))["kinds"]["xla"]["count"] == 0
    cli("cache", "clear")
    assert sorted(n for n in os.listdir(shared) if n.endswith("-cache")) == sorted(programs)
