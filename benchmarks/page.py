"""The exported web page: its size, and how long headless Chromium takes to load it and make it
interactive (the page's own `performance.now()` mark, set once every view is drawn and the
controls are wired), and to redraw one time step.

    python benchmarks/page.py [scenes/local_minima.py] [--quality medium] [--loads 3]

Chromium draws WebGL here with SwiftShader on the CPU: a laptop's GPU is far faster, so read
these as an upper bound. Needs `chromium` (Debian's package).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("scene", nargs="?", default="scenes/local_minima.py")
    p.add_argument("--quality", default="medium")
    p.add_argument("--loads", type=int, default=3)
    args = p.parse_args()
    import warnings

    warnings.filterwarnings("ignore", "os.fork", RuntimeWarning)   # JAX's, for chromium's start

    from browser import Browser
    from plotly.offline import get_plotlyjs

    from landscape.exports import export

    out = os.path.join(tempfile.mkdtemp(), "page.html")
    t0 = time.perf_counter()
    info = export(args.scene, out, quality=args.quality)
    t_export = time.perf_counter() - t0
    text = open(out, encoding="utf-8").read()
    data = re.search(r'id="landscape-data">(.*?)</script>', text, re.S).group(1)
    size = os.path.getsize(out)
    print(f"page: {out}")
    print(f"  {size:,} bytes: plotly.js {len(get_plotlyjs()):,}, data {len(data.encode()):,} "
          f"({info['views']} view(s), {info['steps']} time steps); export {t_export:.1f} s "
          f"(surface from the cache when present)")
    ready, wall, step = [], [], []
    for _ in range(args.loads):
        with Browser() as b:
            t = time.monotonic()
            b.open("file://" + out, size=(1280, 800))
            ready.append(float(b.wait_for("window.landscapeReady", timeout=180)))
            wall.append(time.monotonic() - t)
            ms = b.evaluate("""(async () => { const raf = () => new Promise(r =>
                requestAnimationFrame(() => requestAnimationFrame(r))); const out = [];
                for (const k of [40, 80, 120, 160, 200]) { const t = performance.now();
                  await landscape.show(Math.min(k, landscape.steps - 1)); await raf();
                  out.push(performance.now() - t); } return out; })()""")
            step.append(statistics.median(ms))
            errors = b.console_errors()
            if errors:
                print("  console errors:", json.dumps(errors))
    print(f"  interactive after {statistics.median(ready):.0f} ms (median of {args.loads}; "
          f"{min(ready):.0f}-{max(ready):.0f}), {statistics.median(wall):.1f} s wall from "
          f"navigation")
    print(f"  one time step redrawn in {statistics.median(step):.0f} ms (median)")


if __name__ == "__main__":
    main()
