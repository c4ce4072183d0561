"""``landscape cache info|clear``: where the cache is, how big, what is in it; emptying it.

``clear`` never removes an entry another process holds (it is reported "in use"), never the
lock files, and never a file it did not write (``other``)."""

from __future__ import annotations

import argparse
import datetime
import math
import os
import time

from landscape.cli._common import print_json
from landscape.errors import LandscapeError

LABELS = {"surface": "surfaces", "timelapse": "timelapses", "job": "job folders",
          "xla": "compiled programs", "partial": "unfinished writes", "other": "other files"}


def parse_days(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"DAYS must be a number of days, got {text!r}")
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"DAYS must be a number of days ≥ 0, got {text!r}")
    return v


def register(sub) -> None:
    p = sub.add_parser("cache", help="where the cache is and what is in it; empty it",
                       description="The cache of surfaces, timelapses, unfinished jobs and "
                                   "compiled programs ($LANDSCAPE_CACHE, default "
                                   "~/.cache/landscape), capped at LANDSCAPE_CACHE_MAX "
                                   "(default 5G; none for no cap) by evicting the least "
                                   "recently used entries.")
    cmds = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    q = cmds.add_parser("info", help="where the cache is, its size and what is in it",
                        description="Where the cache is, its size by kind, the cap in force "
                                    "and when its entries were last used. Changes nothing.")
    q.add_argument("--json", action="store_true", help="print JSON on stdout")
    q.set_defaults(func=run_info)
    q = cmds.add_parser("clear", help="remove cache entries (all, or those unused for DAYS)",
                        description="Remove the cache's entries, or with --older-than those "
                                    "last used more than DAYS days ago. Entries in use by "
                                    "another process are kept and reported.")
    q.add_argument("--older-than", type=parse_days, default=None, metavar="DAYS",
                   help="only entries last used more than DAYS days ago (e.g. 30, 0.5)")
    q.add_argument("--json", action="store_true", help="print JSON on stdout")
    q.set_defaults(func=run_clear)


def _when(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")


def _ago(t: float) -> str:
    s = max(time.time() - t, 0.0)
    for unit, k in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if s >= k:
            n = int(s // k)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _local(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _root() -> str:
    from landscape.pipeline import cache_dir

    root = os.path.abspath(cache_dir())
    if os.path.exists(root) and not os.path.isdir(root):
        raise LandscapeError(f"the cache {root} is a file, not a folder; point "
                             f"LANDSCAPE_CACHE at a folder")
    return root


def info_summary() -> dict:
    """What ``landscape cache info --json`` prints."""
    from landscape.pipeline import cache_limit, scan_cache

    limit, set_by = cache_limit()
    scan = scan_cache(_root())
    used = [e.last_used for e in scan.entries if e.kind != "other"]
    return {"path": scan.root, "exists": scan.exists, "bytes": scan.total,
            "counted_bytes": scan.counted,
            "limit": {"bytes": limit, "set_by": set_by},
            "kinds": scan.by_kind(), "lock_files": len(scan.lock_files),
            "oldest_use": _when(min(used)) if used else None,
            "newest_use": _when(max(used)) if used else None,
            "_oldest": min(used) if used else None, "_newest": max(used) if used else None}


def run_info(args) -> int:
    from landscape.pipeline import human_size

    s = info_summary()
    oldest, newest = s.pop("_oldest"), s.pop("_newest")
    if args.json:
        print_json(s)
        return 0
    lim = s["limit"]
    cap = ("no cap" if lim["bytes"] is None else f"cap {human_size(lim['bytes'])}") + \
        (" (default; set LANDSCAPE_CACHE_MAX to change)" if lim["set_by"] == "default"
         else f" ({lim['set_by']})")
    if not s["exists"]:
        print(f"cache: {s['path']} (not created yet: the cache is empty)")
        print(f"size: 0 B; {cap}")
        return 0
    print(f"cache: {s['path']}")
    print(f"size: {human_size(s['bytes'])}; {cap}")
    for kind, label in LABELS.items():
        k = s["kinds"][kind]
        print(f"  {label:<18} {k['count']:>6}  {human_size(k['bytes']):>10}")
    print(f"  {'lock files':<18} {s['lock_files']:>6}  {'0 B':>10}")
    if s["kinds"]["other"]["count"]:
        print("  (other files are not landscape's: they do not count against the cap and "
              "clear leaves them)")
    if oldest is None:
        print("last used: nothing in the cache")
    else:
        print(f"last used: oldest {_local(oldest)} ({_ago(oldest)}), "
              f"newest {_local(newest)} ({_ago(newest)})")
    return 0


def _counts(entries) -> str:
    from landscape.pipeline import ENTRY_KINDS

    n = {k: sum(e.kind == k for e in entries) for k in ENTRY_KINDS}
    return ", ".join(f"{v} {LABELS[k] if v != 1 else LABELS[k][:-1]}"
                     for k, v in n.items() if v)


def run_clear(args) -> int:
    from landscape.pipeline import clear_cache, human_size

    root = _root()
    r = clear_cache(args.older_than, root) if os.path.isdir(root) else None
    rel = (lambda e: os.path.relpath(e.path, root))
    if args.json:
        print_json({"path": root, "older_than_days": args.older_than,
                    "removed": [rel(e) for e in r.removed] if r else [],
                    "freed_bytes": r.freed if r else 0,
                    "in_use": [rel(e) for e in r.in_use] if r else [],
                    "failed": [{"path": rel(e), "reason": why} for e, why in r.failed] if r
                    else [],
                    "kept": [rel(e) for e in r.kept] if r else []})
    elif r is None:
        print(f"cache: {root} (not created yet: nothing to clear)")
    else:
        age = "" if args.older_than is None else \
            f" last used more than {args.older_than:g} day{'s' if args.older_than != 1 else ''} ago"
        print(f"cache: {root}")
        if r.removed:
            print(f"removed {len(r.removed)} entr{'y' if len(r.removed) == 1 else 'ies'}{age} "
                  f"({_counts(r.removed)}), freed {human_size(r.freed)}")
        else:
            print(f"removed nothing: no entries{age}" if not r.in_use and not r.failed
                  else "removed nothing")
        if r.in_use:
            print(f"kept {len(r.in_use)} in use by another process: "
                  + ", ".join(rel(e) for e in r.in_use[:5]) + (" …" if len(r.in_use) > 5 else ""))
        theirs = [e for e in r.kept if e.kind == "other"]
        if theirs:
            print(f"left {len(theirs)} other file{'s' if len(theirs) != 1 else ''} that "
                  f"landscape did not write: " + ", ".join(rel(e) for e in theirs[:5])
                  + (" …" if len(theirs) > 5 else ""))
    if r is not None and r.failed:
        e, why = r.failed[0]
        more = f" (and {len(r.failed) - 1} more)" if len(r.failed) > 1 else ""
        raise LandscapeError(f"could not remove {e.path}: {why}{more}")
    return 0
