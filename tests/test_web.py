"""mockint serve's gate and pages: each refusal of a local server, the review pages, bank
upload, the one-server-per-data-directory lock, and Ctrl-C (a real server, no models)."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from mockint.bank import Bank, to_toml
from mockint.config import Paths
from mockint.rehearsal.miccheck import FIXES, SENTENCE, remembered
from mockint.storage.store import Attempt, Store
from mockint.web.app import make_app
from mockint.web.guard import COOKIE, GuardOptions, local_hosts
from mockint.web.practice_ws import WEB_DEVICE
from mockint.web.server import ServeError, bind, claim, warning_for

from .test_report import fill
from .virtual_audio import espeak_wav

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
WS = f"ws://127.0.0.1:{PORT}/ws/practice"


def client(home: Path, max_body: int | None = None) -> TestClient:
    opts = GuardOptions("secret-token", local_hosts(PORT))
    if max_body is not None:
        opts = GuardOptions("secret-token", local_hosts(PORT), max_body)
    return TestClient(make_app(Paths(home), opts), base_url=BASE)


def signed_in(c: TestClient) -> TestClient:
    r = c.get("/?token=secret-token", follow_redirects=False)
    assert r.status_code == 303
    return c


def test_token_in_the_url_becomes_a_strict_httponly_cookie_and_leaves_the_url(
    home: Path,
) -> None:
    with client(home) as c:
        r = c.get("/sessions?token=secret-token&x=1", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/sessions?x=1"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=secret-token")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert c.get("/sessions").status_code == 200  # the cookie alone lets it in


@pytest.mark.parametrize("path", ["/", "/sessions", "/report", "/static/practice.js", "/audio/1"])
def test_requests_without_the_token_are_refused(home: Path, path: str) -> None:
    with client(home) as c:
        assert c.get(path).status_code == 401
        assert c.get(path + "?token=wrong").status_code == 401
        c.cookies.set(COOKIE, "wrong")
        assert c.get(path).status_code == 401


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "localhost", ""])
def test_a_foreign_host_header_is_refused_even_with_the_token(home: Path, host: str) -> None:
    with signed_in(client(home)) as c:
        assert c.get("/", headers={"host": host}).status_code == 403
        assert c.get("/?token=secret-token", headers={"host": host}).status_code == 403
    with signed_in(client(home)) as c:
        assert c.get("/", headers={"host": "localhost:8765"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999"])
def test_a_foreign_origin_is_refused(home: Path, origin: str) -> None:
    with signed_in(client(home)) as c:
        assert c.get("/", headers={"origin": origin}).status_code == 403
        r = c.post("/banks/import?filename=x.txt", content=b"x", headers={"origin": origin})
        assert r.status_code == 403
        assert c.get("/", headers={"origin": BASE}).status_code == 200


def test_websocket_needs_the_cookie_and_our_origin(home: Path) -> None:
    with client(home) as c:
        with pytest.raises(WebSocketDisconnect) as e, c.websocket_connect(WS):
            pass
        assert e.value.code == 1008
    with signed_in(client(home)) as c:
        with (
            pytest.raises(WebSocketDisconnect) as e,
            c.websocket_connect(WS, headers={"origin": "http://evil.example"}),
        ):
            pass
        assert e.value.code == 1008
        # our own origin gets in (and is told the practice it asked for cannot start)
        with c.websocket_connect(WS, headers={"origin": BASE}) as ws:
            ws.send_json({"bank": "no-such-bank"})
            m = ws.receive_json()
            while m["type"] == "status":
                m = ws.receive_json()
        assert m["type"] == "error" and "no-such-bank" in m["text"]


def test_uploads_are_capped(home: Path) -> None:
    with signed_in(client(home, max_body=1000)) as c:
        r = c.post("/banks/import?filename=big.txt", content=b"x" * 1001)
        assert r.status_code == 413
        # a body that does not declare its length is counted as it arrives
        r = c.post("/banks/import?filename=big.txt", content=iter([b"x" * 600, b"x" * 600]))
        assert r.status_code == 413
        assert not (home / "bank").exists()


def test_bank_upload_validates_like_bank_import(home: Path) -> None:
    good = (ROOT / "bank" / "resume.source.txt").read_bytes()
    with signed_in(client(home)) as c:
        bad = c.post("/banks/import?filename=broken.toml", content=b"[[questions]]\nid = 3\n")
        assert bad.status_code == 400 and "broken.toml" in bad.json()["error"]
        # the shipped bank's name is taken: refused without replace, as on the command line
        clash = c.post("/banks/import?filename=resume.txt", content=good)
        assert clash.status_code == 400 and "--replace" in clash.json()["error"]
        ok = c.post("/banks/import?filename=mine.txt&name=mine", content=good)
        assert ok.status_code == 200 and ok.json()["imported"] == "mine"
        assert (home / "bank" / "mine.toml").is_file()
        assert "mine" in c.get("/banks").text


def test_review_pages_show_the_store(home: Path, resume_bank: Bank) -> None:
    ids = fill(home, resume_bank)
    with signed_in(client(home)) as c:
        assert "#1" in c.get("/sessions").text
        page = c.get(f"/answers/{ids[5]}").text
        assert resume_bank.get("Q151").model_answer[:40] in page
        assert 'class="kp covered"' in page and 'class="kp missed"' in page
        assert f'src="/audio/{ids[5]}"' in page
        assert "All answers to this question" in page  # best beside latest
        report = c.get("/report").text
        assert 'id="categories"' in report and f"/audio/{ids[5]}" in report
        assert c.get("/due").status_code == 200
        assert c.get(f"/answers/{ids[0]}").status_code == 200


def test_a_session_page_lists_its_answers_up_to_a_cap(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.storage.store import Store
    from mockint.web import app

    ids = fill(home, resume_bank)
    with signed_in(client(home)) as c:
        page = c.get("/sessions/1").text
        assert all(f'href="/answers/{i}"' in page for i in ids)
        assert resume_bank.get("Q151").text[:40] in page and "lists them all" not in page
        monkeypatch.setattr(app, "MAX_LISTED", 4)
        # the answers are not read whole for the list (a session of 500,000 was): one is,
        # for its bank
        whole = []
        real = Store.from_row
        monkeypatch.setattr(Store, "from_row", lambda s, r: whole.append(1) or real(s, r))
        page = c.get("/sessions/1").text
    assert page.count('href="/answers/') == 4 and len(whole) == 1
    with signed_in(client(home)) as c:  # a session that is not there is not a page
        assert c.get("/sessions/0").status_code == 404
        assert c.get("/sessions/2").status_code == 404
    assert (
        "The first 4 of 7 answers" in page and "mockint review 1" in page
    )  # fill: seven in its session


def test_audio_is_served_only_from_inside_the_data_directory(
    home: Path, resume_bank: Bank, tmp_path: Path
) -> None:
    ids = fill(home, resume_bank)
    outside = tmp_path / "secret.flac"
    outside.write_bytes(b"not yours")
    with Store(home / "mockint.db") as s:
        a = s.attempt(ids[5])
        assert a is not None
        a_out = Attempt("resume", "Q1", a.category, "x", 1.0, 0.0, audio_path=str(outside))
        a_up = Attempt("resume", "Q1", a.category, "x", 1.0, 0.0, audio_path="../secret.flac")
        out_id, up_id = s.add_attempt(a_out), s.add_attempt(a_up)
    with signed_in(client(home)) as c:
        r = c.get(f"/audio/{ids[5]}")
        assert r.status_code == 200 and r.content[:4] == b"fLaC"
        assert c.get(f"/audio/{out_id}").status_code == 404
        assert c.get(f"/audio/{up_id}").status_code == 404
        assert c.get(f"/audio/{ids[0]}").status_code == 404  # no recording kept


def test_a_second_server_on_the_same_data_directory_is_refused(home: Path) -> None:
    with claim(home):
        with pytest.raises(ServeError) as e, claim(home):
            pass
        assert f"pid {os.getpid()}" in str(e.value) and "\n" not in str(e.value)
    with claim(home):  # let go: free again
        pass


def test_a_taken_port_gives_way_to_a_free_one() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        s = bind("127.0.0.1", port)
        assert s.getsockname()[1] not in (port, 0)
        s.close()
    finally:
        taken.close()


def test_only_a_host_beyond_loopback_warns() -> None:
    assert warning_for("127.0.0.1") is None and warning_for("localhost") is None
    assert warning_for("::1") is None
    warning = warning_for("0.0.0.0")
    assert warning is not None and "0.0.0.0" in warning


def _serve(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "mockint", "serve", "--no-open", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_prints_its_url_refuses_a_second_and_stops_on_ctrl_c(home: Path) -> None:
    first = _serve(home)
    try:
        assert first.stdout is not None
        url = first.stdout.readline().strip()
        m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{20,})", url)
        assert m, url
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(url, timeout=10) as r:  # redirected, signed in by the cookie
            assert r.status == 200 and r.url.endswith(f":{m[1]}/")
            assert b"Start practising" in r.read()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://127.0.0.1:{m[1]}/", timeout=10)
        assert e.value.code == 401
        # it listens on loopback only
        with socket.create_connection(("127.0.0.1", int(m[1])), timeout=5):
            pass
        second = _serve(home)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1 and out == ""
        assert err.count("\n") == 1 and "already running" in err and str(first.pid) in err
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=30) == 0
        assert first.stderr is not None and "Traceback" not in first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()


def _pcm(audio: np.ndarray) -> list[bytes]:
    """16-bit PCM in 0.1 s blocks, as the page's worklet sends it."""
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    return [pcm[i : i + 1600].tobytes() for i in range(0, len(pcm), 1600)]


