"""The store against crafted archives, planted files and moved directories (issue 35):
one `Error:` line, no traceback, nothing written where it should not be, nothing lost."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from mockint.storage import untrusted
from mockint.storage.migrations import MIGRATIONS
from mockint.storage.store import Attempt, Store

from .test_faults import one_error, rebuild, run, tree
from .test_faults import tmpfs as tmpfs  # noqa: F401 (a fixture)

T = "2026-11-03T10:00:00+00:00"
ROOT = Path(__file__).resolve().parent.parent


def answer(qid: str = "Q1", audio: Path | None = None, **kw: object) -> Attempt:
    return Attempt(
        "resume",
        qid,
        "General",
        f"I said it about {qid}.",
        60.0,
        0.6,
        graded_at=T,
        started_at=T,
        audio_path=str(audio) if audio else None,
        **kw,  # type: ignore[arg-type]
    )


def recording(path: Path, seconds: float = 1.0) -> Path:
    from mockint.sound.audio import write_audio

    t = np.arange(int(seconds * 16000)) / 16000
    return write_audio(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))


def with_recordings(home: Path, n: int = 3) -> list[Path]:
    recs = [recording(home / "recordings" / "2026-11-03" / f"a{i}.flac") for i in range(n)]
    with Store(home / "mockint.db") as s:
        for i, p in enumerate(recs):
            s.add_attempt(answer(f"Q{i + 1}", p))
    return recs


def exported(tmp_path: Path) -> Path:
    """The store of ``MOCKINT_HOME`` exported to ``tmp_path/good.zip``."""
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    return good


def archive(
    dest: Path, db: Path, schema_version: int, extra: dict[str, bytes] | None = None
) -> Path:
    """An archive around ``db`` with a manifest whose checksums all match."""
    files = {"mockint.db": db.read_bytes(), **(extra or {})}
    manifest = {
        "format": "mockint-export",
        "version": 2,
        "schema_version": schema_version,
        "created": T,
        "attempts": 0,
        "files": {
            n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in files.items()
        },
    }
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for n, d in files.items():
            z.writestr(n, d)
    return dest


# --- hostile archive databases ------------------------------------------------------------------


def test_a_view_bomb_archive_is_refused_in_seconds(tmp_path: Path, home: Path) -> None:
    # attempts is a VIEW over an endless recursive CTE: names, sizes, checksums and
    # integrity all pass; only the schema check stops it, before it is ever queried
    db = tmp_path / "bomb.db"
    con = sqlite3.connect(str(db))
    con.execute("PRAGMA page_size = 512")
    con.execute(
        "CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT, ended_at TEXT, "
        "bank TEXT, kind TEXT, options TEXT)"
    )
    con.execute(
        "CREATE VIEW attempts AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT x AS id, NULL AS session_id, 'b' AS bank, 'Q1' AS question_id, 'C' AS category, "
        "'' AS started_at, '' AS graded_at, NULL AS audio_path, NULL AS duration, "
        "hex(randomblob(1000)) AS transcript FROM c ORDER BY transcript"
    )
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    con.commit()
    con.close()
    bomb = archive(tmp_path / "bomb.zip", db, len(MIGRATIONS))
    assert bomb.stat().st_size < 2048
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer())
    before = tree(home)
    t = time.monotonic()
    line = one_error(run("import", str(bomb)))
    assert time.monotonic() - t < 5
    assert "view 'attempts'" in line and line.endswith("nothing was imported")
    assert tree(home) == before


HOSTILE_SCHEMA = {
    "a trigger": (
        "CREATE TRIGGER t AFTER INSERT ON sessions BEGIN DELETE FROM attempts; END",
        "trigger 't'",
    ),
    "an extra table": ("CREATE TABLE extra (x)", "table 'extra'"),
    "an extra view": ("CREATE VIEW v AS SELECT 1", "view 'v'"),
    "an index of its own": ("CREATE INDEX mine ON attempts(transcript)", "index 'mine'"),
    "a generated column": (
        "ALTER TABLE attempts ADD COLUMN g TEXT AS (upper(transcript))",
        "generated or hidden column",
    ),
    "a CHECK run on every row": (
        "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, "
        "'mode TEXT NOT NULL DEFAULT ''practice''', 'mode TEXT NOT NULL DEFAULT ''practice'' "
        "CHECK (length(hex(zeroblob(8000000))) > 0)') WHERE name = 'attempts'",
        "CHECK, DEFAULT or COLLATE",
    ),
    "a CHECK behind a comment's quote": (
        "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, "
        "'mode TEXT NOT NULL DEFAULT ''practice''', 'mode TEXT NOT NULL DEFAULT ''practice'' "
        "-- it''s\n CHECK (length(hex(zeroblob(8000000))) > 0) -- ''\n') "
        "WHERE name = 'attempts'",
        "CHECK, DEFAULT or COLLATE",
    ),
    "a DEFAULT that is code": (
        "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, "
        "'DEFAULT ''{}''', 'DEFAULT (hex(zeroblob(8000000)))') WHERE name = 'sessions'",
        "CHECK, DEFAULT or COLLATE",
    ),
    "an index of another name": (
        "CREATE INDEX attempts_extra ON attempts(score)",
        "holds an index 'attempts_extra' mockint never makes",
    ),
    "an index made partial": (
        "DROP INDEX attempts_graded; CREATE INDEX attempts_graded ON attempts(graded_at) "
        "WHERE score > 0",
        "indexes are not mockint's",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SCHEMA))
def test_an_archive_with_objects_mockint_never_makes_is_refused(
    case: str, tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    sql, said = HOSTILE_SCHEMA[case]

    def edit(db: sqlite3.Connection) -> None:
        db.executescript(sql)

    bad = rebuild(good, tmp_path / "bad.zip", edit_db=edit)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    line = one_error(run("import", str(bad)))
    assert said in line and line.endswith("nothing was imported")
    assert not (tmp_path / "other" / "mockint.db").exists() or run("review").output.startswith("No")


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (  # the right name and event, another body: it would empty the report's tallies
            "DROP TRIGGER attempts_selected; CREATE TRIGGER attempts_selected AFTER UPDATE OF "
            "question_id, bank, status, mode, session_id, graded_at ON attempts BEGIN "
            "DELETE FROM attempt_missed; DELETE FROM attempt_figures; END",
            "trigger 'attempts_selected' is not the one mockint makes",
        ),
        (  # the right name and column; another collation (the index's shape is the same)
            "DROP INDEX attempts_graded; "
            "CREATE INDEX attempts_graded ON attempts(graded_at COLLATE NOCASE)",
            "index 'attempts_graded' is not the one mockint makes",
        ),
    ],
)
def test_a_trigger_or_index_of_mockints_name_with_another_body_is_refused(
    sql: str, said: str, tmp_path: Path, home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    bad = rebuild(good, tmp_path / "bad.zip", edit_db=lambda db: db.executescript(sql))
    before = tree(home)
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: ") and said in line, line
    assert line.endswith("nothing was imported")
    assert tree(home) == before


def test_mockints_own_trigger_spaced_otherwise_is_accepted(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)

    def respace(db: sqlite3.Connection) -> None:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'attempts_selected'")
        body = " ".join(sql.fetchone()[0].split()).replace("BEGIN ", "BEGIN\n\t\t")
        db.executescript(f"DROP TRIGGER attempts_selected; {body};")

    spaced = rebuild(good, tmp_path / "spaced.zip", edit_db=respace)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(spaced))
    assert r.exit_code == 0 and r.output.startswith("Imported 7 answers"), r.output


def test_an_import_checks_every_row_then_writes_them_one_at_a_time(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an archive's rows are never all held: each is read, checked and written before the
    # next is read (a 1 MB archive took 1.6 GB when they were), and every row is checked
    # before the first is written, so a refused archive writes nothing
    from mockint.storage import intake, merge

    with Store(home / "mockint.db") as s:
        sid = s.start_session("resume")
        for i in range(20):
            s.add_attempt(answer(f"Q{i}", session_id=sid if i % 2 else None))
    good = exported(tmp_path)
    events: list[str] = []
    check = intake.attempt_from_data
    monkeypatch.setattr(merge, "attempt_from_data", lambda d: events.append("read") or check(d))
    insert = Store.insert_attempt
    monkeypatch.setattr(
        Store, "insert_attempt", lambda self, a: events.append("write") or insert(self, a)
    )
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(good))
    assert r.exit_code == 0 and r.output.startswith("Imported 20 answers"), r.output
    assert events == ["read"] * 20 + ["read", "write"] * 20
    with Store(tmp_path / "other" / "mockint.db") as s:
        assert sorted(a.question_id for a in s.attempts()) == sorted(f"Q{i}" for i in range(20))
        assert {a.session_id for a in s.attempts()} == {None, s.sessions()[0]["id"]}


def test_the_time_an_import_spends_outside_sqlite_is_not_its_budget(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the budget stops hostile SQL, not a large archive that takes long to check and store
    from mockint.storage import intake, merge

    with Store(home / "mockint.db") as s:
        for i in range(5):
            s.add_attempt(answer(f"Q{i}"))
    good = exported(tmp_path)
    clock = [0.0]
    monkeypatch.setattr(untrusted.time, "monotonic", lambda: clock[0])

    def slow(d: object) -> Attempt:  # each row's checks "take" twice the whole budget
        clock[0] += 2 * untrusted.BUDGET_SECONDS
        return intake.attempt_from_data(d)

    monkeypatch.setattr(merge, "attempt_from_data", slow)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(good))
    assert r.exit_code == 0 and r.output.startswith("Imported 5 answers"), r.output


def test_row_counts_and_time_are_bounded(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    monkeypatch.setattr(untrusted, "MAX_ROWS", 3)
    assert "rows in attempts: at most 3" in one_error(run("import", str(good)))
    monkeypatch.setattr(untrusted, "MAX_ROWS", 1000)
    monkeypatch.setattr(untrusted, "BUDGET_SECONDS", 0.0)
    assert "takes over 0 s to read" in one_error(run("import", str(good)))
    monkeypatch.setattr(untrusted, "MAX_VALUE_BYTES", 10)
    monkeypatch.setattr(untrusted, "BUDGET_SECONDS", 60.0)
    monkeypatch.setitem(untrusted._LIMITS, "SQLITE_LIMIT_LENGTH", 10)
    assert "too big" in one_error(run("import", str(good)))
    assert not (tmp_path / "other" / "mockint.db").exists()


def test_ctrl_c_stops_an_import_and_its_temp_copy_goes(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from mockint.config import Paths
    from mockint.storage.archive import import_archive

    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    calls = []

    def clock() -> float:  # Ctrl-C arrives while SQLite runs (inside the progress handler)
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return 0.0

    monkeypatch.setattr(untrusted.time, "monotonic", clock)
    with pytest.raises(KeyboardInterrupt):
        import_archive(good, Paths(tmp_path / "other"))
    assert list(scratch.iterdir()) == []  # nothing in the shared temp directory either
    assert list((tmp_path / "other").iterdir()) == []
    assert not (tmp_path / "other" / "mockint.db").exists()


def test_ctrl_c_as_the_progress_handler_is_entered_is_an_interrupted_import(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    calls = []
    handler = untrusted._Budget.__call__

    def entered(budget: untrusted._Budget) -> int:  # Ctrl-C before the handler's try
        calls.append(1)
        if len(calls) > 3:
            raise KeyboardInterrupt
        return handler(budget)

    monkeypatch.setattr(untrusted._Budget, "__call__", entered)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(good))
    # it said "Error: ...: the database is damaged or hostile (interrupted)"
    assert r.exit_code == 1 and r.output.strip() == "Aborted!", r.output
    assert list((tmp_path / "other").iterdir()) == []


def test_ctrl_c_while_the_import_commits_keeps_the_recordings_of_what_it_stored(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # COMMIT of a 60,000-answer archive takes seconds; Ctrl-C meanwhile is raised once it
    # has returned: the answers are stored, so their recordings must not be removed (they
    # were, and importing again skipped the answers as already here: recordings lost)
    from contextlib import contextmanager

    with_recordings(home, 3)
    good = exported(tmp_path)
    real = Store._tx

    @contextmanager
    def tx(self: Store):  # type: ignore[no-untyped-def]
        with real(self):
            yield
        raise KeyboardInterrupt  # as SIGINT during COMMIT arrives: after it took

    monkeypatch.setattr(Store, "_tx", tx)
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(good))
    assert r.exit_code == 0 and r.output.startswith("Imported 3 answers"), r.output
    monkeypatch.undo()
    with Store(other / "mockint.db") as s:
        stored = s.attempts()
    assert len(stored) == 3
    assert all(a.audio_path and Path(a.audio_path).is_file() for a in stored)
    assert not [p for p in other.iterdir() if p.name.startswith(".import-")]


def test_ctrl_c_while_recordings_are_copied_leaves_no_folder_behind(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.storage import archive

    with_recordings(home, 3)
    good = exported(tmp_path)
    real_copy = archive._copy
    calls = []

    def copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # the database, one recording, then Ctrl-C
            raise KeyboardInterrupt
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(archive, "_copy", copy)
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code != 0
    assert not (other / "recordings").exists() or not any((other / "recordings").iterdir())
    with Store(other / "mockint.db") as s:
        assert s.attempts() == []


def test_an_import_killed_outright_leaves_no_recording_in_place(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGKILL runs no clean-up: each recording was renamed into place as it was copied,
    # so a kill mid-copy left complete recordings with no answer (55 of 60 in a try)
    from mockint.storage import archive, merge

    with_recordings(home, 3)
    good = exported(tmp_path)
    real_copy, calls = archive._copy, []

    def copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 4:  # the database, two recordings, then killed
            raise KeyboardInterrupt
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(archive, "_copy", copy)
    monkeypatch.setattr(merge, "_remove", lambda *a: None)  # killed: no clean-up
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code != 0
    left = [p.name for p in (other / "recordings").rglob("*") if p.is_file()]
    assert left and all(n.startswith(".") and n.endswith(".part") for n in left), left


def test_the_next_import_removes_what_a_killed_import_left_not_a_running_ones(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_recordings(home, 1)
    good = exported(tmp_path)
    other = tmp_path / "other"
    dead = subprocess.Popen(["true"])
    dead.wait()
    running = subprocess.Popen(["sleep", "60"])
    try:
        folder = other / "recordings" / "imported" / "earlier" / "2026-11-03"
        folder.mkdir(parents=True)
        # a partial copy is written only under the store's write lock, which the next
        # import holds as it looks: whatever its process id, its writer is gone
        left = [folder / f".a0.flac.{dead.pid}.part", folder / f".a1.flac.{running.pid}.part"]
        left.append(other / f".import-{dead.pid}-abc")
        kept = other / f".import-{running.pid}-abc"
        for p in left[:2]:
            p.write_bytes(b"part of a recording")
        for p in (left[2], kept):
            p.mkdir()
        monkeypatch.setenv("MOCKINT_HOME", str(other))
        assert run("import", str(good)).exit_code == 0
        assert not any(p.exists() for p in left) and kept.exists()
    finally:
        running.kill()
        running.wait()


def test_the_next_import_removes_partial_copies_named_before_they_had_a_process_id(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ".a0.flac.part", from before copies were tagged with their process, matched no
    # process and stayed for good
    with_recordings(home, 1)
    good = exported(tmp_path)
    other = tmp_path / "other"
    folder = other / "recordings" / "imported" / "earlier" / "2026-11-03"
    folder.mkdir(parents=True)
    old = folder / ".a0.flac.part"
    old.write_bytes(b"part of a recording")
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code == 0
    assert not old.exists()


def test_the_clean_up_does_not_walk_a_link_planted_as_the_imported_folder(
    tmp_path: Path,
) -> None:
    from mockint.storage import merge

    outside = tmp_path / "outside"
    outside.mkdir()
    mine = [outside / ".a0.flac.123.part", outside / ".a0.flac.part"]
    for p in mine:
        p.write_bytes(b"not mockint's")
    imported = tmp_path / "home" / "recordings" / "imported"
    imported.parent.mkdir(parents=True)
    imported.symlink_to(outside)
    with Store(tmp_path / "home" / "mockint.db") as s:
        assert merge.tidy(s, imported) == [] and all(p.exists() for p in mine)


def test_a_temp_copy_whose_lock_is_held_is_kept_whatever_its_process_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an import in another pid namespace (a container) has an id that names no process
    # here, or another one: its lock on its folder says it runs
    from mockint.storage import archive, scratch

    home = tmp_path / "shared"
    folder = home / f"{archive.SCRATCH}{os.getpid()}-abc"
    folder.mkdir(parents=True)
    monkeypatch.setattr(scratch, "alive", lambda pid: False)
    with scratch.locked(folder):
        assert archive.clean_stale_imports(home) == [] and folder.is_dir()
    assert archive.clean_stale_imports(home) == [folder] and not folder.exists()


def imported_and_named(home: Path) -> tuple[set[Path], set[Path]]:
    """The files under ``home``'s recordings/imported, and the recordings its answers name."""
    files = {p for p in (home / "recordings" / "imported").rglob("*") if p.is_file()}
    with Store(home / "mockint.db") as s:
        named = {Path(a.audio_path) for a in s.attempts() if a.audio_path}
    return files, named


