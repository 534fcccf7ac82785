"""What one mockint exports, another imports (issue 35, round 4): a recording's name made
from the user's file, SQLite's statistics tables, a non-recording named as audio, a time
before 1970 and Ctrl-C while rows are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mockint.storage.migrations import MIGRATIONS
from mockint.storage.store import Store

from .test_faults import one_error, run, tree
from .test_store_hostile import answer, recording

STEMS = ["réponse (final)", "x" * 125, "two\nlines", "esc\x1b[31m", "...", "Q8 .answer"]


@pytest.mark.parametrize("stem", STEMS)
def test_a_recording_saved_from_any_file_name_exports_and_imports(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, stem: str
) -> None:
    # 'réponse (final).wav', saved with grade --save, exported, was refused by every import
    from mockint.config import paths
    from mockint.grading.assess import keep_recording

    samples = (0.3 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    kept = keep_recording(samples, paths().recordings, "Q8", stem)
    assert len(kept.name) <= 128 and kept.name.isascii(), kept.name
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer("Q8", kept))
    assert run("export", str(tmp_path / "e.zip")).exit_code == 0
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and r.output.startswith("Imported 1 answer"), r.output
    with Store(other / "mockint.db") as s:
        [a] = s.attempts()
    assert a.audio_path and Path(a.audio_path).read_bytes() == kept.read_bytes()


def test_a_store_holding_a_name_import_refuses_exports_it_renamed(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a store saved before names were made safe: its export is importable all the same
    day = home / "recordings" / "2026-12-07"
    bad = [recording(day / n) for n in ("132935-Q8-réponse (final).flac", f"{'y' * 140}.flac")]
    good = recording(day / "132936-Q8-a.flac")
    with Store(home / "mockint.db") as s:
        for p in (*bad, good):
            s.add_attempt(answer("Q8", p))
    before = tree(home / "recordings")
    assert run("export", str(tmp_path / "e.zip")).exit_code == 0
    assert tree(home / "recordings") == before  # the recordings stay as they were
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and r.output.startswith("Imported 3 answers"), r.output
    with Store(other / "mockint.db") as s:
        got = [Path(a.audio_path or "") for a in s.attempts()]
    assert sorted(p.read_bytes() for p in got) == sorted(p.read_bytes() for p in (*bad, good))
    assert got[2].name == good.name and all(p.name.isascii() for p in got)


def test_an_archive_name_import_refuses_says_what_is_wrong(tmp_path: Path, home: Path) -> None:
    from .test_store_hostile import archive

    with Store(tmp_path / "db.db") as s:
        s.add_attempt(answer("Q1"))
    planted = {"recordings/d/a\x1b[2J.flac": b"x"}
    bad = archive(tmp_path / "b.zip", tmp_path / "db.db", len(MIGRATIONS), planted)
    line = one_error(run("import", str(bad)))
    assert "'a\\x1b[2J.flac' is not a recording name mockint writes (letters, digits" in line
    assert "outside recordings/" not in line and not home.joinpath("mockint.db").exists()


def test_sqlites_statistics_neither_travel_nor_stop_an_import(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an outside ANALYZE made sqlite_stat1: export shipped it, and import refused it
    import zipfile

    from .test_store_hostile import archive, with_recordings

    with_recordings(home, 2)
    sql(home / "mockint.db", "ANALYZE")
    assert run("export", str(tmp_path / "e.zip")).exit_code == 0
    with zipfile.ZipFile(tmp_path / "e.zip") as z:
        (tmp_path / "shipped.db").write_bytes(z.read("mockint.db"))
    assert "sqlite_stat1" in sql(home / "mockint.db", "SELECT name FROM sqlite_master")
    shipped = sql(tmp_path / "shipped.db", "SELECT name FROM sqlite_master")
    assert not [n for n in shipped if n.startswith("sqlite_stat")], shipped
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and r.output.startswith("Imported 2 answers"), r.output
    # an archive that holds them (an older export's) imports; any other extra is refused
    with Store(tmp_path / "old.db") as s:
        s.add_attempt(answer("Q1"))
    sql(tmp_path / "old.db", "ANALYZE")
    old = archive(tmp_path / "old.zip", tmp_path / "old.db", len(MIGRATIONS))
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "third"))
    r = run("import", str(old))
    assert r.exit_code == 0 and r.output.startswith("Imported 1 answer"), r.output
    assert "sqlite_stat1" in sql(tmp_path / "old.db", "SELECT name FROM sqlite_master")
    sql(tmp_path / "old.db", "CREATE TABLE x(y)")
    bad = archive(tmp_path / "bad.zip", tmp_path / "old.db", len(MIGRATIONS))
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "fourth"))
    assert "a table 'x' mockint never makes" in one_error(run("import", str(bad)))


def sql(db: Path, statement: str) -> list[object]:
    """Run one statement on ``db`` and close it (a WAL checkpointed into the file)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        out = [r[0] for r in con.execute(statement)]
        con.commit()
        return out
    finally:
        con.close()


