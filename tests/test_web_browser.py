"""mockint serve in a real browser: headless Chromium answers a question through the
page's microphone (a WAV given to Chromium's fake capture device), sees its transcript and
score, and the attempt is stored with its recording, graded as `mockint grade` grades it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.wer import wer
from mockint.bank import Bank, to_toml
from mockint.storage.store import Store

from .browser import ROOT, Chromium, Server
from .virtual_audio import compose, espeak_wav

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def spoken_answer(text: str, tmp: Path) -> Path:
    """Sentences with short pauses (as people pause), then the silence that ends it."""
    parts: list = [0.5]
    for i, s in enumerate(x for x in text.split(". ") if x):
        parts += [espeak_wav(s.rstrip(".") + ".", tmp / f"s{i}.wav"), 0.8]
    out = tmp / "answer.wav"
    compose(out, *parts, 5.0)
    return out


def grade_json(home: Path, *args: str) -> dict:
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "mockint", "grade", "--bank", "web", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_practice_in_the_page_through_the_microphone(
    tmp_path: Path, home: Path, resume_bank: Bank
) -> None:
    q = resume_bank.get("Q10")
    (home / "bank").mkdir(parents=True)
    (home / "bank" / "web.toml").write_text(to_toml(Bank("web", (q,))))
    said = ". ".join(q.model_answer.split(". ")[:3])
    audio = spoken_answer(said, tmp_path)
    server = Server(home)
    page = Chromium(server.page("/practice"), tmp_path / "profile", audio)
    try:
        page.wait_for("document.body?.dataset.ready === '1'", 30)
        assert page.eval("document.querySelector('select[name=bank]').value") == "web"
        page.eval("document.getElementById('start').click(); true")
        # the microphone check comes first, on the same fake microphone
        page.wait_for("!!document.getElementById('mic-check').dataset.verdict", 120)
        check = page.eval(
            "({verdict: document.getElementById('mic-check').dataset.verdict,"
            " line: document.getElementById('mic-check').innerText})"
        )
        # the spoken answer passes it (the fake file starts again for the answer)
        assert check == {"verdict": "ok", "line": "✓ microphone OK"}, check
        page.wait_for("!!document.getElementById('score')", 300)
        shown = page.eval(
            "({score: +document.getElementById('score').dataset.score,"
            " transcript: document.getElementById('transcript').innerText,"
            " points: document.querySelectorAll('#key-points li').length,"
            " delivery: document.getElementById('delivery').innerText,"
            " attempt: +document.querySelector('#score a').href.split('/').pop()})"
        )
        page.wait_for("!!document.getElementById('btn-next')", 10)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(ARTIFACTS / "web-practice.png")
        assert wer([said], [shown["transcript"]]) < 0.35, shown["transcript"]
        assert shown["points"] >= 2 and "Pace" in shown["delivery"]

        with Store(home / "mockint.db", readonly=True) as s:
            a = s.attempt(shown["attempt"])
        assert a is not None and a.status == "complete" and a.question_id == "Q10"
        assert round(a.score) == round(shown["score"]) and a.transcript == shown["transcript"]
        assert a.audio_path and Path(a.audio_path).is_file()
        assert Path(a.audio_path).resolve().is_relative_to(home.resolve())

        # review: the answer's page plays the recording from a clicked word
        page.call("Page.navigate", url=server.page(f"/answers/{a.id}"))
        page.wait_for("document.body?.dataset.ready === '1'", 30)
        assert page.eval("document.querySelectorAll('.w[data-t]').length") > 5
        start = page.eval("const w = document.querySelectorAll('.w')[4]; w.click(); +w.dataset.t")
        at = page.wait_for(
            "(() => { const p = document.getElementById('player');"
            " return p.readyState >= 1 && p.currentTime > 0 ? p.currentTime : 0; })()",
            20,
        )
        assert start - 0.2 <= at <= start + 3
        page.screenshot(ARTIFACTS / "web-review.png")
    finally:
        page.close()
        code = server.stop()
        assert code == 0, server.proc.stderr.read()[-3000:]  # type: ignore[union-attr]

    # the same rules as the command line: its transcript graded by `mockint grade` scores
    # the same; its recording transcribed whole (not phrase by phrase) lands close
    same = grade_json(home, "--question", "Q10", "--text", a.transcript)
    assert round(same["score"]) == round(a.score)
    whole = grade_json(home, "--question", "Q10", "--audio", a.audio_path)
    assert abs(whole["score"] - a.score) <= 10, (whole["transcript"], a.transcript)