def test_an_import_killed_as_it_commits_leaves_no_recording_without_an_answer_for_long(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # copies are renamed into place just before COMMIT: killed between the two, the
    # answers were never stored and the recordings stayed, named by nothing, for good
    from mockint.storage import merge

    with_recordings(home, 3)
    good = exported(tmp_path)
    later = tmp_path / "later.zip"  # another archive: its copies go to another folder
    later.write_bytes(good.read_bytes())
    real_place = merge._place

    def killed_once_placed(*args):  # type: ignore[no-untyped-def]
        real_place(*args)
        raise KeyboardInterrupt  # the transaction is lost, as the kill would lose it

    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    with monkeypatch.context() as m:
        m.setattr(merge, "_place", killed_once_placed)
        m.setattr(merge, "_remove", lambda *a: None)  # killed: no clean-up
        assert run("import", str(good)).exit_code != 0
    files, named = imported_and_named(other)
    assert len(files - named) >= 3 and not named  # what the kill left
    assert run("import", str(later)).exit_code == 0
    files, named = imported_and_named(other)
    assert files == named and len(named) == 3


def test_recordings_placed_by_an_import_that_committed_are_kept_by_the_next(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # killed after COMMIT, before its journal of places is removed: its answers name them
    from mockint.storage import merge

    with_recordings(home, 3)
    good = exported(tmp_path)
    later = tmp_path / "later.zip"
    later.write_bytes(good.read_bytes())
    other = tmp_path / "other"
    imported = other / "recordings" / "imported"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    with monkeypatch.context() as m:
        m.setattr(merge, "_forget", lambda journal: None)
        assert run("import", str(good)).exit_code == 0
    assert list(imported.glob(f"{merge.PLACING}*"))
    assert run("import", str(later)).exit_code == 0  # all three already here
    files, named = imported_and_named(other)
    assert files == named and len(named) == 3
    assert not list(imported.glob(f"{merge.PLACING}*"))


def an_archive_and_another_home(tmp_path: Path, home: Path) -> tuple[Path, Path, Path]:
    """An archive of one answer, the data directory to import it into, and that one's
    (made) recordings/imported."""
    with_recordings(home, 1)
    other = tmp_path / "other"
    imported = other / "recordings" / "imported"
    imported.mkdir(parents=True)
    return exported(tmp_path), other, imported


def test_a_planted_journal_of_places_removes_nothing_outside_or_through_a_link(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.storage import merge

    good, other, imported = an_archive_and_another_home(tmp_path, home)
    outside = tmp_path / "outside"
    outside.mkdir()
    mine = [recording(outside / "a.flac"), outside / "notes.txt"]
    mine[1].write_text("mine")
    (imported / "folder").symlink_to(outside)
    (imported / "file.flac").symlink_to(mine[0])
    names = ["folder/a.flac", "file.flac", "../../../outside/notes.txt", str(mine[1])]
    (imported / f"{merge.PLACING}planted").write_text(json.dumps(names))
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code == 0
    assert all(p.exists() for p in mine) and (imported / "file.flac").is_symlink()


@pytest.mark.parametrize(
    "journal",
    [
        json.dumps(["a\u0000b.flac", "x/\u0000"]),  # a NUL byte: no path can hold it
        "[" * 100_000,  # nested past Python's recursion
        json.dumps(["x" * 64] * 300_000),  # over the most read (16 MB)
        "\xff\xfe not JSON",
    ],
    ids=["nul", "deep", "huge", "bytes"],
)
def test_a_damaged_journal_of_places_stops_no_import_and_is_removed(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, journal: str
) -> None:
    # every import reads the journals killed imports left: one it cannot read must not
    # fail every import after it (a traceback, or "damaged archive" of a good one)
    from mockint.storage import merge

    good, other, imported = an_archive_and_another_home(tmp_path, home)
    planted = imported / f"{merge.PLACING}damaged"
    planted.write_text(journal, encoding="utf-8", errors="surrogateescape")
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(good))
    assert r.exit_code == 0, r.output
    assert not planted.exists()


def test_an_import_in_another_pid_namespace_keeps_its_copies_while_another_starts(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two containers sharing a data directory see no process of each other's: the second
    # import removed the first's temp copy and partial recordings as left by the dead
    import threading

    from mockint.config import paths
    from mockint.storage import archive, scratch

    with_recordings(home, 3)
    good = exported(tmp_path)
    second = tmp_path / "second.zip"
    second.write_bytes(good.read_bytes())
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    where = paths()
    monkeypatch.setattr(scratch, "alive", lambda pid: False)  # no id names a process here
    copying, cleaned, go = threading.Event(), threading.Event(), threading.Event()
    real_copy, real_clean = archive._copy, archive.clean_stale_imports
    calls: list[int] = []

    def copy(*args):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "first":
            calls.append(1)
            if len(calls) == 3:  # the database, one recording: the next one waits
                copying.set()
                assert go.wait(30)
        return real_copy(*args)

    left: list[Path] = []

    def clean(home: Path) -> list[Path]:
        gone = real_clean(home)
        if threading.current_thread().name == "second":  # (its own made after this)
            left.extend(p for p in home.glob(f"{archive.SCRATCH}*") if p.is_dir())
            cleaned.set()
        return gone

    monkeypatch.setattr(archive, "_copy", copy)
    monkeypatch.setattr(archive, "clean_stale_imports", clean)
    results: dict[str, object] = {}

    def import_in_thread(src: Path) -> None:
        name = threading.current_thread().name
        try:
            results[name] = archive.import_archive(src, where).attempts
        except Exception as e:
            results[name] = e

    first = threading.Thread(target=import_in_thread, args=(good,), name="first")
    first.start()
    assert copying.wait(30)
    then = threading.Thread(target=import_in_thread, args=(second,), name="second")
    then.start()
    assert cleaned.wait(30)  # the second has looked for what killed imports left
    assert left  # the first's temp copy (its database, open, outlived its removal)
    go.set()
    first.join(60)
    then.join(60)
    assert results == {"first": 3, "second": 0}  # the second found them all here
    files, named = imported_and_named(other)
    assert files == named and len(named) == 3


@pytest.mark.parametrize("where", ["the store closes", "the temp copy is removed"])
def test_ctrl_c_after_the_import_committed_reports_the_import(
    where: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the answers are stored: "Aborted!" and exit 1 would tell the user they were not
    import tempfile

    with_recordings(home, 3)
    good = exported(tmp_path)
    if where == "the store closes":
        real_close = Store.close

        def close(self: Store) -> None:
            real_close(self)
            if self.path.parent == other:
                raise KeyboardInterrupt

        monkeypatch.setattr(Store, "close", close)
    else:
        real_cleanup = tempfile.TemporaryDirectory.cleanup

        def cleanup(self: tempfile.TemporaryDirectory[str]) -> None:
            real_cleanup(self)
            raise KeyboardInterrupt

        monkeypatch.setattr(tempfile.TemporaryDirectory, "cleanup", cleanup)
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(good))
    assert r.exit_code == 0 and r.output.startswith("Imported 3 answers"), r.output
    monkeypatch.undo()
    with Store(other / "mockint.db") as s:
        assert len(s.attempts()) == 3


def test_an_import_killed_outright_leaves_a_copy_the_next_import_removes(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    dead = other / ".import-4194400-x1"  # above Linux's pid_max: that process is gone
    dead.mkdir()
    (dead / "mockint.db").write_bytes(b"x" * 1000)
    running = other / f".import-{os.getpid()}-x2"  # an import still running keeps its copy
    running.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("mine")
    (other / ".import-4194401-x3").symlink_to(elsewhere)  # a link is never followed
    (other / ".import-notes").mkdir()  # not an import's name
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    r = run("import", str(good))
    assert r.exit_code == 0, r.output
    assert not dead.exists()
    assert running.is_dir()
    assert (elsewhere / "keep").read_text() == "mine"
    assert (other / ".import-4194401-x3").is_symlink()
    assert (other / ".import-notes").is_dir()
    assert len([p for p in other.iterdir() if p.name.startswith(".import-")]) == 3


def test_an_imported_time_that_is_no_time_is_refused_naming_its_row(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    bad = rebuild(
        good,
        tmp_path / "bad.zip",
        edit_db=lambda db: db.execute("UPDATE attempts SET graded_at = 'yesterday' WHERE id = 2"),
    )
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    line = one_error(run("import", str(bad)))
    assert "answer row 2: graded_at 'yesterday': not an ISO 8601 time" in line
    assert not (tmp_path / "other" / "mockint.db").exists()


def test_imported_times_are_stored_as_mockint_writes_them(
    tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # times another tool wrote (an offset, Z, a space, fractions of a second, no offset)
    # become UTC to the second, as store.now() writes them: they sort and compare as text
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    given = {
        1: ("2026-12-01T01:00:00+02:00", "2026-11-30T23:00:00+00:00"),  # the day before
        2: ("2026-12-01 10:00:00Z", "2026-12-01T10:00:00+00:00"),
        3: ("2026-12-01T09:30:00.123456-01:00", "2026-12-01T10:30:00+00:00"),
        4: ("2026-12-01T11:00:00", "2026-12-01T11:00:00+00:00"),
        5: ("20261201T120000Z", "2026-12-01T12:00:00+00:00"),
        7: ("2026-12-01t13:00:00z", "2026-12-01T13:00:00+00:00"),  # RFC 3339 allows t, z
    }

    def edit(db: sqlite3.Connection) -> None:
        for i, (t, _) in given.items():
            db.execute("UPDATE attempts SET graded_at = ?, started_at = ? WHERE id = ?", (t, t, i))
        db.execute("UPDATE sessions SET started_at = '2026-12-01 08:00:00.5+01:00'")

    odd = rebuild(good, tmp_path / "odd.zip", edit_db=edit)
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(odd))
    assert r.exit_code == 0 and r.output.startswith("Imported 7 answers"), r.output
    with Store(tmp_path / "other" / "mockint.db") as s:
        stored = {a.id: (a.started_at, a.graded_at) for a in s.attempts()}
        assert {i: stored[i] for i in given} == {i: (want, want) for i, (_, want) in given.items()}
        assert stored[6][1] == "2026-11-03T10:05:30+00:00"  # as mockint wrote it: unchanged
        assert [a.id for a in s.attempts(since="2026-12-01") if a.id in given] == [2, 3, 4, 5, 7]
        assert s.sessions()[0]["started_at"] == "2026-12-01T07:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2026-13-01T10:00:00+00:00", "not an ISO 8601 time"),
        ("10:00", "not an ISO 8601 time"),
        ("0001-01-01T00:30:00+01:00", "before year 1 or after 9999 in UTC"),
        # stored, then left out of report --since 0001-01-01 (7 of 8 answers)
        ("0001-01-01T00:00:00+00:00", "before 1970"),
        ("1969-12-31T23:59:59+00:00", "before 1970"),
        # the newest answer forever, its schedule past what a date holds
        ("9999-12-31T23:59:59", "in the future (more than a day after now)"),
    ],
)
def test_an_imported_time_out_of_range_is_refused_naming_its_row(
    value: str, said: str, tmp_path: Path, home: Path, resume_bank, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    bad = rebuild(
        good,
        tmp_path / "bad.zip",
        edit_db=lambda db: db.execute("UPDATE attempts SET graded_at = ? WHERE id = 3", (value,)),
    )
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    line = one_error(run("import", str(bad)))
    assert f"answer row 3: graded_at '{value}': {said}" in line, line
    assert not (tmp_path / "other" / "mockint.db").exists()


def old_archive(tmp_path: Path, n: int) -> Path:
    """An archive made before answers had an identity (schema version 4)."""
    db = tmp_path / "old.db"
    con = sqlite3.connect(str(db), isolation_level=None)
    for fn in MIGRATIONS[:4]:
        fn(con)
    con.execute("PRAGMA user_version = 4")
    con.executemany(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage) VALUES ('resume', ?, 'General', ?, ?, ?, 50, 0.5)",
        [(f"Q{i % 9 + 1}", T, T, f"answer {i}") for i in range(n)],
    )
    con.close()
    return archive(tmp_path / "old.zip", db, 4)


def test_an_old_archive_of_many_answers_imports(tmp_path: Path, home: Path) -> None:
    # the migrations since schema 4 rebuild its tables: 2.4x the pages, over the room an
    # import first gave them (every archive over ~8,000 answers was refused as hostile)
    z = old_archive(tmp_path, 12_000)
    r = run("import", str(z))
    assert r.exit_code == 0 and r.output.startswith("Imported 12000 answers"), r.output


def test_an_old_archive_past_the_imports_memory_is_one_line(tmp_path: Path, home: Path) -> None:
    # bringing a schema-8 archive up to date sorts every missed key point in SQLite's
    # bounded heap; past it, SQLite's "out of memory" reached Python as a MemoryError
    # traceback (150,000 answers of 20 missed points each did, at the real 512 MB)
    with_recordings(home, 1)
    before = tree(home)
    db = tmp_path / "old8.db"
    con = sqlite3.connect(str(db), isolation_level=None)
    for fn in MIGRATIONS[:8]:
        fn(con)
    con.execute("PRAGMA user_version = 8")
    point = {"status": "missed", "text": "x" * 200}
    points = json.dumps([{**point, "text": f"{k} {point['text']}"} for k in range(20)])
    con.executemany(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage, key_points, uid) VALUES ('resume', 'Q1', 'General', ?, ?, ?, 50, 0.5, "
        "?, lower(hex(randomblob(16))))",
        [(T, T, f"answer {i}", points) for i in range(2000)],
    )
    con.close()
    z = archive(tmp_path / "old8.zip", db, 8)
    # a heap of 4 MB, in a process of its own: SQLite's limit is the whole process's, and
    # once lowered no PRAGMA raises it again
    code = (
        "import sys; from mockint.storage import untrusted; untrusted.HEAP_BYTES = 4 << 20; "
        "from mockint.cli.main import cli; sys.argv = ['mockint', 'import', sys.argv[1]]; cli()"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(z)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 1 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    line = r.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line, r.stderr
    assert "old8.zip" in line and "MB of memory" in line and "nothing was imported" in line
    assert tree(home) == before


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (
            "UPDATE attempts SET words = json_array(json_object('text', "
            "hex(zeroblob(150000)), 'start', 0, 'end', 1, 'probability', 1)) WHERE id = 2",
            "a text of 300,000",
        ),
        (
            "UPDATE attempts SET delivery = json_object(char(27) || '[2J', 1) WHERE id = 2",
            "U+001B",
        ),
        (
            "UPDATE attempts SET key_points = json_array(json_object('text', "
            "hex(zeroblob(150000)))) WHERE id = 2",
            "a text of 300,000",
        ),
        ("UPDATE attempts SET transcript = 'x' || char(27) || '[2J' WHERE id = 2", "U+001B"),
        ("UPDATE attempts SET category = 'C' || char(155) || '31m' WHERE id = 2", "U+009B"),
    ],
)
def test_an_archive_text_too_long_or_with_control_characters_is_refused(
    sql: str, said: str, tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    bad = rebuild(good, tmp_path / "bad.zip", edit_db=lambda db: db.execute(sql))
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: answer row 2: ") and said in line, line
    assert not (tmp_path / "other" / "mockint.db").exists()


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (  # 1,300,000 empty lists: 3.9 MB of text, ~100 MB once parsed
            "UPDATE attempts SET words = '[' || replace(hex(zeroblob(1300000)), '00', '[],') "
            "|| '[]]' WHERE id = 2",
            "answer row 2: up to 2,600,0",
        ),
        (
            "UPDATE sessions SET options = '{\"a\": [' || "
            "replace(hex(zeroblob(300000)), '00', '[],') || '[]]}' WHERE id = 1",
            "session 1: options: a text of",
        ),
        (  # the same as a blob: unfit() bounds texts, and json.loads parses bytes as well
            "UPDATE sessions SET options = CAST('{\"a\": [' || "
            "replace(hex(zeroblob(300000)), '00', '[],') || '[]]}' AS BLOB) WHERE id = 1",
            "session 1: not a valid session row",
        ),
    ],
)
def test_json_that_would_take_gigabytes_once_parsed_is_refused_before(
    sql: str, said: str, tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # each '[],' of JSON is a list of 56 bytes once parsed: five such columns of 32 MB in
    # one row of a 494 KB archive took 4.4 GB before any limit on the parsed value applied
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    bad = rebuild(good, tmp_path / "bad.zip", edit_db=lambda db: db.execute(sql))
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    parsed = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda t, *a, **k: parsed.append(len(t)) or real(t))
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: {said}") and "nothing was imported" in line, line
    assert max(parsed, default=0) < 100_000  # refused before it was parsed
    assert not (tmp_path / "other" / "mockint.db").exists()