def test_only_a_file_in_recordings_is_ever_taken_as_audio(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a kept answer naming mockint.db as its audio was stored; the report embedded the
    # store (base64), export shipped it as a recording
    import json
    import zipfile

    from .test_store_hostile import with_recordings

    with_recordings(home, 1)
    (home / "pending").mkdir()
    (home / "notes").mkdir()
    (home / "notes" / "x.flac").write_bytes(b"not audio")
    for i, where in enumerate(
        ["mockint.db", "notes/x.flac", str(home / "mockint.db"), "recordings"]
    ):
        kept = {**answer("Q2").__dict__, "uid": f"{i}" * 32, "audio_path": where}
        (home / "pending" / f"{i}.json").write_text(json.dumps(kept))
    before = tree(home / "pending")
    r = run("import-pending")
    assert "Error: 4 kept files were not taken in" in one_error(r), r.output
    assert r.output.count("is not a recording in") == 3, r.output  # "and 1 more"
    assert tree(home / "pending") == before  # each refused, each kept
    # rows already stored so (before this fix, or by hand) are read as having no recording
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer("Q3", home / "mockint.db"))
        s.add_attempt(answer("Q4", home / "notes" / "x.flac"))
        assert [a.audio_path is None for a in s.attempts()] == [False, True, True]
    r = run("report", "--format", "html", "--embed-audio", "-o", str(tmp_path / "r.html"))
    assert r.exit_code == 0 and (tmp_path / "r.html").read_text().count("data:audio/") == 1
    assert run("export", str(tmp_path / "e.zip")).exit_code == 0
    with zipfile.ZipFile(tmp_path / "e.zip") as z:
        names = z.namelist()
    assert len([n for n in names if n.startswith("recordings/")]) == 1, names
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    assert run("import", str(tmp_path / "e.zip")).output.startswith("Imported 3 answers")


def test_a_kept_answer_whose_recording_was_deleted_comes_in_without_it(home: Path) -> None:
    import json

    (home / "pending").mkdir(parents=True)
    kept = {**answer("Q2").__dict__, "uid": "e" * 32, "audio_path": "recordings/d/gone.flac"}
    (home / "pending" / "e.json").write_text(json.dumps(kept))
    r = run("import-pending")
    assert r.exit_code == 0 and "Stored 1 kept answer" in r.output, r.output
    with Store(home / "mockint.db") as s:
        [a] = s.attempts()
    assert a.audio_path is None and not list((home / "pending").iterdir())


def test_rows_dropped_mid_way_run_no_code_a_ctrl_c_could_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C during an import once printed 'Exception ignored in: <generator object
    # Guarded.rows>' and a traceback: the generator, collected, was leaving its `with`
    # when the KeyboardInterrupt landed. Here the interrupt lands on the clock it read.
    import gc
    import sys
    import time

    from mockint.storage import untrusted

    with Store(tmp_path / "db.db") as s:
        for q in ("Q1", "Q2"):
            s.add_attempt(answer(q))
    sql(tmp_path / "db.db", "PRAGMA journal_mode=DELETE")
    ignored: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    with untrusted.guarded(tmp_path / "db.db") as db:
        rows = db.rows("SELECT id FROM attempts ORDER BY id")
        assert next(rows)[0] == 1  # a row held: the budget paused

        def interrupted() -> float:
            raise KeyboardInterrupt

        monkeypatch.setattr(time, "monotonic", interrupted)
        del rows
        gc.collect()
        monkeypatch.undo()
        assert ignored == []
        assert [r[0] for r in db.rows("SELECT id FROM attempts")] == [1, 2]
        assert db.budget.left is None and db.budget.deadline < float("inf")  # counting again
