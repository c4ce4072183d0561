"""Issue 19: the cache's cap (LANDSCAPE_CACHE_MAX), its least-recently-used eviction, and the
entries it must never remove (the one just written, one another process holds, files that are
not landscape's). Entries are small fake files where the eviction alone is tested, and real
surfaces where a cache hit must refresh an entry's last use."""

import os
import subprocess
import sys
import time

import pytest
from cache_files import DAY, Holder, put, put_xla

from landscape.errors import LandscapeError
from landscape.pipeline import (
    DEFAULT_LIMIT,
    LandscapeConfig,
    build_surface,
    cache_limit,
    clear_cache,
    enforce_limit,
    parse_size,
    scan_cache,
)


def names(root):
    return sorted(os.path.relpath(e.path, root) for e in scan_cache(str(root)).entries)


@pytest.mark.parametrize("text,expect", [
    ("1000", 1000), ("1000B", 1000), ("500M", 500 * 2**20), ("2G", 2 * 2**30),
    ("1.5GiB", int(1.5 * 2**30)), ("800MB", 800 * 10**6), ("64k", 64 * 1024),
    (" 3 gib ", 3 * 2**30), ("1T", 2**40),
    ("none", None), ("off", None), ("0", None), ("unlimited", None), ("OFF", None)])
def test_parse_size(text, expect):
    assert parse_size(text) == expect


@pytest.mark.parametrize("text", ["abc", "-1G", "5X", "1.2.3", "G", "nan", "inf", "0.5",
                                  "1e9", "5 G B"])
def test_parse_size_rejects(text):
    with pytest.raises(LandscapeError, match="LANDSCAPE_CACHE_MAX"):
        parse_size(text)


def test_cache_limit_default_and_env(monkeypatch):
    monkeypatch.delenv("LANDSCAPE_CACHE_MAX", raising=False)
    assert cache_limit() == (DEFAULT_LIMIT, "default") and DEFAULT_LIMIT == 5 * 2**30
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "2G")
    assert cache_limit() == (2 * 2**30, "LANDSCAPE_CACHE_MAX=2G")
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "none")
    assert cache_limit() == (None, "LANDSCAPE_CACHE_MAX=none")


def test_scan_classifies_every_kind(tmp_path):
    r = str(tmp_path)
    put(f"{r}/surface-aa.npz", 100)
    put(f"{r}/surface-aa.npz.lock", 0)
    put(f"{r}/timelapse-bb.npz", 200)
    put(f"{r}/jobs/surface-cc/block-000000.npy", 300)
    put(f"{r}/jobs/surface-cc/job.json", 10)
    put(f"{r}/jobs/surface-cc.lock", 0)
    put_xla(r, "jit_f-123", 400, 1)
    put(f"{r}/xla/.lockfile", 0)
    put(f"{r}/.surface-dd.npz.4242.tmp", 50)
    put(f"{r}/jobs/.trash-surface-ee.99/block-000000.npy", 60)
    put(f"{r}/notes.txt", 7)
    s = scan_cache(r)
    kinds = s.by_kind()
    assert {k: (v["count"], v["bytes"]) for k, v in kinds.items()} == {
        "surface": (1, 100), "timelapse": (1, 200), "job": (1, 310), "xla": (1, 408),
        "partial": (2, 110), "other": (1, 7)}
    assert len(s.lock_files) == 3
    assert s.total == 1135 and s.counted == 1128  # notes.txt does not count against the cap


def test_evicts_least_recently_used_first_and_never_the_new_entry(tmp_path):
    r = str(tmp_path)
    old = put(f"{r}/surface-old.npz", 1000, age_days=30)
    mid = put(f"{r}/timelapse-mid.npz", 1000, age_days=10)
    put_xla(r, "jit_g-1", 1000, age_days=20)
    new = put(f"{r}/surface-new.npz", 1000, age_days=0)
    out = enforce_limit(new, limit=2500, root=r)
    # 4000 bytes (+8 of the -atime) over 2500: the two oldest go (30 days, then 20), no more
    assert sorted(os.path.basename(e.path) for e in out.removed) == ["jit_g-1-cache",
                                                                      "surface-old.npz"]
    assert os.path.exists(mid) and os.path.exists(new) and not os.path.exists(old)
    assert os.listdir(f"{r}/xla") == [".lockfile"]  # the program went with its -atime record
    # a cap below the newest entry alone: everything else goes, the new entry stays
    out = enforce_limit(new, limit=10, root=r)
    assert names(r) == ["surface-new.npz"]
    assert os.path.exists(f"{r}/surface-old.npz.lock")  # lock files are never deleted