@pytest.mark.parametrize("depth", [100, 978, 5000])
def test_json_nested_deeper_than_mockint_writes_is_refused_naming_its_row(
    depth: int, tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # ~978 deep parsed in the check, then failed as it was written, one call deeper, after
    # every check: "damaged archive (maximum recursion depth exceeded while encoding a
    # JSON object)", naming no row; how deep passed depended on the caller's stack
    from .test_report import fill

    fill(home, resume_bank)
    good = exported(tmp_path)
    models = '{"m": {"x": ' + "[" * depth + "]" * depth + "}}"
    bad = rebuild(
        good,
        tmp_path / "bad.zip",
        edit_db=lambda db: db.execute("UPDATE attempts SET models = ? WHERE id = 2", (models,)),
    )
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: answer row 2: models: JSON nested over 32 deep"), line
    assert not (tmp_path / "other" / "mockint.db").exists()


def test_an_archive_entry_that_is_also_a_folder_of_others_is_refused_in_the_check(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 'recordings/2026-11-03' as a file beside 'recordings/2026-11-03/a0.flac': every check
    # passed, then the copy failed as "cannot write (File exists): free some space" (or,
    # the folder's entries first, an answer was stored with a folder as its recording)
    with_recordings(home, 2)
    good = exported(tmp_path)
    with zipfile.ZipFile(good) as z:
        assert "recordings/2026-11-03/a0.flac" in z.namelist()
    bad = rebuild(
        good,
        tmp_path / "bad.zip",
        edit_db=lambda db: db.execute(
            "UPDATE attempts SET audio_path = 'recordings/2026-11-03' WHERE id = 2"
        ),
        extra={"recordings/2026-11-03": b"not a folder"},
    )
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    line = one_error(run("import", str(bad)))
    assert line == (
        f"Error: {bad}: entry 'recordings/2026-11-03' is a file and a folder of other entries "
        "at once; nothing was imported"
    )
    assert not (other / "mockint.db").exists() and not (other / "recordings").exists()


@pytest.mark.parametrize(
    ("delivery", "said"),
    [
        ('{"wpm": 120, "x": ' + "9" * 400 + "}", "delivery: a whole number of 400 digits"),
        ('{"wpm": 120, "long_pauses": [[NaN, 1]]}', "delivery: NaN: not a number JSON allows"),
        ('{"wpm": 1e400}', "delivery: the number 1e400: out of range"),
    ],
)
@pytest.mark.parametrize("schema", [8, len(MIGRATIONS)])
def test_a_number_no_float_can_hold_is_refused_naming_its_row(
    schema: int, delivery: str, said: str, tmp_path: Path, home: Path
) -> None:
    # a delivery figure of 400 digits passed every check, then float() failed on it as
    # the answer was written (OverflowError traceback); in an old archive, in the
    # migration that tallies figures, before any check; NaN and 1e400 were stored
    with_recordings(home, 1)
    before = tree(home)
    db = tmp_path / "n.db"
    con = sqlite3.connect(str(db), isolation_level=None)
    for fn in MIGRATIONS[:schema]:
        fn(con)
    con.execute(f"PRAGMA user_version = {schema}")
    con.execute(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage, delivery, uid) VALUES ('resume', 'Q1', 'General', ?, ?, 'a', 50, 0.5, "
        "?, lower(hex(randomblob(16))))",
        (T, T, delivery),
    )
    con.close()
    z = archive(tmp_path / "n.zip", db, schema)
    line = one_error(run("import", str(z)))
    assert line == f"Error: {z}: answer row 1: {said}; nothing was imported"
    assert tree(home) == before


def test_recordings_that_cannot_be_written_say_why_not_free_some_space(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every failure to copy a recording said "free some space": a folder not writable
    # (recordings/ made by root in the README's set-up) or a file in a folder's place too
    with_recordings(home, 1)
    good = exported(tmp_path)
    other = tmp_path / "other"
    (other / "recordings").mkdir(parents=True)
    (other / "recordings" / "imported").write_text("a file where a folder goes")
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    line = one_error(run("import", str(good)))
    assert line == (
        f"Error: {other / 'recordings' / 'imported' / 'good'}: cannot write (Not a directory): "
        "make it a folder you can write to; nothing was imported"
    )
    with Store(other / "mockint.db") as s:
        assert s.attempts() == []


def test_a_corrected_word_timed_past_a_float_in_an_old_archive_is_one_line(
    tmp_path: Path, home: Path
) -> None:
    # migration 11 counts corrected words on the archive before any row is checked: a
    # start of 400 digits raised OverflowError there, a traceback
    with_recordings(home, 1)
    before = tree(home)
    db = tmp_path / "w.db"
    con = sqlite3.connect(str(db), isolation_level=None)
    for fn in MIGRATIONS[:10]:
        fn(con)
    con.execute("PRAGMA user_version = 10")
    words = '[{"text": "a", "start": ' + "9" * 400 + ', "end": 2, "heard": "b"}]'
    con.execute(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage, words, uid) VALUES ('resume', 'Q1', 'General', ?, ?, 'a b', 50, 0.5, "
        "?, lower(hex(randomblob(16))))",
        (T, T, words),
    )
    con.close()
    z = archive(tmp_path / "w.zip", db, 10)
    line = one_error(run("import", str(z)))
    assert line == f"Error: {z}: answer row 1: words: a whole number of 400 digits; " + (
        "nothing was imported"
    )
    assert tree(home) == before


def test_an_archived_answer_without_a_time_is_refused_not_added_at_every_import(
    tmp_path: Path, home: Path
) -> None:
    # '' took the time of the import; an archive made before answers had an identity is
    # matched by content, times included, so its answers were added again at every import
    db = tmp_path / "old.db"
    con = sqlite3.connect(str(db), isolation_level=None)
    for fn in MIGRATIONS[:4]:
        fn(con)
    con.execute("PRAGMA user_version = 4")
    con.execute(
        "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, transcript, "
        "score, coverage) VALUES ('resume', 'Q1', 'General', '', '', 'a', 50, 0.5)"
    )
    con.close()
    z = archive(tmp_path / "old.zip", db, 4)
    for _ in range(2):
        line = one_error(run("import", str(z)))
        assert line == (
            f"Error: {z}: answer row 1: started_at and graded_at must be times; "
            "nothing was imported"
        )
    assert not (home / "mockint.db").exists()


def test_concurrent_imports_of_an_old_archive_add_each_answer_once(tmp_path: Path) -> None:
    z = old_archive(tmp_path, 300)
    home = tmp_path / "shared"
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "mockint", "import", str(z)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sorted(o.split(" answers")[0] for o in outs) == ["Imported 0"] * 2 + ["Imported 300"]
    with Store(home / "mockint.db") as s:
        assert len(s.attempts()) == 300


# --- kept-aside answers and planted recordings ----------------------------------------------------


def test_a_link_planted_as_an_imported_recordings_partial_copy_is_not_written_through(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a recording is copied to a partial file beside its place, then renamed: that file
    # was opened by a name known in advance, following a link planted there
    with_recordings(home, 1)
    good = exported(tmp_path)
    outside = tmp_path / "notes.txt"
    outside.write_text("mine")
    other = tmp_path / "other"
    folder = other / "recordings" / "imported" / "good" / "2026-11-03"
    folder.mkdir(parents=True)
    for name in (".a0.flac.part", f".a0.flac.{os.getpid()}.part"):
        (folder / name).symlink_to(outside)
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code == 0
    assert outside.read_text() == "mine"
    with Store(other / "mockint.db") as s:
        (a,) = s.attempts()
    original = home / "recordings" / "2026-11-03" / "a0.flac"
    assert a.audio_path and Path(a.audio_path).read_bytes() == original.read_bytes()


def test_answers_sharing_one_recording_import_sharing_one_copy(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # export names shared audio once; the second answer's copy used to remove the first's
    # partial copy, and the import failed as if the folder could not be written
    rec = recording(home / "recordings" / "2026-11-03" / "a.flac")
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer("Q1", rec))
        s.add_attempt(answer("Q2", rec))
    good = exported(tmp_path)
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code == 0
    with Store(other / "mockint.db") as s:
        a, b = s.attempts()
    assert a.audio_path and a.audio_path == b.audio_path
    assert Path(a.audio_path).read_bytes() == rec.read_bytes()
    assert not [p for p in other.rglob("*.part")]


def test_kept_answers_live_in_the_data_directory_never_in_a_shared_temp_dir(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.storage.intake import keep_pending

    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    # what the old fallback read: $TMPDIR/mockint-pending-<hash of the home path>
    key = hashlib.sha256(str((home / "pending").resolve()).encode()).hexdigest()[:12]
    planted = shared / f"mockint-pending-{key}"
    planted.mkdir()
    (planted / "x.json").write_text(json.dumps({**answer().__dict__, "score": 99.0, "uid": ""}))
    kept = keep_pending(answer("Q5"), home / "pending")
    assert kept.parent == home / "pending"
    assert (home / "pending").stat().st_mode & 0o777 == 0o700
    r = run("import-pending")
    assert r.exit_code == 0 and r.output.startswith("Stored 1 kept answer "), r.output
    with Store(home / "mockint.db") as s:
        assert [a.question_id for a in s.attempts()] == ["Q5"]
    assert (planted / "x.json").exists() and list(shared.iterdir()) == [planted]


def test_a_planted_kept_answer_cannot_reach_a_secret_or_hang(tmp_path: Path, home: Path) -> None:
    secret = tmp_path / "secret.flac"
    recording(secret)
    pending = home / "pending"
    pending.mkdir(parents=True)
    bad = {**answer().__dict__, "score": 99.0, "audio_path": str(secret), "uid": "a" * 32}
    (pending / "bad.json").write_text(json.dumps(bad))
    os.mkfifo(pending / "fifo.json")
    (pending / "link.json").symlink_to(tmp_path / "secret.flac")
    (pending / "dir.json").mkdir()
    r = run("import-pending")
    line = one_error(r)
    assert "4 kept files were not taken in" in line
    with Store(home / "mockint.db") as s:
        assert s.attempts() == []
    from mockint.storage.intake import import_pending

    with Store(home / "mockint.db") as s:
        _, refused = import_pending(s, pending)
    assert f"{pending / 'dir.json'}: a directory, not a regular file" in refused
    assert not any("Errno" in x for x in refused), refused


def test_a_kept_answer_graded_in_the_future_is_refused_and_the_schedule_still_works(
    home: Path,
) -> None:
    pending = home / "pending"
    pending.mkdir(parents=True)
    future = {**answer("Q1").__dict__, "graded_at": "9999-12-31T23:59:59", "uid": "b" * 32}
    (pending / "future.json").write_text(json.dumps(future))
    line = one_error(run("import-pending"))
    assert "future.json: graded_at '9999-12-31T23:59:59': in the future" in line, line
    from mockint.storage.intake import import_pending

    with Store(home / "mockint.db") as s:
        assert import_pending(s, pending)[1] == [
            f"{pending / 'future.json'}: graded_at '9999-12-31T23:59:59': "
            "in the future (more than a day after now)"
        ]
        assert s.attempts() == []
        # a store holding one anyway (written before this check) still schedules
        s.add_attempt(replace(answer("Q1"), graded_at="9999-12-31T23:59:59+00:00"))
    for command in (["bank", "list", "--due"], ["review"], ["report"]):
        r = run(*command)
        assert r.exit_code == 0 and r.exception is None, (command, r.output)


def test_a_kept_answer_that_an_import_would_refuse_is_not_stored(home: Path) -> None:
    """What import-pending stores, an export carries and an import must take: an escape
    sequence, a 300,000-character key point or JSON 100 deep were stored, then the
    store's export could not be imported."""
    pending = home / "pending"
    pending.mkdir(parents=True)
    base = answer().__dict__
    nested: list[object] = ["x"]
    for _ in range(100):
        nested = [nested]
    bad = {
        "escape": {**base, "transcript": "edited \x1b[31m red"},
        "category": {**base, "category": "Loops \x07"},
        "long": {**base, "key_points": [{"text": "x" * 300_000, "covered": False}]},
        "deep": {**base, "key_points": [{"text": "k", "covered": False, "more": nested}]},
        "nan": {**base, "delivery": {"wpm": float("nan")}},
    }
    for n, (k, v) in enumerate(bad.items()):
        (pending / f"{k}.json").write_text(json.dumps({**v, "uid": f"{n + 1:032x}"}))
    very = json.dumps({**base, "uid": "f" * 32, "notes": []})
    (pending / "very.json").write_text(
        very.replace('"notes": []', '"notes": ' + "[" * 5000 + "]" * 5000)
    )
    bad["very"] = {}
    line = one_error(run("import-pending"))
    assert "6 kept files were not taken in" in line
    with Store(home / "mockint.db") as s:
        assert s.attempts() == []
    assert sorted(p.name for p in pending.iterdir()) == sorted(f"{k}.json" for k in bad)
    from mockint.storage.intake import import_pending

    with Store(home / "mockint.db") as s:
        _, refused = import_pending(s, pending)
    assert f"{pending / 'very.json'}: JSON nested over 32 deep" in refused
    assert f"{pending / 'nan.json'}: NaN: not a number JSON allows" in refused


def test_a_recording_path_outside_the_data_directory_is_never_read(
    tmp_path: Path, home: Path
) -> None:
    secret = recording(tmp_path / "secret.flac", seconds=2.0)  # not the same bytes as a0
    with_recordings(home, 1)
    with Store(home / "mockint.db") as s:
        aid = s.add_attempt(answer("Q2"))
        # planted straight into the store (an old row, a hand edit): absolute and relative
        s.db.execute("UPDATE attempts SET audio_path = ? WHERE id = ?", (str(secret), aid))
        bid = s.add_attempt(answer("Q3"))
        s.db.execute("UPDATE attempts SET audio_path = '../secret.flac' WHERE id = ?", (bid,))
    encoded = base64.b64encode(secret.read_bytes()).decode()
    for extra in ([], ["--embed-audio"]):
        out = tmp_path / "r.html"
        assert run("report", "--format", "html", "-o", str(out), *extra).exit_code == 0
        page = out.read_text()
        assert "secret" not in page and encoded[:200] not in page
        assert page.count("<audio") == 1
    assert "recording" in one_error(run("review", f"a{aid}", "--play"))
    r = run("export", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and "and 1 recording to" in r.stdout
    assert r.stderr.startswith("Warning: 2 recordings left out")
    with zipfile.ZipFile(tmp_path / "e.zip") as z:
        assert [n for n in z.namelist() if n.startswith("recordings/")] == [
            "recordings/2026-11-03/a0.flac"
        ]


def test_a_page_report_says_which_recordings_it_left_out(tmp_path: Path, home: Path) -> None:
    # a recording deleted by hand: the page shows the answer without a player, and says so
    # once, as export does, linked or embedded; the other recordings are there
    recs = with_recordings(home, 3)
    recs[1].unlink()
    for extra in ([], ["--embed-audio"]):
        out = tmp_path / "r.html"
        r = run("report", "--format", "html", "-o", str(out), *extra)
        assert r.exit_code == 0
        warned = [line for line in r.stderr.splitlines() if line.startswith("Warning:")]
        assert len(warned) == 1 and "1 recording left out" in warned[0]
        assert str(recs[1]) in warned[0]
        assert out.read_text().count("<audio") == 2
    recording(recs[1])  # put back: nothing to say
    r = run("report", "--format", "html", "-o", str(tmp_path / "r.html"))
    assert r.exit_code == 0 and "Warning" not in r.stderr


def test_recordings_of_the_same_name_from_two_archives_are_both_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two machines' backup.zip, each a different recording named a0.flac: the second
    # answer was pointed at the first's file and its own audio dropped ("1 recording")
    zips = {}
    for machine, seconds in (("A", 1.0), ("B", 2.0), ("C", 1.0)):
        h = tmp_path / machine
        monkeypatch.setenv("MOCKINT_HOME", str(h))
        rec = recording(h / "recordings" / "2026-11-03" / "a0.flac", seconds)
        with Store(h / "mockint.db") as s:
            s.add_attempt(replace(answer("Q1", rec), transcript=f"machine {machine}"))
        (tmp_path / machine / "out").mkdir()
        zips[machine] = tmp_path / machine / "out" / "backup.zip"
        assert run("export", str(zips[machine])).exit_code == 0
    here = tmp_path / "here"
    monkeypatch.setenv("MOCKINT_HOME", str(here))
    for machine in "ABC":  # C's recording is A's, byte for byte: kept once
        r = run("import", str(zips[machine]))
        assert r.exit_code == 0 and ", 1 recording, " in r.output, r.output
    with Store(here / "mockint.db") as s:
        audio = {a.transcript: Path(a.audio_path or "") for a in s.attempts()}
    for machine in "ABC":
        original = tmp_path / machine / "recordings" / "2026-11-03" / "a0.flac"
        assert audio[f"machine {machine}"].read_bytes() == original.read_bytes(), machine
    assert audio["machine A"] == audio["machine C"] != audio["machine B"]
    assert sorted(p.name for p in audio["machine A"].parent.iterdir()) == ["a0-2.flac", "a0.flac"]


# --- a moved data directory -----------------------------------------------------------------


def test_an_answer_kept_aside_comes_in_after_the_data_directory_moved(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockint.storage.intake import keep_pending

    # kept while the store was busy: its recording was written as an absolute path, which
    # import-pending then refused as "outside" the moved directory (the answer was stuck)
    rec = recording(home / "recordings" / "2026-11-03" / "kept.flac")
    kept = keep_pending(answer("Q1", rec), home / "pending")
    assert json.loads(kept.read_text())["audio_path"] == "recordings/2026-11-03/kept.flac"
    # one kept by an older mockint, an absolute path under the old directory's recordings/
    old = recording(home / "recordings" / "2026-11-03" / "old.flac")
    (home / "pending" / "old.json").write_text(
        json.dumps({**answer("Q2", old).__dict__, "uid": "c" * 32})
    )
    # and one whose tail, here, is a link out: still refused
    secret = recording(tmp_path / "secret.flac")
    (home / "recordings" / "2026-11-03" / "out.flac").symlink_to(secret)
    out = {**answer("Q3").__dict__, "uid": "d" * 32}
    out["audio_path"] = str(home / "recordings" / "2026-11-03" / "out.flac")
    (home / "pending" / "out.json").write_text(json.dumps(out))
    moved = tmp_path / "elsewhere" / "home"
    moved.parent.mkdir()
    home.rename(moved)
    monkeypatch.setenv("MOCKINT_HOME", str(moved))
    line = one_error(run("import-pending"))
    assert "out.json: audio_path " in line, line
    assert f"is not a recording in {moved / 'recordings'}" in line, line
    with Store(moved / "mockint.db") as s:
        stored = {a.question_id: a.audio_path for a in s.attempts()}
    assert stored == {
        "Q1": str(moved / "recordings" / "2026-11-03" / "kept.flac"),
        "Q2": str(moved / "recordings" / "2026-11-03" / "old.flac"),
    }
    assert [p.name for p in (moved / "pending").iterdir()] == ["out.json"]


def test_a_moved_data_directory_keeps_every_recording(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_recordings(home, 3)
    moved = tmp_path / "elsewhere" / "home"
    moved.parent.mkdir()
    home.rename(moved)
    monkeypatch.setenv("MOCKINT_HOME", str(moved))
    zpath = tmp_path / "e.zip"
    r = run("export", str(zpath))
    assert r.exit_code == 0 and r.stdout.startswith("Exported 3 answers and 3 recordings")
    assert "Warning" not in r.stderr
    out = moved / "r.html"
    assert run("report", "--format", "html", "-o", str(out)).exit_code == 0
    assert out.read_text().count('src="recordings/2026-11-03/a') == 3
    played: list[int] = []
    monkeypatch.setattr(
        "mockint.sound.devices.play", lambda audio, sr, dev: played.append(len(audio))
    )
    assert run("review", "a2", "--play").exit_code == 0 and played == [16000]


def test_a_migration_makes_old_absolute_paths_relative(tmp_path: Path) -> None:
    old_home, home = tmp_path / "old", tmp_path / "new"
    recording(home / "recordings" / "d" / "a.flac")
    recording(home / "recordings" / "d" / "b.flac")
    db = sqlite3.connect(str(home / "mockint.db"), isolation_level=None)
    for fn in MIGRATIONS[:7]:
        fn(db)
    db.execute("PRAGMA user_version = 7")
    paths = [
        str(home / "recordings" / "d" / "a.flac"),  # inside: made relative
        str(old_home / "recordings" / "d" / "b.flac"),  # moved before the upgrade: found
        str(tmp_path / "elsewhere.flac"),  # outside: kept, never read
    ]
    for p in paths:
        db.execute(
            "INSERT INTO attempts (bank, question_id, category, started_at, graded_at, "
            "transcript, score, coverage, audio_path, uid) VALUES "
            "('b', 'Q1', 'C', ?, ?, 't', 1, 0, ?, lower(hex(randomblob(16))))",
            (T, T, p),
        )
    db.close()
    with Store(home / "mockint.db") as s:
        stored = [r[0] for r in s.db.execute("SELECT audio_path FROM attempts ORDER BY id")]
        read = [a.audio_path for a in s.attempts()]
    assert stored == ["recordings/d/a.flac", "recordings/d/b.flac", paths[2]]
    assert read == [str(home / "recordings/d/a.flac"), str(home / "recordings/d/b.flac"), None]


@pytest.mark.slow
def test_grade_save_keeps_a_16k_mono_flac(tmp_path: Path, home: Path) -> None:
    import soundfile as sf

    from .conftest import espeak

    voice = espeak("I would use a queue so the work survives a restart.", tmp_path / "v.wav")
    data, sr = sf.read(str(voice), dtype="float32")
    idx = np.arange(int(len(data) * 48000 / sr)) * sr / 48000
    up = np.interp(idx, np.arange(len(data)), data).astype(np.float32)
    big = tmp_path / "big.wav"
    sf.write(str(big), np.stack([up, up], axis=1), 48000)
    r = run("grade", "-q", "Q10", "--audio", str(big), "--save")
    assert r.exit_code == 0, r.output
    with Store(home / "mockint.db") as s:
        [a] = s.attempts()
    assert a.audio_path and a.audio_path.endswith(".flac")
    info = sf.info(a.audio_path)
    assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC")
    assert Path(a.audio_path).stat().st_size < big.stat().st_size / 4


# --- a read-only data directory with a WAL and no -shm ---------------------------------------


def _read_only_with_a_wal(tmp_path: Path, tmpfs, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """MOCKINT_HOME on a read-only mount holding a store of 9 answers and its WAL, no -shm
    (a crash, then a copy)."""
    h = tmpfs("size=8m")
    with Store(tmp_path / "mockint.db") as s:
        s.db.execute("PRAGMA wal_autocheckpoint = 0")
        for i in range(9):
            s.add_attempt(answer(f"Q{i + 1}"))
        for name in ("mockint.db", "mockint.db-wal"):
            (h / name).write_bytes((tmp_path / name).read_bytes())
    assert (h / "mockint.db-wal").stat().st_size > 0
    subprocess.run(["mount", "-o", "remount,ro", str(h)], check=True)
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    return h


def test_a_read_only_store_with_a_wal_shows_every_committed_answer(
    tmp_path: Path, tmpfs, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    h = _read_only_with_a_wal(tmp_path, tmpfs, monkeypatch)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    (scratch / "mockint-readonly-4194400-x1").mkdir()  # a read killed outright (pid gone)
    (scratch / "mockint-readonly-4194400-x1" / "mockint.db").write_bytes(b"copy")
    r = run("report", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["attempts"] == 9
    r = run("export", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and r.stdout.startswith("Exported 9 answers"), r.output
    assert sorted(p.name for p in h.iterdir()) == ["mockint.db", "mockint.db-wal"]
    assert list(scratch.iterdir()) == []  # the private copies, and the one left behind, gone


def test_a_read_only_store_whose_copy_cannot_be_made_names_the_temporary_directory(
    tmp_path: Path, tmpfs, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    h, full = _read_only_with_a_wal(tmp_path, tmpfs, monkeypatch), tmpfs("size=64k")
    monkeypatch.setattr(tempfile, "tempdir", str(full))
    r = run("report")
    assert r.exit_code == 1 and "Traceback" not in r.output
    (line,) = r.output.strip().splitlines()
    assert str(full) in line and "free some space there" in line
    assert f"make {h} writable" not in line  # the data directory is not what is full
    assert list(full.iterdir()) == []  # no half copy left


def test_a_time_that_would_start_a_formula_is_quoted_in_csv(home: Path) -> None:
    # imports refuse it; a store edited by hand can still hold it
    with Store(home / "mockint.db") as s:
        aid = s.add_attempt(answer())
        s.db.execute("UPDATE attempts SET graded_at = '=cmd|calc' WHERE id = ?", (aid,))
    r = run("report", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert ",'=cmd|calc," in r.output and ",=cmd" not in r.output


# --- reports straight from the store --------------------------------------------------------------


def _corrected_like(a, rng):  # type: ignore[no-untyped-def]
    """The answer as if a correction had changed some of its first words."""
    from dataclasses import replace

    words = []
    for i, t in enumerate(a.transcript.split()[:10] or ["readies"]):
        w = {"text": t, "start": i * 0.4, "end": i * 0.4 + 0.3, "probability": 0.9}
        words.append({**w, "text": t + "JS", "heard": t} if rng.random() < 0.3 else w)
    text = " ".join(w["text"] for w in words) + (" retyped" if rng.random() < 0.2 else "")
    return replace(a, transcript=text, words=words)


def test_the_store_counted_report_equals_the_one_built_from_whole_answers(
    home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    import random
    from dataclasses import replace

    from mockint.reports.gather import gather
    from mockint.reports.render import RENDERERS
    from mockint.reports.report import CORRECTED_SHOWN, SERIES_TAIL, brief, build, held
    from mockint.storage.queries import Selection

    sys.path.insert(0, str(ROOT))
    from bench.report import fill

    with Store(home / "mockint.db") as s:
        fill(s, resume_bank, 400, seed=3)
        other = s.start_session("resume")
        rng = random.Random(4)
        rows = s.db.execute("SELECT id FROM attempts").fetchall()
        for (aid,) in rows:  # some without delivery, interrupted, live, other models, notes
            r = rng.random()
            if r < 0.1:  # as if stored without delivery (the side table follows)
                s.db.execute("UPDATE attempts SET delivery = NULL WHERE id = ?", (aid,))
                s.db.execute("DELETE FROM attempt_figures WHERE attempt_id = ?", (aid,))
            elif r < 0.2:
                s.db.execute("UPDATE attempts SET status = 'interrupted' WHERE id = ?", (aid,))
            elif r < 0.3:
                s.db.execute(
                    "UPDATE attempts SET mode = 'live', notes = '[\"n\"]' WHERE id = ?", (aid,)
                )
            elif r < 0.35:
                s.db.execute(
                    'UPDATE attempts SET models = \'{"embedder": {"name": "all-MiniLM-L6-v2", '
                    '"sha256": "0ther"}}\' WHERE id = ?',
                    (aid,),
                )
            elif r < 0.45:  # regraded: every key point now missed, the side table follows
                a = s.attempt(aid)
                assert a is not None
                kps = [{**k, "status": "missed", "covered": False} for k in a.key_points]
                s.regrade(aid, replace(a, key_points=kps, score=a.score / 2), None)
            elif r < 0.5:  # moved to another session, in a category the bank lacks
                s.db.execute(
                    "UPDATE attempts SET session_id = ?, category = 'Odd one' WHERE id = ?",
                    (other, aid),
                )
            elif r < 0.65:  # words a correction changed; some retyped by the user since
                a = s.attempt(aid)
                assert a is not None
                s.regrade(aid, _corrected_like(a, rng), None)
            elif r < 0.75:  # imported from an older archive: stored after, graded before
                day = f"2026-{rng.randint(8, 11):02d}-{rng.randint(10, 12)}T09:00:00+00:00"
                s.db.execute("UPDATE attempts SET graded_at = ? WHERE id = ?", (day, aid))
        selections = [
            Selection(bank="resume"),
            Selection(bank="resume", mode="live"),
            Selection(bank="resume", since="2026-10-01"),
            Selection(session_id=1, bank="resume", mode="practice"),
            Selection(session_id=other, bank="resume"),
        ]
        for sel in selections:
            whole = build(s.attempts(sel.session_id, sel.bank, sel.since, sel.mode), resume_bank)
            counted = gather(s, sel, resume_bank, items=True)
            assert counted is not None and held(counted) == whole
            assert counted.delivery and counted.missed and len(counted.models) >= 1
            for fmt, render in RENDERERS.items():
                assert render(counted) == render(whole), fmt
            # the figures-only formats' report, counted per category and question in SQL
            short = gather(s, sel, resume_bank)
            assert short == brief(whole)
            for fmt in ("text", "md"):  # which shows nothing it left out
                assert RENDERERS[fmt](short) == RENDERERS[fmt](whole), fmt
        whole = build(s.attempts(bank="resume"), resume_bank)
        assert max(len(c.series) for c in whole.categories) > SERIES_TAIL  # some were cut
        assert whole.corrected.answers > CORRECTED_SHOWN  # some were left out of the list
        assert gather(s, Selection(bank="none"), resume_bank) is None


def _rows_read(monkeypatch):  # type: ignore[no-untyped-def]
    """A counter (read[0]) of the answers read whole from the store from now on."""
    read = [0]
    from_row = Store.from_row

    def counted(self, row):  # type: ignore[no-untyped-def]
        read[0] += 1
        return from_row(self, row)

    monkeypatch.setattr(Store, "from_row", counted)
    return read


def test_a_listing_report_is_written_as_its_answers_are_read(
    home: Path, resume_bank, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A million answers do not fit in memory: JSON, CSV and HTML write each answer as
    it is read from the store, not after reading them all."""
    import io

    from mockint.reports.gather import gather
    from mockint.reports.render import WRITERS
    from mockint.storage.queries import Selection

    sys.path.insert(0, str(ROOT))
    from bench.report import fill

    read = _rows_read(monkeypatch)

    class Sink(io.StringIO):
        """Remembers how many answers had been read when each attempt was written."""

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[int] = []

        def write(self, s: str) -> int:
            if '"transcript"' in s or "attempt-" in s or "I " in s:
                self.seen.append(read[0])
            return super().write(s)

    with Store(home / "mockint.db") as s:
        fill(s, resume_bank, 1200, seed=5)
        for fmt in ("json", "csv", "html"):
            read[0] = 0
            r = gather(s, Selection(bank="resume"), resume_bank, items=True)
            assert r is not None and not isinstance(r.items, list)
            out = Sink()
            WRITERS[fmt](r, out)
            # every answer was read (HTML reads them twice: its delivery charts come first),
            # and the first went out when half of the last walk was still to be read
            assert read[0] in ((1200, 2400) if fmt == "html" else (1200,)), fmt
            assert out.seen and min(out.seen) < read[0] - 600, fmt


def test_a_row_that_breaks_while_a_report_is_written_is_one_line_and_no_file(
    tmp_path: Path, home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT))
    from bench.report import fill

    with Store(home / "mockint.db") as s:
        fill(s, resume_bank, 600, seed=6)
        s.db.execute("UPDATE attempts SET key_points = '[{' WHERE id = 500")
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("json", "csv", "html"):
        target = out / f"report.{fmt}"
        r = run("report", "--format", fmt, "-o", str(target))
        assert "malformed row" in one_error(r), fmt
        assert list(out.iterdir()) == [], fmt  # no report, no temporary file left


def test_a_report_killed_while_written_leaves_no_file(tmp_path: Path, home: Path) -> None:
    """SIGTERM (kill) mid-way through writing a report unwinds as Ctrl-C does: no report,
    no hidden temporary file beside it."""
    with Store(home / "mockint.db") as s:
        s.add_attempt(answer("Q1"))
    out = tmp_path / "out"
    out.mkdir()
    code = (
        "import os, signal, sys\n"
        "from mockint.reports import render\n"
        "def killed(r, f):\n"
        "    f.write('a partial report')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    render.write_csv(r, f)\n"
        "render.WRITERS['csv'] = killed\n"
        "from mockint.cli.main import cli\n"
        "cli(['report', '--format', 'csv', '-o', sys.argv[1]])\n"
    )
    env = {**os.environ, "MOCKINT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", code, str(out / "r.csv")], env=env, capture_output=True, text=True
    )
    assert r.returncode == 128 + 15, r.stderr
    assert "Traceback" not in r.stderr and list(out.iterdir()) == []


def test_the_schedule_and_review_do_not_read_every_answer_whole(
    home: Path, resume_bank, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A million answers would take gigabytes read whole: the review schedule reads their
    few figures, `review` reads only the answers it lists."""
    from mockint.rehearsal.schedule import due

    sys.path.insert(0, str(ROOT))
    from bench.report import fill

    with Store(home / "mockint.db") as s:
        fill(s, resume_bank, 600, seed=7)
        s.add_attempt(answer("Q3"))  # one graded outside a session
        # in the order graded, as the schedule folds them (not the order stored)
        whole = sorted(s.attempts(bank="resume"), key=lambda a: (a.graded_at, a.id))
    read = _rows_read(monkeypatch)
    with Store(home / "mockint.db", readonly=True) as s:
        now = datetime.now(timezone.utc)
        assert due(resume_bank.questions, s.answered("resume"), now) == due(
            resume_bank.questions, whole, now
        )
    r = run("bank", "list", "--due")
    assert r.exit_code == 0 and "Q" in r.output and read[0] == 0
    r = run("review")  # the answers outside a session are listed, none read whole
    assert r.exit_code == 0 and "Graded outside a session (1)" in r.output and read[0] == 0
    r = run("review", "1")  # as are a session's
    assert r.exit_code == 0 and r.output.count("\n") == 600 and read[0] == 0
    r = run("review", "q2")  # a question's answers: its own three (and nothing else)
    assert r.exit_code == 0 and read[0] == sum(a.question_id == "Q2" for a in whole) == 3


def test_what_export_writes_import_takes(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a recording over an import's cap is left out, said; a store over it is refused, said
    from mockint.storage import archive

    recs = with_recordings(home, 2)
    monkeypatch.setattr(archive, "MAX_RECORDING_BYTES", recs[0].stat().st_size - 1)
    r = run("export", str(tmp_path / "a.zip"))
    assert r.exit_code == 0 and "Warning: 2 recordings left out" in r.output, r.output
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    assert run("import", str(tmp_path / "a.zip")).output.startswith("Imported 2 answers")
    # recordings past the import's total are left out too, and the rest imports
    monkeypatch.setenv("MOCKINT_HOME", str(home))
    monkeypatch.setattr(archive, "MAX_RECORDING_BYTES", 1 << 30)
    db = home / "mockint.db"
    monkeypatch.setattr(
        archive, "MAX_TOTAL_BYTES", db.stat().st_size + recs[0].stat().st_size * 3 // 2
    )
    r = run("export", str(tmp_path / "c.zip"))
    assert "and 1 recording to" in r.output, r.output
    assert "Warning: 1 recording left out" in r.output, r.output
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "third"))
    assert run("import", str(tmp_path / "c.zip")).output.startswith("Imported 2 answers")
    monkeypatch.setenv("MOCKINT_HOME", str(home))
    monkeypatch.setattr(archive, "MAX_DB_BYTES", 4096)
    line = one_error(run("export", str(tmp_path / "b.zip")))
    assert "an import reads" in line and not (tmp_path / "b.zip").exists()


def test_review_selects_only_the_columns_it_lists_and_counts_in_sql(
    home: Path, resume_bank, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`review` of a million answers read every one whole (SELECT *, fetchall, each
    one's JSON parsed: 5.4 GB): it asks SQLite for what it shows, a session's answers by
    their session, and counts those outside a session without reading them."""
    sys.path.insert(0, str(ROOT))
    from bench.report import fill

    with Store(home / "mockint.db") as s:
        fill(s, resume_bank, 300, seed=8)  # session 1
        fill(s, resume_bank, 5, seed=9)  # session 2
        for q in ("Q3", "Q4"):
            s.add_attempt(answer(q))
    said: list[str] = []
    connect = Store._connect

    def traced(self):  # type: ignore[no-untyped-def]
        db = connect(self)
        db.set_trace_callback(said.append)
        return db

    monkeypatch.setattr(Store, "_connect", traced)
    for args, lines in ((["review"], 2 + 2 + 2), (["review", "2"], 5), (["review", "1"], 300)):
        said.clear()
        r = run(*args)
        assert r.exit_code == 0 and r.output.count("\n") == lines, (args, r.output)
        read = [x for x in said if "FROM attempts" in x and "SELECT" in x]
        assert read and not [x for x in read if "SELECT *" in x or "key_points" in x], read
        if args == ["review", "2"]:
            assert all("WHERE session_id = 2 " in x for x in read), read


@pytest.mark.parametrize(
    "edit",
    [
        "score = 'abc'",
        "graded_at = 'garbage'",
        "models = '5'",
        """models = '{"a": 5}'""",
        "key_points = '[5]'",
        "words = '[5]'",
        "notes = '[5]'",
        """key_points = '[{"status": "missed"}]'""",
        """words = '[{"text": "a", "start": "x", "end": 1}]'""",
        """delivery = '{"wpm": "fast"}'""",
    ],
)
def test_a_row_edited_by_hand_is_one_error_in_every_reader_not_a_traceback(
    edit: str, home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    from .test_report import fill

    fill(home, resume_bank)
    with sqlite3.connect(home / "mockint.db") as db:
        db.execute(f"UPDATE attempts SET {edit} WHERE id = 1")
    readers = [
        ["review"],
        ["review", "a1"],
        ["review", "Q1", "--compare"],
        ["bank", "list", "--due"],
        ["history"],
        ["report"],
        ["report", "--format", "json"],
    ]
    for args in readers:
        r = run(*args)
        if r.exit_code:  # a reader that does not read the edited field may succeed
            assert "damaged" in one_error(r), args
        else:
            assert r.exception is None and "Traceback" not in r.output, args
    assert any(run(*args).exit_code for args in readers)  # the edit is read somewhere
