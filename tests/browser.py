"""A real browser for the tests: headless Chromium driven over the DevTools protocol.

Chromium talks the protocol over a pipe (``--remote-debugging-pipe``: it reads commands on fd 3
and writes replies and events on fd 4, each a JSON object ended by a NUL byte), so no port is
opened. The network is switched off (a dead proxy and a resolver that maps every host to
nothing), so a page that fetched anything would fail and say so on its console.

    with Browser() as b:
        b.open("file:///tmp/page.html", size=(1400, 1000))
        b.wait_for("window.landscapeReady !== undefined")
        png = b.screenshot()
        errors = b.console_errors()
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless=new", "--no-sandbox", "--use-angle=swiftshader",
         "--enable-unsafe-swiftshader", "--proxy-server=127.0.0.1:9",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def chromium() -> str | None:
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> None:
    """At a test module's top: skip the module without Chromium, except in CI (``$CI``), where
    its absence is an error (`.ci/run` installs it)."""
    if chromium() is None:
        if os.environ.get("CI"):
            raise RuntimeError("chromium is missing in CI: .ci/run must install it")
        import pytest

        pytest.skip("no chromium on this machine", allow_module_level=True)


class Browser:
    def __init__(self, executable: str | None = None, timeout: float = 120.0, flags=()):
        self.executable = executable or chromium()
        self.flags = list(flags)        # more command-line switches, after FLAGS
        if self.executable is None:
            raise RuntimeError("no chromium executable found")
        self.timeout = timeout
        self.events: list[dict] = []
        self._id = 0
        self._buf = b""

    def __enter__(self) -> "Browser":
        self.profile = tempfile.mkdtemp(prefix="landscape-chromium-")
        r, self._to_child = os.pipe()               # our commands → chromium's fd 3
        self._from_child, w = os.pipe()             # chromium's fd 4 → our replies
        # numbered above 4, so that placing one at 3 or 4 cannot overwrite the other
        to_child_r, from_child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (r, w))
        os.close(r)
        os.close(w)
        # bash puts our pipe ends at fds 3 and 4, then becomes chromium (no preexec_fn:
        # it is unsafe in a process with threads, as JAX's)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w}',
             self.executable, *FLAGS, *self.flags, f"--user-data-dir={self.profile}",
             "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    # ------------------------------------------------------------ protocol

    def call(self, method: str, session: bool = False, timeout: float | None = None, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for m in self._read(deadline):
                if m.get("id") == self._id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)

    def _read(self, deadline: float) -> list[dict]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("chromium did not answer in time")
        ready, _, _ = select.select([self._from_child], [], [], left)
        if not ready:
            raise TimeoutError("chromium did not answer in time")
        chunk = os.read(self._from_child, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed the pipe")
        self._buf += chunk
        *msgs, self._buf = self._buf.split(b"\0")
        return [json.loads(m) for m in msgs if m]

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.extend(self._read(deadline))
            except TimeoutError:
                return

    # ------------------------------------------------------------ page

    def open(self, url: str, size=(1400, 1000)) -> None:
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=size[0],
                  height=size[1], deviceScaleFactor=1, mobile=False)
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.extend(self._read(deadline))

    def evaluate(self, expression: str):
        r = self.call("Runtime.evaluate", session=True, expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 90.0, poll: float = 0.25):
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(poll)
        raise TimeoutError(f"{expression} stayed false for {timeout} s")

    def screenshot(self, path: str | None = None) -> bytes:
        png = base64.b64decode(self.call("Page.captureScreenshot", session=True,
                                         format="png")["data"])
        if path:
            with open(path, "wb") as fh:
                fh.write(png)
        return png

    def console(self) -> list[tuple[str, str]]:
        """(level, text) of every console message, log entry and uncaught exception so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", "")))
                                for a in p.get("args", []))
                out.append((p.get("type", "log"), text))
            elif e.get("method") == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(("exception", d.get("exception", {}).get("description")
                            or d.get("text", "")))
            elif e.get("method") == "Log.entryAdded":
                entry = p.get("entry", {})
                out.append((entry.get("level", "info"), entry.get("text", "")
                            + (f" ({entry['url']})" if entry.get("url") else "")))
        return out

    def console_errors(self) -> list[str]:
        return [f"{lvl}: {text}" for lvl, text in self.console()
                if lvl in ("error", "exception", "assert")]