def test_an_entry_in_use_is_never_evicted(tmp_path):
    r = str(tmp_path)
    held = put(f"{r}/surface-held.npz", 1000, age_days=40)
    job = os.path.dirname(put(f"{r}/jobs/surface-job/block-000000.npy", 1000, age_days=35))
    busy_entry_job = os.path.dirname(put(f"{r}/jobs/surface-busy/block-000000.npy", 1000, 34))
    prog = put_xla(r, "jit_h-2", 1000, age_days=33)
    tmp = put(f"{r}/.surface-w.npz.77.tmp", 1000, age_days=32)  # its writer holds the entry
    free = put(f"{r}/surface-free.npz", 1000, age_days=1)
    holders = [Holder(held), Holder(job), Holder(f"{r}/surface-busy.npz"),
               Holder(f"{r}/xla/.lockfile"), Holder(f"{r}/surface-w.npz")]
    try:
        out = enforce_limit(None, limit=1, root=r)
        assert [os.path.basename(e.path) for e in out.removed] == ["surface-free.npz"]
        assert len(out.in_use) == 5
        for p in (held, job, busy_entry_job, prog, tmp):
            assert os.path.exists(p), p
        assert not os.path.exists(free)
    finally:
        for h in holders:
            h.close()
    out = enforce_limit(None, limit=1, root=r)   # released: now they go, oldest first
    assert len(out.removed) == 5 and names(r) == []
    assert sorted(os.listdir(f"{r}/jobs")) == ["surface-busy.lock", "surface-job.lock"]


def test_other_files_are_never_removed_nor_counted(tmp_path):
    r = str(tmp_path)
    mine = put(f"{r}/my-notes/big.bin", 5000, age_days=100)
    put(f"{r}/surface-a.npz", 100, age_days=50)
    assert enforce_limit(None, limit=1000, root=r).removed == []  # 100 B counted: under
    out = clear_cache(root=r)
    assert [os.path.basename(e.path) for e in out.removed] == ["surface-a.npz"]
    assert os.path.exists(mine) and [e.kind for e in out.kept] == ["other"]


def test_clear_older_than(tmp_path):
    r = str(tmp_path)
    put(f"{r}/surface-old.npz", 10, age_days=8)
    put(f"{r}/surface-new.npz", 10, age_days=6)
    put(f"{r}/jobs/surface-j/block-000000.npy", 10, age_days=9)
    out = clear_cache(7, root=r)
    assert sorted(os.path.relpath(e.path, r) for e in out.removed) == [
        "jobs/surface-j", "surface-old.npz"]
    assert names(r) == ["surface-new.npz"]
    assert not [n for n in os.listdir(f"{r}/jobs") if n.startswith(".trash")]
    with pytest.raises(LandscapeError, match="older-than"):
        clear_cache(-1, root=r)


def test_a_stale_temporary_file_is_removed_a_live_one_kept(tmp_path):
    r = str(tmp_path)
    stale = put(f"{r}/.timelapse-s.npz.123.tmp", 10, age_days=2)
    live = put(f"{r}/.surface-l.npz.456.tmp.npz", 10, age_days=2)
    h = Holder(f"{r}/surface-l.npz")
    try:
        out = clear_cache(root=r)
    finally:
        h.close()
    assert not os.path.exists(stale) and os.path.exists(live)
    assert [os.path.basename(e.path) for e in out.in_use] == [os.path.basename(live)]


TINY = LandscapeConfig(dataset="moons", n_samples=128, widths=(8,), train_steps=20, grid=5)


def test_a_cache_hit_refreshes_last_use_so_the_entry_survives(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path))
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "none")
    a, b = TINY.replace(seed=1), TINY.replace(seed=2)
    pa = build_surface(a, progress=False).timings["cache_file"]
    pb = build_surface(b, progress=False).timings["cache_file"]
    t = time.time()
    os.utime(pa, (t - 10 * DAY, t - 10 * DAY))   # a is the older entry ...
    os.utime(pb, (t - 5 * DAY, t - 5 * DAY))
    assert build_surface(a, progress=False).timings["cached"]   # ... until it is used again
    assert os.stat(pa).st_mtime > t - 60
    # a third entry published with a cap that holds two: b, now the least recently used, goes
    size = os.path.getsize(pa)
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", str(int(size * 2.5)))
    lines = []
    c = build_surface(TINY.replace(seed=3), progress=False, log=lines.append)
    assert not c.timings["cached"]
    assert os.path.exists(pa) and os.path.exists(c.timings["cache_file"])
    assert not os.path.exists(pb)
    over = [l for l in lines if "over its cap" in l]
    assert len(over) == 1 and "removed 1 least recently used entry" in over[0], lines