def _until(ws: Any, kind: str, seen: list[dict[str, Any]]) -> dict[str, Any]:
    while True:
        m = ws.receive_json()
        seen.append(m)
        assert m["type"] != "error", m
        if m["type"] == kind:
            return m


def _check_with(ws: Any, audio: np.ndarray, seen: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer one microphone check with ``audio``; its verdict message."""
    start = _until(ws, "mic_check", seen)
    assert start["sentence"] == SENTENCE
    _until(ws, "record", seen)
    for block in _pcm(audio):
        ws.send_bytes(block)
    return _until(ws, "mic_check_result", seen)


@pytest.mark.slow
def test_the_page_checks_its_microphone_before_the_first_question(
    tmp_path: Path, home: Path, resume_bank: Bank
) -> None:
    (home / "bank").mkdir(parents=True)
    # (a technical question: quitting at a behavioural one with nothing said trips STAR)
    q = dataclasses.replace(resume_bank.get("Q10"), kind="technical")
    (home / "bank" / "web.toml").write_text(to_toml(Bank("web", (q,))))
    said = espeak_wav(SENTENCE, tmp_path / "said.wav")
    speech = np.concatenate([np.zeros(4000, np.float32), said, np.zeros(5 * 16000, np.float32)])
    seen: list[dict[str, Any]] = []
    with signed_in(client(home)) as c:
        with c.websocket_connect(WS, headers={"origin": BASE}) as ws:
            ws.send_json({"bank": "web", "count": 1, "check": "always"})
            # silence: the terminal's verdict line, then a choice to try again
            silent = _check_with(ws, np.zeros(6 * 16000, np.float32), seen)
            assert silent["verdict"] == "no signal" and not silent["passed"]
            assert silent["line"] == FIXES["no signal"]
            assert any(m["type"] == "mic_level" for m in seen)
            _until(ws, "mic_check_choose", seen)
            ws.send_json({"choice": "retry"})
            # the sentence said: a pass, and the first question follows
            passed = _check_with(ws, speech, seen)
            assert passed["verdict"] == "ok" and passed["line"] == FIXES["ok"], passed
            assert "ready" in passed["heard"].lower()
            assert _until(ws, "question", seen)["id"] == "Q10"
            _quit(ws, seen)
        while c.app.app.state.sessions.busy.locked():  # type: ignore[attr-defined]
            time.sleep(0.05)  # the socket's end frees the microphone for the next session
        assert remembered(home / "mic-check.json", WEB_DEVICE)
        # the setting mirrors --check/--no-check: "auto" skips it once one has passed
        seen = []
        with c.websocket_connect(WS, headers={"origin": BASE}) as ws:
            ws.send_json({"bank": "web", "count": 1, "check": "auto"})
            _until(ws, "question", seen)
            _quit(ws, seen)
        assert not any(m["type"].startswith("mic_check") for m in seen)


def _quit(ws: Any, seen: list[dict[str, Any]]) -> None:
    """Quit at the question, as the page's q key does; the session ends."""
    ws.send_json({"type": "played"})
    ws.send_json({"action": "quit"})
    _until(ws, "end", seen)


def test_the_report_page_reads_the_store_off_the_event_loop(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's counts take seconds on a large store: read on the event loop, they
    held up every other request (a practice's audio) until done."""
    import asyncio

    from mockint.reports import gather as gathering

    fill(home, resume_bank)
    on_loop: list[bool] = []
    real = gathering.gather

    def watched(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(gathering, "gather", watched)
    with signed_in(client(home)) as c:
        r = c.get("/report")
    assert r.status_code == 200 and 'id="categories"' in r.text
    assert on_loop == [False]


def test_an_id_beyond_sqlites_integers_is_not_found(home: Path, resume_bank: Bank) -> None:
    """An id past 2**63 - 1 was a 500 (SQLite's OverflowError); no row has it: 404."""
    ids = fill(home, resume_bank)
    with signed_in(client(home)) as c:
        for route in ("/sessions", "/answers", "/audio"):
            for n in ("9223372036854775808", "99999999999999999999", "9" * 5000):
                r = c.get(f"{route}/{n}")
                assert r.status_code == 404 and "Traceback" not in r.text, (route, n)
        assert c.get(f"/answers/000{ids[0]}").status_code == 200  # zeros in front: an id
        r = c.get("/sessions/0009223372036854775807")  # the largest id: read, not there
        assert r.status_code == 404 and "No session #9223372036854775807" in r.text
