"""Reports, review, history, the review schedule on the CLI, export and import."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockint.bank import Bank
from mockint.cli.main import cli
from mockint.reports.render import render_csv, render_html, render_json, render_md
from mockint.reports.report import build, sparkline
from mockint.sound.audio import write_audio
from mockint.storage.store import Attempt, Store

from .test_audio import tone

CATS = ("General profile and career", "FastAPI")


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def fill(home: Path, resume_bank: Bank) -> list[int]:
    """Six answers in two categories over three days, one interrupted, one with audio."""
    rows = [
        ("Q1", 40.0, "2026-11-01"),
        ("Q2", 60.0, "2026-11-01"),
        ("Q1", 80.0, "2026-11-02"),
        ("Q151", 30.0, "2026-11-02"),
        ("Q152", 50.0, "2026-11-03"),
        ("Q151", 70.0, "2026-11-03"),
    ]
    audio = write_audio(home / "recordings" / "2026-11-03" / "a.flac", tone(16000, 2.0))
    ids = []
    with Store(home / "mockint.db") as s:
        sid = s.start_session("resume")
        for i, (qid, score, day) in enumerate(rows):
            q = resume_bank.get(qid)
            kp = [
                {
                    "text": "Point one.",
                    "covered": True,
                    "status": "covered",
                    "similarity": 0.8,
                    "match": "I said it",
                },
                {
                    "text": "Point two.",
                    "covered": False,
                    "status": "missed",
                    "similarity": 0.3,
                    "match": "other",
                },
            ]
            ids.append(
                s.add_attempt(
                    Attempt(
                        "resume",
                        qid,
                        q.category,
                        f"Well, I said it about {qid}.",
                        score,
                        score / 100,
                        key_points=kp,
                        session_id=sid,
                        started_at=f"{day}T10:0{i}:00+00:00",
                        graded_at=f"{day}T10:0{i}:30+00:00",
                        duration=30.0,
                        audio_path=str(audio) if i == 5 else None,
                        models={"embedder": {"name": "all-MiniLM-L6-v2", "sha256": "53aa5117abc"}},
                    )
                )
            )
        s.add_attempt(
            Attempt("resume", "Q3", CATS[0], "cut", 5.0, 0.1, session_id=sid, status="interrupted")
        )
        s.end_session(sid)
    return ids


def test_build_aggregates_by_category(home: Path, resume_bank: Bank) -> None:
    fill(home, resume_bank)
    with Store(home / "mockint.db") as s:
        r = build(s.attempts(), resume_bank)
    assert r.attempts == 6 and r.practised == 4 and r.bank_questions == 200
    gen, api = r.categories
    assert (gen.name, gen.attempts, gen.mean, gen.best, gen.latest, gen.questions) == (
        CATS[0],
        3,
        60.0,
        80.0,
        80.0,
        2,
    )
    assert gen.trend == 40.0  # Q1 went from 40 to 80; Q2 was answered once
    assert api.trend == 40.0 and gen.reanswered == api.reanswered == 1
    assert (api.name, api.mean, api.latest, api.bank_questions) == (CATS[1], 50.0, 70.0, 10)
    assert r.readiness == pytest.approx((80 + 60 + 70 + 50) / 4, abs=0.05)  # latest per question
    assert [w["question_id"] for w in r.weakest] == ["Q152", "Q2", "Q151", "Q1"]
    assert r.models == [{"name": "all-MiniLM-L6-v2", "sha256": "53aa5117abc"}]


def test_sparkline() -> None:
    assert sparkline([0, 50, 100]) == "▁▅█"


def progress_store(home: Path, resume_bank: Bank) -> None:
    """Answers whose progress is worked out by hand in the test below."""
    rows = [
        ("Q1", 40),
        ("Q2", 70),
        ("Q151", 30),
        ("Q1", 80),
        ("Q152", 50),
        ("Q175", 55),
        ("Q151", 70),
        ("Q1", 60),
        ("Q152", 20),
    ]
    kp = [
        {"text": "Point one.", "covered": True, "status": "covered", "match": "it"},
        {"text": "Point two.", "covered": False, "status": "missed", "match": ""},
    ]
    with Store(home / "mockint.db") as s:
        for i, (qid, score) in enumerate(rows):
            s.add_attempt(
                Attempt(
                    "resume",
                    qid,
                    resume_bank.get(qid).category,
                    "it",
                    score,
                    score / 100,
                    key_points=kp,
                    graded_at=f"2026-11-{i + 1:02d}T10:00:00+00:00",
                )
            )


def test_progress_per_question_agrees_in_every_format(home: Path, resume_bank: Bank) -> None:
    progress_store(home, resume_bank)
    with Store(home / "mockint.db") as s:
        r = build(s.attempts(), resume_bank)
    # by hand: Q1 40 -> 80 -> 60 (+20), Q151 30 -> 70 (+40), Q152 50 -> 20 (-30); Q2, Q175 once
    expected = [
        ("Q1", 3, 40, 80, 60, 20),
        ("Q151", 2, 30, 70, 70, 40),
        ("Q152", 2, 50, 50, 20, -30),
    ]
    d = json.loads(render_json(r))
    assert [
        (p["question_id"], p["attempts"], p["first"], p["best"], p["latest"], p["change"])
        for p in d["progress"]
    ] == expected
    # category progress: the mean change of its re-answered questions; n/a with none
    assert [(c["name"], c["trend"]) for c in d["categories"]] == [
        (CATS[0], 20.0),
        (CATS[1], 5.0),
        ("Databases (PostgreSQL and MySQL)", None),
    ]
    text = run("report").stdout
    assert "n/a" in text and "+5" in text
    for qid, n, first, best, latest, change in expected:
        cells = [str(n), str(first), str(best), str(latest), f"{change:+d}"]
        assert re.search(rf"{qid} .*?" + r"[\s│]+".join(map(re.escape, cells)), text), qid
    md = render_md(r)
    assert "important points? | 3 | 40 | 80 | 60 | +20 |" in md
    assert "| 5 |" not in md and "+5 |" in md and "| n/a |" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    last = {row["question_id"]: row for row in rows}
    got = [
        (q, int(last[q]["answer_number"]), float(last[q]["change_since_first"]))
        for q in ("Q1", "Q151", "Q152")
    ]
    assert got == [(q, n, c) for q, n, _, _, _, c in expected]
    page = render_html(r)
    for qid, n, first, best, latest, change in expected:
        assert (
            f'data-question="{qid}" data-attempts="{n}" data-first="{float(first)}" '
            f'data-best="{float(best)}" data-latest="{float(latest)}" '
            f'data-change="{float(change)}"'
        ) in page
    assert 'data-trend=""' in page and "<td>n/a</td>" in page
    # what to study next: the key point missed in every answer, grouped by question
    assert d["missed"][0] == {
        "question_id": "Q1",
        "question": resume_bank.get("Q1").text,
        "text": "Point two.",
        "missed": 3,
        "answers": 3,
    }
    assert "What to study next" in text and "Point two. (missed in 3 of 3)" in text


def test_json_csv_and_html_agree(home: Path, resume_bank: Bank) -> None:
    fill(home, resume_bank)
    with Store(home / "mockint.db") as s:
        r = build(s.attempts(), resume_bank)
    d = json.loads(render_json(r))
    assert d["schema_version"] == 1 and d["categories"][0]["series"][0]["score"] == 40.0
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert len(rows) == 6 and rows[0]["question_id"] == "Q1" and rows[0]["covered"] == "1"
    page = render_html(r)
    for banned in ("<script", "<link", " src=", "http://", "https://", "@import", "url("):
        assert banned not in page
    assert page.count('<tr data-category="') == 2
    assert "<mark>I said it</mark>" in page


def test_report_cli_formats(tmp_path: Path, home: Path, resume_bank: Bank) -> None:
    fill(home, resume_bank)
    r = run("report")
    assert r.exit_code == 0
    assert "Readiness 65/100" in r.stdout and CATS[1] in r.stdout
    r = run("report", "--format", "json", "--since", "2026-11-03")
    assert [c["attempts"] for c in json.loads(r.stdout)["categories"]] == [2]
    out = tmp_path / "r.html"
    r = run("report", "--format", "html", "-o", str(out))
    assert r.exit_code == 0 and out.read_text().startswith("<!doctype html>")
    r = run("report", "--session", "99")
    assert r.exit_code == 0 and r.stdout == "No graded answers match (bank 'resume').\n"


def test_empty_store_is_friendly(home: Path) -> None:
    for args in (["report"], ["review"], ["history"], ["report", "--format", "json"]):
        r = run(*args)
        assert r.exit_code == 0
        assert (
            r.stdout
            == "No answers yet: run 'mockint practice' (or 'mockint grade --save') first.\n"
        )
    assert not (home / "mockint.db").exists()


def test_review_and_history(home: Path, resume_bank: Bank) -> None:
    ids = fill(home, resume_bank)
    r = run("review")
    assert r.exit_code == 0 and r.stdout.startswith("session    1 ") and "7 answers" not in r.stdout
    r = run("review", "1")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 7
    r = run("review", f"a{ids[5]}")
    assert r.exit_code == 0
    assert "Score: 70/100" in r.stdout and '+ Point one.\n      you said: "I said it"' in r.stdout
    assert "- Point two." in r.stdout and "Recording: " in r.stdout
    r = run("review", "a999")
    assert (
        r.exit_code == 1 and r.output == "Error: no attempt 'a999': see 'mockint review SESSION'\n"
    )
    r = run("review", f"a{ids[0]}", "--play")
    assert r.exit_code == 1 and r.output.endswith("has no recording (typed, or left out)\n")
    r = run("history")
    assert r.exit_code == 0 and "▄▅▇" in r.stdout.splitlines()[1]


def test_bank_list_due(home: Path, resume_bank: Bank) -> None:
    fill(home, resume_bank)
    d = json.loads(run("bank", "list", "--due", "--json", "-c", "FastAPI").stdout)["due"]
    # eight FastAPI questions never answered come first; Q152 (50) and Q151 are overdue
    assert [x["id"] for x in d[:8]] == [f"Q{n}" for n in range(153, 161)]
    assert {x["id"] for x in d[8:]} == {"Q151", "Q152"}
    assert next(x for x in d if x["id"] == "Q152")["last_score"] == 50.0


@pytest.mark.parametrize("opened", [True, False])
def test_report_open_says_so_when_no_browser_opens_it(
    opened: bool, tmp_path: Path, home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with no browser (a server, a container), --open did nothing and said nothing
    import webbrowser

    fill(home, resume_bank)
    asked: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: asked.append(url) or opened)
    out = tmp_path / "r.html"
    r = run("report", "--format", "html", "-o", str(out), "--open")
    assert r.exit_code == 0 and out.is_file()  # type: ignore[attr-defined]
    assert asked == [out.resolve().as_uri()]
    said = r.stderr.splitlines()  # type: ignore[attr-defined]
    assert said[0] == f"Wrote {out}"
    if opened:
        assert said == [f"Wrote {out}"]
    else:
        assert said[1:] == [
            f"Warning: no browser could be opened: open {out.resolve()} in one yourself"
        ]


def test_export_import_round_trip_and_damaged_archive(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, resume_bank: Bank
) -> None:
    fill(home, resume_bank)
    zpath = tmp_path / "backup.zip"
    r = run("export", str(zpath))
    assert r.exit_code == 0 and r.stdout == f"Exported 7 answers and 1 recording to {zpath}\n"

    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(zpath))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Imported 7 answers (0 already here), 1 recording, 1 session from")
    with Store(other / "mockint.db") as s:
        got = s.attempts()
    assert [(a.question_id, a.score, a.status) for a in got][:2] == [
        ("Q1", 40.0, "complete"),
        ("Q2", 60.0, "complete"),
    ]
    audio = [a.audio_path for a in got if a.audio_path]
    assert (
        len(audio) == 1
        and Path(audio[0]).read_bytes()
        == (home / "recordings" / "2026-11-03" / "a.flac").read_bytes()
    )
    r = run("import", str(zpath))
    assert r.stdout.startswith("Imported 0 answers (7 already here)")

    # a damaged archive is refused whole, and the store is untouched
    data = bytearray(zpath.read_bytes())
    with zipfile.ZipFile(zpath) as z:
        info = z.getinfo("mockint.db")
    data[info.header_offset + 60] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    before = (other / "mockint.db").read_bytes()
    r = run("import", str(bad))
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {bad}: damaged archive") and r.output.endswith(
        "; nothing was imported\n"
    )
    assert (other / "mockint.db").read_bytes() == before
    notzip = tmp_path / "notes.zip"
    notzip.write_text("hello")
    r = run("import", str(notzip))
    assert r.exit_code == 1 and "not a readable zip archive" in r.output


def test_review_a_question_and_compare_best_with_latest(home: Path, resume_bank: Bank) -> None:
    progress_store(home, resume_bank)
    r = run("review", "q1")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1:] == [
        "3 answers:",
        "  a1        40  2026-11-01 10:00",
        "  a4        80  2026-11-04 10:00",
        "  a8        60  2026-11-08 10:00",
    ]
    r = run("review", "Q1", "--compare")
    assert r.exit_code == 0
    out = r.stdout
    assert "best a4 (80)" in out and "latest a8 (60)" in out
    assert "Point one." in out and "+ covered" in out and "- missed" in out
    assert "Answer, best a4 (80):" in out and "Answer, latest a8 (60):" in out
    r = run("review", "Q99")
    assert r.exit_code == 2 and "answered question (Q12)" in r.output


def test_an_older_answer_imported_later_is_not_the_latest(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the report and review took the newest row id for "latest": an answer of 2025
    # imported beside two of 2026 became the latest, its score the readiness, the range
    # ran "2026-11-03 to 2025-01-01"
    def answer(score: float, day: str) -> Attempt:
        t = f"{day}T10:00:00+00:00"
        a = Attempt("resume", "Q1", CATS[0], f"Scored {score:.0f}.", score, 0.5)
        return Attempt(**{**a.__dict__, "graded_at": t, "started_at": t})

    old = tmp_path / "old"
    with Store(old / "mockint.db") as s:
        s.add_attempt(answer(100.0, "2025-01-01"))
    monkeypatch.setenv("MOCKINT_HOME", str(old))
    assert run("export", str(tmp_path / "old.zip")).exit_code == 0
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer(40.0, "2026-11-02"))
        s.add_attempt(answer(60.0, "2026-11-03"))
    monkeypatch.setenv("MOCKINT_HOME", str(home))
    assert run("import", str(tmp_path / "old.zip")).exit_code == 0  # stored as a3
    first = run("report").stdout.splitlines()[0]
    assert "2025-01-01 to 2026-11-03. Readiness 60/100" in first, first
    data = json.loads(run("report", "--format", "json").stdout)
    [p] = data["progress"]
    assert (p["first"], p["best"], p["latest"], p["change"]) == (100.0, 100.0, 60.0, -40.0)
    assert [x["score"] for x in data["categories"][0]["series"]] == [100.0, 40.0, 60.0]
    assert data["categories"][0]["latest"] == 60.0
    out = run("review", "Q1", "--compare").stdout
    assert "best a3 (100)" in out and "latest a2 (60)" in out, out
    assert out.splitlines()[2].startswith("  a3 ")  # listed in the order graded


def editor(monkeypatch: pytest.MonkeyPatch, where: Path, script: str) -> None:
    """$EDITOR: a shell script run on the file to edit ("$1"), as at a terminal (from a
    pipe, the next line is read instead)."""
    sh = where / "editor.sh"
    sh.write_text(f"#!/bin/sh\n{script}\n")
    sh.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(sh))
    monkeypatch.setattr("mockint.ui.at_terminal", lambda: True)


def editing_to(monkeypatch: pytest.MonkeyPatch, where: Path, text: str) -> None:
    """$EDITOR: one that saves ``text`` as the edited transcript."""
    src = where / "edited.txt"
    src.write_text(text)
    editor(monkeypatch, where, f'cat "{src}" > "$1"')


def test_review_edit_regrades_on_the_corrected_transcript(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    q = resume_bank.get("Q175")
    with Store(home / "mockint.db") as s:
        s.add_attempt(
            Attempt(
                "resume",
                "Q175",
                q.category,
                "I run explain on the query.",
                10.0,
                0.1,
                key_points=[],
            )
        )
    editing_to(monkeypatch, tmp_path, q.model_answer)
    r = run("review", "a1", "--edit")
    assert r.exit_code == 0, r.output
    assert "Regraded a1: 10 -> 100." in r.output
    assert "graded on your corrected transcript (heard: I run explain on the query.)" in r.output
    with Store(home / "mockint.db") as s:
        a = s.attempt(1)
    assert a is not None and a.heard == "I run explain on the query." and a.score == 100.0
    d = json.loads(run("report", "--format", "json").stdout)
    assert d["items"][0]["heard"] == "I run explain on the query."


@pytest.mark.parametrize(
    ("edited", "why"),
    [
        ("edited \x1b[31m red \x07 text", "holds the control character U+001B ESC"),
        ("x" * 300_000, "the answer is 300,000 characters: at most 200,000"),
    ],
)
def test_review_edit_refuses_what_an_import_would(
    home: Path,
    resume_bank: Bank,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    edited: str,
    why: str,
) -> None:
    """An escape sequence or 300,000 characters from $EDITOR were stored, and the store's
    export could then not be imported."""
    q = resume_bank.get("Q175")
    with Store(home / "mockint.db") as s:
        s.add_attempt(Attempt("resume", "Q175", q.category, "I run explain.", 10.0, 0.1))
    editing_to(monkeypatch, tmp_path, edited)
    r = run("review", "a1", "--edit")
    assert r.exit_code == 1 and "Traceback" not in r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("Error: the edited transcript: ") and why in last
    assert last.endswith("(a1 unchanged)")
    with Store(home / "mockint.db") as s:
        a = s.attempt(1)
    assert a is not None and a.transcript == "I run explain." and a.heard is None


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ('rm -f "$1"; mkfifo "$1"', "a FIFO, not a regular file"),
        ('rm -f "$1"; ln -s "{secret}" "$1"', "the editor left a symlink in its place"),
        ('head -c 900000 /dev/zero | tr "\\0" x > "$1"', "over 800,000 bytes"),
        ("printf '\\377\\376 x' > \"$1\"", "not UTF-8 text"),
        ('rm -f "$1"; mkdir "$1"', "a directory, not a regular file"),
        ('rm -f "$1"; mkdir "$1"; touch "$1/theirs"', "a directory, not a regular file"),
    ],
)
def test_review_edit_reads_only_a_regular_file_with_a_cap(
    home: Path,
    resume_bank: Bank,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    script: str,
    why: str,
) -> None:
    """An editor leaving a FIFO hung the read forever; a symlink left in the file's place
    was followed and its target stored; a file of any size was read whole. What the editor
    left is removed, but for a directory holding something (left, and not searched): an
    empty directory was left behind."""
    import os
    import pty
    import subprocess
    import sys

    q = resume_bank.get("Q175")
    with Store(home / "mockint.db") as s:
        s.add_attempt(Attempt("resume", "Q175", q.category, "I run explain.", 10.0, 0.1))
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret")
    editor(monkeypatch, tmp_path, script.format(secret=secret))
    root = Path(__file__).resolve().parents[1]
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(root), "TMPDIR": str(temp)}
    cmd = [sys.executable, "-m", "mockint", "review", "a1", "--edit"]
    terminal, other_end = pty.openpty()  # the editor starts only at a terminal
    try:
        r = subprocess.run(
            cmd, env=env, stdin=other_end, capture_output=True, text=True, timeout=60
        )
    finally:
        os.close(terminal)
        os.close(other_end)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[-1].startswith("Error: ") and why in lines[-1], r.stderr
    assert "nothing was stored" in lines[-1] and len(lines) == 1, r.stderr
    left = sorted(p.relative_to(temp).as_posix() for p in temp.rglob("*"))
    if "theirs" in script:  # a file in it, maybe another's: the directory is left as it is
        assert len(left) == 2 and left[1] == f"{left[0]}/theirs", left
    else:
        assert left == [], left
    with Store(home / "mockint.db") as s:
        a = s.attempt(1)
    assert a is not None and a.transcript == "I run explain." and a.heard is None
    assert secret.read_text() == "the secret"


def test_review_edit_from_a_pipe_reads_the_next_line_and_starts_no_editor(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """$EDITOR was started whatever stdin was: vim read the piped text as keystrokes, and
    on an empty input it waited for ever, leaving its swap files behind."""
    q = resume_bank.get("Q175")
    with Store(home / "mockint.db") as s:
        s.add_attempt(Attempt("resume", "Q175", q.category, "I run explain.", 10.0, 0.1))
    started = tmp_path / "editor-started"
    monkeypatch.setenv("EDITOR", f"touch {started}")
    monkeypatch.delenv("VISUAL", raising=False)

    def edit(given: bytes) -> object:
        return CliRunner().invoke(cli, ["review", "a1", "--edit"], input=given)

    for given in (b"", b"\n"):  # nothing given: nothing changed, and said in one line
        r = edit(given)
        assert r.exit_code == 0 and r.stderr == "Transcript unchanged.\n", r.output
    r = edit(b"caf\xe9\n")
    assert r.exit_code == 1 and r.stderr.splitlines()[-1] == (
        "Error: standard input: not UTF-8 text: nothing was stored: give the corrected "
        "transcript as UTF-8 text"
    )
    r = edit(q.model_answer.replace("\n", " ").encode() + b"\nthe next answer\n")
    assert r.exit_code == 0 and "Regraded a1: 10 -> 100." in r.stderr, r.output
    assert not started.exists()
    with Store(home / "mockint.db") as s:
        a = s.attempt(1)
    assert a is not None and a.heard == "I run explain." and a.score == 100.0


def test_reports_filter_on_mode(home: Path, resume_bank: Bank) -> None:
    fill(home, resume_bank)
    q = resume_bank.get("Q191")
    with Store(home / "mockint.db") as s:
        s.add_attempt(
            Attempt("resume", "Q191", q.category, "I plan my week.", 35.0, 0.3, mode="live")
        )
    r = run("report", "--mode", "live", "--format", "json")
    data = json.loads(r.stdout)
    assert [(i["question_id"], i["mode"]) for i in data["items"]] == [("Q191", "live")]
    r = run("report", "--mode", "practice", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 6 and {x["mode"] for x in rows} == {"practice"}
    r = run("history", "--mode", "live")
    assert r.exit_code == 0 and "Soft skills" in r.stdout and "FastAPI" not in r.stdout
    r = run("review")
    assert r.exit_code == 0
    r = run("report", "--mode", "live", "--bank", "resume", "--since", "2030-01-01")
    assert r.stdout == "No graded answers match (bank 'resume', live mode).\n"


def test_chart_axis_labels_fit_inside_the_chart() -> None:
    """A y label ends 4 px left of the plot, right-aligned: its start must stay inside
    the SVG even for a pace of 208.6 words a minute (at most 0.6 em a character)."""
    import re

    from mockint.reports.html import _line

    for ys, top in (([150.0, 208.6], 100.0), ([40.0, 90.0], 100.0), ([1234.5], 10.0)):
        svg = _line("Pace", ys, top)
        labels = re.findall(r'<text x="([\d.]+)"[^>]*font-size="(\d+)"[^>]*>([^<]+)</text>', svg)
        assert len(labels) == 3
        for x, size, text in labels:
            assert float(x) - 0.6 * int(size) * len(text) >= 0, (text, x)


def test_a_chart_of_many_answers_draws_runs_of_them() -> None:
    """A 320 px chart of a million answers would be megabytes of dots no one can see:
    past CHART_POINTS each point is the mean of an equal run of answers, in order."""
    import re

    from mockint.reports.html import CHART_POINTS, _line, thinned

    few = [float(i % 100) for i in range(CHART_POINTS)]
    assert thinned(few) == few and _line("Pace", few).count("<circle") == CHART_POINTS
    many = [0.0] * 5000 + [100.0] * 5000  # a step half-way
    svg = _line("Pace", many)
    assert svg.count("<circle") == CHART_POINTS and len(svg) < 30_000
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]
    assert ys[: CHART_POINTS // 2] == [ys[0]] * (CHART_POINTS // 2)  # the first half low
    assert ys[CHART_POINTS // 2 :] == [ys[-1]] * (CHART_POINTS // 2) and ys[-1] < ys[0]
    assert thinned([1.0, 2.0, 3.0, 4.0, 5.0], 2) == [1.5, 4.0]


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_a_report_to_an_ascii_stdout_is_utf8_as_click_writes_it(
    home: Path, resume_bank: Bank, fmt: str
) -> None:
    """An ASCII stdout (PYTHONIOENCODING=ascii, a C locale) got the report in UTF-8 from
    click.echo; written straight into sys.stdout it was a UnicodeEncodeError traceback."""
    import os
    import subprocess
    import sys

    fill(home, resume_bank)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    r = subprocess.run(
        [sys.executable, "-m", "mockint", "report", "--format", fmt, "-o", "-"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert b"Traceback" not in r.stderr
    r.stdout.decode("utf-8")  # whole, and UTF-8


def test_a_report_lists_the_answers_it_counts_while_another_is_stored(
    home: Path, resume_bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing formats read the answers as they write them (minutes, on a large store):
    an answer stored meanwhile by a practice was listed though not counted."""
    from mockint.reports import render

    fill(home, resume_bank)
    real = render.WRITERS["json"]

    def meanwhile(r: object, out: object) -> None:
        with Store(home / "mockint.db") as s:  # another process's practice
            s.add_attempt(Attempt("resume", "Q2", CATS[0], "later", 90.0, 0.9))
        real(r, out)  # type: ignore[arg-type]

    monkeypatch.setitem(render.WRITERS, "json", meanwhile)
    d = json.loads(run("report", "--format", "json", "-o", "-").stdout)
    assert d["attempts"] == len(d["items"]) == 6
    assert [len(p["series"]) for p in d["progress"]] == [p["attempts"] for p in d["progress"]]


