"""Headless Chromium driven over the DevTools protocol (for mockint serve's browser test and
bench/web_latency.py): open a URL, evaluate JavaScript, wait for the page, screenshot."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--window-size=1200,1400",
]


class Chromium:
    """One headless Chromium with one page, talked to over its DevTools WebSocket."""

    def __init__(self, url: str, profile: Path, audio: Path | None = None):
        exe = shutil.which("chromium")
        assert exe, "chromium is not installed: run 'make test' (it installs it)"
        extra = [f"--use-file-for-fake-audio-capture={audio}%noloop"] if audio else []
        self.proc = subprocess.Popen(
            [exe, *FLAGS, *extra, f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        found = threading.Event()
        self._browser = ""

        def drain() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(r"DevTools listening on (ws://\S+)", line)
                if m:
                    self._browser = m[1]
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        assert found.wait(30), "".join(self.log[-20:])
        port = re.search(r":(\d+)/", self._browser)[1]  # type: ignore[index]
        pages: list[dict[str, Any]] = []
        for _ in range(100):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [p for p in json.load(r) if p.get("type") == "page"]
            if pages:
                break
            time.sleep(0.1)
        from websockets.sync.client import connect

        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None).__enter__()
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self._id:
                assert "error" not in msg, msg
                return msg["result"]  # type: ignore[no-any-return]

    def eval(self, expr: str) -> Any:
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def wait_for(self, expr: str, timeout: float) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with_value = self.eval(expr)
            if with_value:
                return with_value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expr}: page says {self.text()[:2000]}")

    def text(self) -> str:
        return str(self.eval("document.body ? document.body.innerText : ''"))

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Server:
    """``mockint serve --no-open`` in a child process on a data directory."""

    def __init__(self, home: Path, events: Path | None = None):
        env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "mockint", "serve", "--no-open", "--port", "0"]
        if events is not None:
            cmd += ["--events", str(events)]
        self.started = time.time()
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        self.url_at = time.time()
        assert self.url.startswith("http://127.0.0.1:"), self.proc.stderr.read()  # type: ignore[union-attr]

    def page(self, path: str) -> str:
        """The printed URL, opening ``path`` instead of the home page."""
        base, token = self.url.split("/?")
        return f"{base}{path}?{token}"

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9
