"""The SQLite store: migrations, WAL, and attempts written whole."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mockint.errors import StoreError
from mockint.storage import store
from mockint.storage.store import MIGRATIONS, Attempt, Store


def attempt(**kw: object) -> Attempt:
    base = dict(
        bank="resume",
        question_id="Q1",
        category="General",
        transcript="hello",
        score=50.0,
        coverage=0.6,
        key_points=[{"text": "k", "covered": True}],
        words=[{"text": "hello", "start": 0.0, "end": 0.4}],
        models={"embedder": {"name": "x", "sha256": "y"}},
    )
    base.update(kw)
    return Attempt(**base)  # type: ignore[arg-type]


def test_new_store_is_migrated_and_in_wal(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_a_newer_mockint_made_is_neither_read_nor_written(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as s:
        s.add_attempt(attempt())
        s.db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    before = (tmp_path / "m.db").read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreError, match=r"m\.db: made by a newer mockint .*update mockint"):
            Store(tmp_path / "m.db", readonly=readonly)
    with sqlite3.connect(tmp_path / "m.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1
        assert db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1
    assert (tmp_path / "m.db").read_bytes()[:100] == before[:100]


def test_new_store_has_large_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # large pages keep a report's index reads few where a cold disk pays for each
    with Store(tmp_path / "new.db") as s:
        assert s.db.execute("PRAGMA page_size").fetchone()[0] == store.PAGE_SIZE > 4096
    with monkeypatch.context() as m:
        m.setattr(store, "PAGE_SIZE", 4096)  # a store made before, on SQLite's default
        with Store(tmp_path / "old.db") as s:
            s.add_attempt(attempt())
    with Store(tmp_path / "old.db") as s:
        assert s.db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert len(s.attempts()) == 1


def test_the_wal_of_large_pages_is_folded_back_at_a_few_megabytes(tmp_path: Path) -> None:
    # SQLite's 1,000-page default kept 64 MB of 64 KB pages while a session was open
    wal = tmp_path / "m.db-wal"
    with Store(tmp_path / "m.db") as s:
        most = 0
        for i in range(400):
            s.add_attempt(attempt(transcript=f"answer {i} " * 100))
            most = max(most, wal.stat().st_size if wal.exists() else 0)
    assert 0 < most < 3 * store.WAL_BYTES


def test_attempt_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as s:
        sid = s.start_session("resume")
        rec = str(tmp_path / "recordings" / "a.flac")
        aid = s.add_attempt(attempt(session_id=sid, audio_path=rec, duration=3.5))
        # kept relative to the data directory, so a moved directory keeps it
        stored = s.db.execute("SELECT audio_path FROM attempts").fetchone()[0]
        assert stored == "recordings/a.flac"
    with Store(tmp_path / "m.db") as s:  # reopening runs no migration twice
        a = s.attempt(aid)
        assert a is not None
        assert a.key_points == [{"text": "k", "covered": True}]
        assert a.words[0]["end"] == 0.4
        assert a.models["embedder"]["sha256"] == "y"
        assert (a.session_id, a.audio_path, a.duration) == (sid, rec, 3.5)
        assert a.started_at and a.graded_at
        assert [x.id for x in s.attempts(session_id=sid)] == [aid]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as s:
        s.add_attempt(attempt())
        with pytest.raises(StoreError):
            s.add_attempt(attempt(session_id=999))  # no such session: foreign key fails
        assert len(s.attempts()) == 1


def test_store_from_the_first_schema_is_migrated_with_nothing_lost(tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "store-v1.db", old)
    before = sqlite3.connect(old)
    assert before.execute("PRAGMA user_version").fetchone()[0] == 1
    rows = before.execute(
        "SELECT question_id, score, transcript FROM attempts ORDER BY id"
    ).fetchall()
    before.close()
    with Store(old) as s:
        assert s.schema_version == len(MIGRATIONS) > 1
        got = s.attempts()
        assert [(a.question_id, a.score, a.transcript) for a in got] == rows
        assert got[0].key_points[0]["text"] == "A point." and got[0].delivery is None
        new = s.add_attempt(attempt(delivery={"wpm": 140.0}))
        assert s.attempt(new).delivery == {"wpm": 140.0}  # type: ignore[union-attr]
        assert s.sessions()[0]["attempts"] == 3


def test_migration_backfills_key_point_status(tmp_path: Path) -> None:
    import json

    path = tmp_path / "m.db"
    db = sqlite3.connect(str(path), isolation_level=None)
    for n, fn in enumerate(MIGRATIONS[:2], 1):
        fn(db)
        db.execute(f"PRAGMA user_version = {n}")
    points = [
        {"text": "a", "covered": True},  # stored before statuses existed
        {"text": "b", "covered": False},
        {"text": "c", "covered": False, "status": "partly covered"},
    ]
    db.execute(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage, key_points) VALUES ('b', 'Q1', 'C', 't', 't', 'x', 50, 0.5, ?)",
        (json.dumps(points),),
    )
    db.close()
    with Store(path) as s:
        assert [k["status"] for k in s.attempts()[0].key_points] == [
            "covered",
            "missed",
            "partly covered",
        ]


def test_migrations_read_the_answers_a_page_at_a_time_and_miss_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from mockint.storage import migrations

    monkeypatch.setattr(migrations, "PAGE", 2)  # a million answers were read at once: 1.6 GB
    path = tmp_path / "m.db"
    db = sqlite3.connect(str(path), isolation_level=None)
    for n, fn in enumerate(MIGRATIONS[:2], 1):
        fn(db)
        db.execute(f"PRAGMA user_version = {n}")
    for i in range(5):  # pages of 2, 2 and 1; ids need not be consecutive
        db.execute(
            "INSERT INTO attempts (id, bank, question_id, category, started_at, graded_at, "
            "transcript, score, coverage, key_points) "
            "VALUES (?, 'b', 'Q1', 'C', 't', 't', 'x', 50, 0.5, ?)",
            (10 * i + 1, json.dumps([{"text": f"p{i}", "covered": False}])),
        )
    db.close()
    with Store(path) as s:
        assert [k["status"] for a in s.attempts() for k in a.key_points] == ["missed"] * 5
        missed = s.db.execute("SELECT COUNT(DISTINCT attempt_id) FROM attempt_missed").fetchone()
        assert missed[0] == 5


def test_mode_is_stored_filtered_and_old_answers_are_practice(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as s:
        s.add_attempt(attempt())
        s.add_attempt(attempt(mode="live", heard="helo"))
        assert [a.mode for a in s.attempts()] == ["practice", "live"]
        assert [a.id for a in s.attempts(mode="live")] == [2]
        assert s.attempts(mode="live")[0].heard == "helo"  # kept on insert (archives, pending)


def test_migration_7_makes_every_earlier_answer_practice(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.db")
    db.execute("PRAGMA foreign_keys = ON")
    for fn in MIGRATIONS[:6]:
        with db:
            fn(db)
    db.execute("PRAGMA user_version = 6")
    db.execute(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, "
        "transcript, score, coverage, key_points, words, models, uid) VALUES ('b', 'Q1', "
        "'c', 't', 't', 'x', 1, 0, '[]', '[]', '{}', 'u1')"
    )
    db.commit()
    db.close()
    with Store(tmp_path / "m.db") as s:
        assert [a.mode for a in s.attempts()] == ["practice"]


def test_untrusted_rows_carry_a_known_mode_or_are_refused() -> None:
    from dataclasses import asdict

    from mockint.storage.intake import attempt_from_data

    row = asdict(attempt(mode="live"))
    assert attempt_from_data(row).mode == "live"
    assert attempt_from_data({k: v for k, v in row.items() if k != "mode"}).mode == "practice"
    with pytest.raises(ValueError, match="mode 'exam': must be one of practice, live"):
        attempt_from_data({**row, "mode": "exam"})


def test_an_older_store_gets_its_report_tallies_when_upgraded(home: Path, resume_bank) -> None:  # type: ignore[no-untyped-def]
    from mockint.reports.gather import gather
    from mockint.reports.report import build, held
    from mockint.storage.queries import Selection

    from .test_report import fill

    fill(home, resume_bank)
    db = home / "mockint.db"
    with Store(db) as s:  # back to the schema before the side tables (migrations 9 and 10)
        for stmt in (
            "DROP TRIGGER attempts_selected",
            "DROP TABLE attempt_corrected",
            "DROP INDEX attempts_by_question",
            "DROP TABLE attempt_missed",
            "DROP TABLE attempt_figures",
            "DROP INDEX attempts_report",
            "DROP INDEX attempts_models",
            "DROP INDEX attempts_category",
            'UPDATE attempts SET delivery = \'{"wpm": 120, "flags": [], "pauses": 2}\'',
            "PRAGMA user_version = 8",
        ):
            s.db.execute(stmt)
    with Store(db) as s:
        assert s.schema_version == len(MIGRATIONS)
        missed = s.db.execute("SELECT COUNT(*) FROM attempt_missed").fetchone()[0]
        assert missed == 6  # "Point two." in each of the six answers (the cut one has none)
        figures = s.db.execute("SELECT DISTINCT figure FROM attempt_figures ORDER BY figure")
        assert [r[0] for r in figures] == ["pauses", "wpm"]
        r = gather(s, Selection(bank="resume"), resume_bank, items=True)
        assert r is not None and held(r) == build(s.attempts(bank="resume"), resume_bank)
        assert r is not None and r.delivery == {"pauses": 2.0, "wpm": 120.0}
        assert [m.text for m in r.missed] == ["Point two."] * 4


def test_migration_10_gives_the_side_tables_what_a_report_selects_by(
    home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    from mockint.reports.gather import gather
    from mockint.reports.report import brief, build, held
    from mockint.storage.queries import Selection

    from .test_report import fill

    fill(home, resume_bank)
    db = home / "mockint.db"
    selected = ("question_id", "bank", "status", "mode", "session_id", "graded_at")
    with Store(db) as s:  # back to migration 9's side tables
        for stmt in (
            "DROP TRIGGER attempts_selected",
            "DROP TABLE attempt_corrected",
            "DROP INDEX attempts_by_question",
            "DROP INDEX attempt_missed_report",
            "DROP INDEX attempt_figures_report",
            "DROP INDEX attempts_category",
            *(f"ALTER TABLE attempt_missed DROP COLUMN {c}" for c in selected),
            *(f"ALTER TABLE attempt_figures DROP COLUMN {c}" for c in selected[1:]),
            "PRAGMA user_version = 9",
        ):
            s.db.execute(stmt)
    with Store(db) as s:
        assert s.schema_version == len(MIGRATIONS) == 11
        copied = s.db.execute(
            "SELECT COUNT(*) FROM attempt_missed m JOIN attempts a ON a.id = m.attempt_id "
            "WHERE (m.question_id, m.bank, m.status, m.mode, m.session_id, m.graded_at) = "
            "(a.question_id, a.bank, a.status, a.mode, a.session_id, a.graded_at)"
        )
        assert copied.fetchone()[0] == 6
        whole = build(s.attempts(bank="resume"), resume_bank)
        assert gather(s, Selection(bank="resume"), resume_bank) == brief(whole)
        # an answer changed in place: its side rows follow (the trigger)
        s.db.execute("UPDATE attempts SET mode = 'live' WHERE question_id = 'Q1'")
        live = gather(s, Selection(bank="resume", mode="live"), resume_bank, items=True)
        assert live is not None and [m.question_id for m in live.missed] == ["Q1"]
        assert live.missed[0].missed == 2
        assert held(live) == build(s.attempts(bank="resume", mode="live"), resume_bank)


N = 800  # answers the migration-11 test upgrades


def test_migration_11_reads_the_corrected_answers_a_few_at_a_time(home: Path) -> None:
    """Migration 11 parsed every corrected answer's words (each word's timings) held all
    at once: gigabytes on a large store. Read a few rows at a time, the upgrade of 800
    answers of 24 KB of words each stays within a few MB."""
    import tracemalloc

    words = [
        {"text": f"w{i}JS", "heard": f"w{i}", "start": i * 0.3, "end": i * 0.3 + 0.2}
        if i % 40 == 0
        else {"text": f"w{i}", "start": i * 0.3, "end": i * 0.3 + 0.2, "probability": 0.9}
        for i in range(300)
    ]
    text = " ".join(str(w["text"]) for w in words)
    db = home / "mockint.db"
    with Store(db) as s:
        s.add_attempt(attempt(transcript=text, words=words))
        cols = [r[1] for r in s.db.execute("PRAGMA table_info(attempts)")]
        copied = ", ".join(c for c in cols if c not in ("id", "uid"))
        for _ in range(N - 1):
            s.db.execute(f"INSERT INTO attempts ({copied}) SELECT {copied} FROM attempts LIMIT 1")
        size = s.db.execute("SELECT SUM(length(words)) FROM attempts").fetchone()[0]
        assert size > 15_000_000
        for stmt in (
            "DROP TABLE attempt_corrected",
            "DROP INDEX attempts_by_question",
            "PRAGMA user_version = 10",
        ):
            s.db.execute(stmt)
    tracemalloc.start()
    try:
        with Store(db) as s:
            peak = tracemalloc.get_traced_memory()[1]
            counted = s.db.execute("SELECT COUNT(*), MIN(words) FROM attempt_corrected").fetchone()
    finally:
        tracemalloc.stop()
    assert tuple(counted) == (N, 8)
    assert peak < 10_000_000, peak


def test_the_first_report_after_an_upgrade_of_mockint_upgrades_the_store(home: Path) -> None:
    """Reports open the store for reading; one made by an older mockint is upgraded on the
    way (where it can be written) instead of refusing every read until something writes."""
    from click.testing import CliRunner

    from mockint.cli.main import cli

    db = home / "mockint.db"
    with Store(db) as s:
        s.add_attempt(attempt())
        for stmt in (
            "DROP TABLE attempt_corrected",
            "DROP INDEX attempts_by_question",
            "PRAGMA user_version = 10",
        ):
            s.db.execute(stmt)
    r = CliRunner().invoke(cli, ["report", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["attempts"] == 1
    with Store(db, readonly=True) as s:
        assert s.schema_version == len(MIGRATIONS)
    assert CliRunner().invoke(cli, ["bank", "list", "--due"]).exit_code == 0