@pytest.mark.parametrize(
    "sel",
    [{"bank": "resume"}, {"bank": "resume", "mode": "practice"}, {"session_id": 1}, {}],
)
def test_the_answers_a_report_lists_are_not_sorted_whole(
    home: Path, resume_bank: Bank, sel: dict[str, object]
) -> None:
    """Every selected answer, oldest first, in id order from an index: sorting whole rows
    (transcripts, words) took SQLite ~30 s and a temporary copy of the table on a million
    answers before the first was written."""
    from mockint.storage import queries

    fill(home, resume_bank)
    with Store(home / "mockint.db") as s:
        seen: list[str] = []
        s.db.set_trace_callback(seen.append)
        rows = list(queries.answer_rows(s.db, queries.Selection(**sel)))  # type: ignore[arg-type]
        s.db.set_trace_callback(None)
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows) and rows
        sql = next(x for x in seen if x.lstrip().upper().startswith("SELECT"))
        plan = [str(r[3]) for r in s.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert not any("TEMP B-TREE" in p for p in plan), plan


def test_json_written_as_read_is_the_text_json_dumps_makes(home: Path, resume_bank: Bank) -> None:
    """write_json splices each listed array into json.dumps's text: the same bytes as
    dumping the whole report, whatever the strings hold (the splice's own marker, C0 and
    C1 controls, quotes, non-ASCII), streamed from the store or held in memory."""
    from dataclasses import replace

    from mockint.reports.gather import gather
    from mockint.storage.queries import Selection
    from mockint.terminal import json_safe

    fill(home, resume_bank)
    nasty = 'I said "\\u0000abc:0" \x00\x01\x85\u2028 \u00e9\U0001f600 \\n [{'
    with Store(home / "mockint.db") as s:
        s.add_attempt(
            Attempt(
                "resume",
                "Q2",
                CATS[0],
                nasty,
                55.0,
                0.5,
                key_points=[{"text": nasty, "covered": False, "status": "missed", "match": ""}],
                graded_at="2026-11-04T10:00:00+00:00",
            )
        )
        whole = build(s.attempts(bank="resume"), resume_bank)
        streamed = gather(s, Selection(bank="resume"), resume_bank, items=True)
        assert streamed is not None
        expected = json_safe(json.dumps(whole.to_dict(), indent=2, ensure_ascii=False)) + "\n"
        assert render_json(whole) == expected
        assert render_json(streamed) == expected
        empty = replace(whole, items=[], categories=[], progress=[])
        dumped = json.dumps(empty.to_dict(), indent=2, ensure_ascii=False)
        assert render_json(empty) == json_safe(dumped) + "\n"
