"""Behaviour held fixed: every scene's ``landscape render SCENE -q low --dry-run --json`` with a
fresh cache, recorded once and compared after a change (issue 18's check).

    python tests/dryrun_baseline.py record [SCENE ...]   # write tests/data/dryrun/<scene>.json
    python tests/dryrun_baseline.py check  [SCENE ...]   # rerun and compare with the records

Strings and counts must match exactly; floats to float32 rounding (relative 1e-6); wall-clock
fields (``seconds``, ``timings``, ``total_seconds``) are not compared. Each scene runs in its
own process on an empty ``LANDSCAPE_CACHE``.
"""

from __future__ import annotations

import glob
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "dryrun")
SKIP = {"seconds", "total_seconds", "timings"}
RTOL = 1e-6


def run(scene: str) -> dict:
    exe = os.path.join(os.path.dirname(sys.executable), "landscape")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "LANDSCAPE_CACHE": cache}
        out = subprocess.run([exe, "render", os.path.join(ROOT, "scenes", f"{scene}.py"), "-q",
                              "low", "--dry-run", "--json"], env=env, capture_output=True,
                             text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{scene}: exit {out.returncode}: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout)


def strip(v, skip=SKIP):
    """``v`` without the keys in ``skip`` (wall-clock fields), at every depth."""
    if isinstance(v, dict):
        return {k: strip(x, skip) for k, x in v.items() if k not in skip}
    if isinstance(v, list):
        return [strip(x, skip) for x in v]
    return v


def diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one" for k in set(a) ^ set(b)]
        for k in a.keys() & b.keys():
            out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if (math.isnan(a) and math.isnan(b)) or a == b or \
                    abs(a - b) <= RTOL * max(abs(a), abs(b)):
                return []
        return [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def scenes(names) -> list[str]:
    return names or sorted(os.path.basename(p)[:-3]
                           for p in glob.glob(os.path.join(ROOT, "scenes", "*.py")))


def main(argv) -> int:
    if not argv or argv[0] not in ("record", "check"):
        print(__doc__)
        return 2
    bad = 0
    for s in scenes(argv[1:]):
        got = strip(run(s))
        path = os.path.join(DATA, f"{s}.json")
        if argv[0] == "record":
            os.makedirs(DATA, exist_ok=True)
            with open(path, "w") as fh:
                json.dump(got, fh, indent=1, sort_keys=True)
            print(f"{s}: recorded")
            continue
        with open(path) as fh:
            want = json.load(fh)
        d = diff(want, got)
        bad += bool(d)
        print(f"{s}: " + ("same" if not d else f"{len(d)} differences\n  " + "\n  ".join(d[:20])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