def test_a_bad_cap_fails_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path))
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "lots")
    monkeypatch.setattr(LandscapeConfig, "build_task", lambda self: pytest.fail("trained"))
    with pytest.raises(LandscapeError, match="LANDSCAPE_CACHE_MAX='lots' is not a size"):
        build_surface(TINY, progress=False)
    assert not os.listdir(tmp_path)


def test_a_cache_that_cannot_be_scanned_gives_one_line(tmp_path, monkeypatch):
    from landscape.pipeline import _cache

    def broken(root=None):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(_cache, "scan_cache", broken)
    lines = []
    _cache.keep_under_limit(str(tmp_path / "surface-x.npz"), 10, lines.append)
    assert len(lines) == 1 and lines[0].startswith("landscape: could not keep the cache under")


def test_programs_without_a_last_use_record_get_one(tmp_path):
    """JAX's size-capped cache needs a ``-atime`` beside every program (else its eviction
    fails on each write): programs from an uncapped run get one, dated as the program."""
    from landscape.pipeline import prepare_compile_cache

    xla = tmp_path / "xla"
    put(f"{xla}/jit_a-1-cache", 100, age_days=9)
    put_xla(str(tmp_path), "jit_b-2", 100, age_days=2)
    before = (xla / "jit_b-2-atime").read_bytes()
    prepare_compile_cache(str(xla))
    a = xla / "jit_a-1-atime"
    t = os.stat(xla / "jit_a-1-cache").st_mtime
    assert int.from_bytes(a.read_bytes(), "little") == int(t * 1e9)
    assert os.stat(a).st_mtime == t and (xla / "jit_b-2-atime").read_bytes() == before
    (e,) = [e for e in scan_cache(str(tmp_path)).entries if "jit_a" in e.path]
    assert e.kind == "xla" and e.last_used == t and e.size == 108


def test_clearing_while_another_process_computes(tmp_path):
    """`clear` over and over while a real surface is computed into the same cache: the job
    never loses its folder or its entry mid-way, exits 0, and its result is whole."""
    from landscape.surface import Surface

    env = dict(os.environ, LANDSCAPE_CACHE=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    p = subprocess.Popen([sys.executable, "-m", "landscape.cli", "surface", "--dataset", "moons",
                          "--samples", "128", "--widths", "8", "--train-steps", "50", "--grid",
                          "41", "-q", "-o", str(tmp_path / "s.npz")], env=env,
                         stderr=subprocess.PIPE, text=True)
    n = 0
    while p.poll() is None:
        clear_cache(root=str(tmp_path / "cache"))
        n += 1
        time.sleep(0.05)
    err = p.stderr.read()
    assert p.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert n > 5  # it did run alongside
    assert Surface.load(str(tmp_path / "s.npz")).loss.shape == (41, 41)


def test_timelapses_refresh_on_a_hit_and_publishing_one_keeps_the_cap(tmp_path, monkeypatch):
    from landscape.pipeline import build_timelapse

    monkeypatch.setenv("LANDSCAPE_CACHE", str(tmp_path))
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", "none")
    cfg = TINY.replace(train_steps=20, train_checkpoints=2)
    build_timelapse(cfg, "pca", 2)
    (first,) = tmp_path.glob("timelapse-*.npz")
    size = os.path.getsize(first)
    old = put(f"{tmp_path}/surface-old.npz", int(size * 0.8), age_days=3)
    t = time.time() - 5 * DAY
    os.utime(first, (t, t))
    build_timelapse(cfg, "pca", 2)                      # a hit: its last use is now
    assert os.stat(first).st_mtime > time.time() - 60 and os.path.exists(old)
    # a second timelapse over a cap of 2.5 of them: one entry must go, the least recently
    # used: the surface (3 days), not the first timelapse (5 days old, but used just now)
    monkeypatch.setenv("LANDSCAPE_CACHE_MAX", str(int(size * 2.5)))
    lines = []
    build_timelapse(cfg.replace(seed=4), "pca", 2, log=lines.append)
    assert len(list(tmp_path.glob("timelapse-*.npz"))) == 2 and first.exists()
    assert not os.path.exists(old)
    assert len([l for l in lines if "removed 1 least recently used entry" in l]) == 1, lines
