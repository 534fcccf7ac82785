"""Bad and hostile input, storage faults: one `Error:` line, the right exit code, no
traceback, nothing written outside the data directory, nothing already stored changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mockint.cli import answers
from mockint.cli.main import cli
from mockint.storage import store as store_mod
from mockint.storage.store import Attempt, Store

from .conftest import ROOT
from .test_report import fill

Result = object


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error(r: object, code: int = 1, starts: str = "Error: ") -> str:
    """The command failed with exactly one line, an `Error:` line, and no traceback."""
    out = r.output  # type: ignore[attr-defined]
    assert r.exit_code == code, out  # type: ignore[attr-defined]
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # type: ignore[attr-defined]
    assert "Traceback" not in out
    errors = [line for line in out.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(starts), out
    return errors[0]


def tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


# --- storage faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
@pytest.mark.parametrize(
    "command",
    [
        ["report"],
        ["review"],
        ["review", "a1"],
        ["history"],
        ["bank", "list", "--due"],
        ["report", "--format", "html"],
    ],
)
def test_a_damaged_store_is_one_line_and_left_as_it_was(
    home: Path,
    resume_bank,
    damage: str,
    command: list[str],  # type: ignore[no-untyped-def]
) -> None:
    fill(home, resume_bank)
    db = home / "mockint.db"
    data = db.read_bytes()
    db.write_bytes(b"\x13garbage" * 4096 if damage == "garbage" else data[:1000])
    before = db.read_bytes()
    line = one_error(run(*command))
    assert str(db) in line and "move it aside" in line
    assert db.read_bytes() == before


def test_export_and_import_refuse_a_damaged_store(tmp_path: Path, home: Path, resume_bank) -> None:  # type: ignore[no-untyped-def]
    fill(home, resume_bank)
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    db = home / "mockint.db"
    db.write_bytes(b"not a database at all" * 100)
    one_error(run("export", str(tmp_path / "x.zip")))
    assert not (tmp_path / "x.zip").exists()
    one_error(run("import", str(good)))
    assert db.read_bytes() == b"not a database at all" * 100


@pytest.mark.slow
def test_grade_save_keeps_the_answer_when_the_store_is_damaged(home: Path) -> None:
    home.mkdir(parents=True)
    db = home / "mockint.db"
    db.write_bytes(b"garbage" * 1000)
    r = run("grade", "-q", "Q8", "--text", "I enjoy solving logical problems.", "--save")
    line = one_error(r)
    assert "the graded answer is kept in" in line and "mockint import-pending" in line
    assert "Score: " in r.output  # shown all the same
    kept = list((home / "pending").glob("*.json"))
    assert len(kept) == 1
    db.rename(home / "mockint.db.damaged")
    r = run("import-pending")
    assert r.exit_code == 0 and r.output.startswith("Stored 1 kept answer ")
    with Store(db) as s:
        [a] = s.attempts()
    assert a.question_id == "Q8" and a.transcript == "I enjoy solving logical problems."
    assert not list((home / "pending").glob("*.json"))


def test_a_folder_where_the_store_goes_is_one_line_naming_the_fix(home: Path) -> None:
    # it said "cannot write (unable to open database file): make HOME writable", which
    # it is: the fix is to move the folder
    (home / "mockint.db").mkdir(parents=True)
    db = home / "mockint.db"
    said = (
        f"Error: {db}: a folder where the practice history (a file) goes: remove or rename "
        f"it (mv {db} {db}.folder), then run the command again"
    )
    for args in (["review"], ["report"], ["import-pending"]):
        assert one_error(run(*args)) == said, args
    line = one_error(run("grade", "-q", "Q8", "--text", "I like logic.", "--save"))
    assert line.startswith(said.removesuffix(", then run the command again"))
    assert "the graded answer is kept in" in line


def test_a_file_where_the_banks_folder_goes_is_one_line_naming_the_fix(
    tmp_path: Path, home: Path
) -> None:
    # it said "cannot be written (Not a directory): give the name of a file to write"
    home.mkdir(parents=True)
    (home / "bank").write_text("mine")
    src = ROOT / "bank" / "resume.toml"
    line = one_error(run("bank", "import", str(src), "--name", "mine"))
    assert line == (
        f"Error: {home / 'bank'}: a file where the imported banks (a folder) go: remove or "
        "rename it, then import again"
    )
    assert (home / "bank").read_text() == "mine"


def test_a_busy_store_is_waited_on_then_one_line(
    home: Path,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    fill(home, resume_bank)
    monkeypatch.setattr(store_mod, "BUSY_SECONDS", 0.3)
    holder = sqlite3.connect(str(home / "mockint.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        zpath = home.parent / "b.zip"
        assert run("export", str(zpath)).exit_code == 0  # readers are not blocked
        line = one_error(run("import", str(zpath)))
        assert "busy: another mockint process" in line
        line = one_error(run("bank", "import", str(zpath)))  # not a bank: refused, no traceback
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Store(home / "mockint.db") as s:
        assert len(s.attempts()) == 7


def test_stores_created_at_once_by_many_processes_all_work(tmp_path: Path) -> None:
    code = (
        "import sys; from mockint.storage.store import Store, Attempt\n"
        "with Store(sys.argv[1]) as s:\n"
        "    s.add_attempt(Attempt('b', 'Q1', 'C', 'x', 50.0, 0.5))\n"
    )
    for n in range(20):  # 120 stores made by 6 processes at once
        db = tmp_path / f"s{n}.db"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE)
            for _ in range(6)
        ]
        errs = [p.communicate()[1].decode() for p in procs]
        assert all(p.returncode == 0 for p in procs), errs
        with Store(db) as s:
            assert len(s.attempts()) == 6


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount small tmpfs file systems (root only: CI runs as root)."""
    mounts: list[Path] = []

    def mount(options: str) -> Path:
        d = tmp_path / f"fs{len(mounts)}"
        d.mkdir()
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(d)], capture_output=True, text=True
        )
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()}): run as root")
        mounts.append(d)
        return d

    yield mount
    for d in reversed(mounts):
        subprocess.run(["umount", "-l", str(d)], check=False)


def test_a_read_only_data_directory_still_reports(
    tmpfs,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    h = tmpfs("size=8m")
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    fill(h, resume_bank)
    subprocess.run(["mount", "-o", "remount,ro", str(h)], check=True)
    r = run("report", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["attempts"] == 6
    assert run("review").exit_code == 0 and run("history").exit_code == 0
    line = one_error(run("report", "--format", "html", "-o", str(h / "r.html")))
    assert "cannot write" in line and not (h / "r.html").exists()


def test_a_full_disk_leaves_no_empty_files_and_changes_nothing(
    tmp_path: Path,
    tmpfs,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    h = tmp_path / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    fill(h, resume_bank)
    zpath = tmp_path / "b.zip"
    assert run("export", str(zpath)).exit_code == 0
    full = tmpfs("size=64k")
    (full / "filler").write_bytes(b"\0" * (64 * 1024 - 4096))
    with pytest.raises(OSError):
        (full / "more").write_bytes(b"\0" * 8192)
    (full / "more").unlink(missing_ok=True)
    before = set(p.name for p in full.iterdir())
    one_error(run("report", "--format", "html", "-o", str(full / "r.html")))
    one_error(run("export", str(full / "e.zip")))
    bank = tmp_path / "mine.txt"
    bank.write_text("Mine\n\n- A: Q1-Q1\n\nQ1. Why?\nAnswer:\n" + "Because it is. " * 400)
    monkeypatch.setenv("MOCKINT_HOME", str(full))
    one_error(run("bank", "import", str(bank)))
    assert set(p.name for p in full.iterdir()) <= before | {"bank"}
    assert not any(p.stat().st_size == 0 for p in full.rglob("*") if p.is_file())


def test_an_import_onto_a_full_disk_says_so_not_that_the_archive_is_damaged(
    tmp_path: Path,
    tmpfs,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    h = tmp_path / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    fill(h, resume_bank)
    zpath = tmp_path / "b.zip"
    assert run("export", str(zpath)).exit_code == 0
    full = tmpfs("size=8m")
    fill(full / "home", resume_bank)
    with open(full / "filler", "wb", buffering=0) as f, pytest.raises(OSError):
        while True:  # every block taken: the archive's database has nowhere to go
            f.write(b"\0" * 4096)
    before = tree(full / "home")
    monkeypatch.setenv("MOCKINT_HOME", str(full / "home"))
    line = one_error(run("import", str(zpath)))
    assert line == (
        f"Error: {full / 'home'}: cannot write (No space left on device): free some space; "
        "nothing was imported"
    ), line
    assert tree(full / "home") == before


@pytest.mark.slow
def test_a_full_disk_under_the_store_says_to_free_some_space(
    tmpfs,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """SQLite said the full disk as 'disk I/O error' (its shared-memory file could not be
    made), and the line named no fix."""
    full = tmpfs("size=8m")
    home = full / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(home))
    fill(home, resume_bank)
    with open(full / "filler", "wb", buffering=0) as f, pytest.raises(OSError):
        while True:
            f.write(b"\0" * 4096)
    db = home / "mockint.db"
    why = f"Error: {db}: the disk is full: free some space, then run the command again"
    assert one_error(run("import-pending")) == why
    r = run("grade", "-q", "Q8", "--text", "I enjoy solving logical problems.", "--save")
    assert one_error(r).startswith(f"{why}; the graded answer could not be kept either")


# --- hostile archives -------------------------------------------------------------------------


def rebuild(
    src: Path,
    dest: Path,
    edit_db: Callable[[sqlite3.Connection], object] | None = None,
    extra: dict[str, bytes] | None = None,
    manifest_edit: Callable[[dict], object] | None = None,
    raw_db: Callable[[bytes], bytes] | None = None,
) -> Path:
    """A copy of an export with its database or entries changed, checksums made to match."""
    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist() if n != "manifest.json"}
        manifest = json.loads(z.read("manifest.json"))
    if edit_db is not None:
        p = dest.with_suffix(".db")
        p.write_bytes(files["mockint.db"])
        db = sqlite3.connect(str(p))
        edit_db(db)
        db.commit()
        db.close()
        files["mockint.db"] = p.read_bytes()
    if raw_db is not None:
        files["mockint.db"] = raw_db(files["mockint.db"])
    files.update(extra or {})
    manifest["files"] = {
        n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in files.items()
    }
    body = manifest_edit(manifest) if manifest_edit else manifest
    with zipfile.ZipFile(dest, "w") as z:
        z.writestr("manifest.json", json.dumps(body))
        for n, d in files.items():
            z.writestr(n, d)
    return dest


HOSTILE: dict[str, dict[str, object]] = {
    "escaping path": {
        "edit_db": lambda db: db.execute(
            "UPDATE attempts SET audio_path = 'recordings/../../../../escaped.flac' "
            "WHERE audio_path IS NOT NULL"
        ),
        "extra": {"recordings/../../../../escaped.flac": b"x"},
    },
    "absolute path": {
        "edit_db": lambda db: db.execute(
            "UPDATE attempts SET audio_path = '/etc/hostname' WHERE audio_path IS NOT NULL"
        ),
    },
    "score not a number": {"edit_db": lambda db: db.execute("UPDATE attempts SET score = 'high'")},
    "score out of range": {"edit_db": lambda db: db.execute("UPDATE attempts SET score = 1e9")},
    "bad JSON in a row": {"edit_db": lambda db: db.execute("UPDATE attempts SET key_points = '{'")},
    "missing table": {"edit_db": lambda db: db.execute("DROP TABLE sessions")},
    "manifest a list": {"manifest_edit": lambda m: [m]},
    "schema version text": {"manifest_edit": lambda m: {**m, "schema_version": "abc"}},
    "entry outside the manifest": {
        "manifest_edit": lambda m: {**m, "files": {"mockint.db": m["files"]["mockint.db"]}}
    },
    "damaged pages": {"raw_db": lambda d: _damaged_second_page(d)},
}


def _damaged_second_page(db: bytes) -> bytes:
    """A database file with its second page overwritten (the page size from its header)."""
    size = int.from_bytes(db[16:18], "big")
    size = 65536 if size == 1 else size
    return db[:size] + b"\xff" * size + db[2 * size :]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_archive_is_refused_whole(
    case: str,
    tmp_path: Path,
    home: Path,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    fill(home, resume_bank)
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    bad = rebuild(good, tmp_path / "bad.zip", **HOSTILE[case])  # type: ignore[arg-type]
    other = tmp_path / "a" / "b" / "c" / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    assert run("import", str(good)).exit_code == 0
    before = tree(other)
    outside = {p for p in tmp_path.rglob("*")} - {p for p in other.rglob("*")}
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: ") and line.endswith("nothing was imported")
    assert tree(other) == before
    assert {p for p in tmp_path.rglob("*")} - {p for p in other.rglob("*")} == outside
    assert not list(tmp_path.rglob("escaped.flac"))


_ZSTD = 93  # Zstandard: a method the zip format names that Python 3.11's zipfile cannot read


def _recompressed_and_damaged(src: Path, dest: Path, method: int) -> Path:
    """A copy of an export written with ``method``, bytes inside its database's compressed
    data changed (the CRC would tell, if the decompressor got that far)."""
    written = zipfile.ZIP_STORED if method == _ZSTD else method
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dest, "w", written) as out:
        for n in z.namelist():
            out.writestr(n, z.read(n))
    data = bytearray(dest.read_bytes())
    with zipfile.ZipFile(dest) as z:
        info = z.getinfo("mockint.db")
    at = info.header_offset
    if method == _ZSTD:  # a method this zipfile cannot read: named in both headers
        central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"mockint.db"))
        data[at + 8 : at + 10] = data[central + 10 : central + 12] = method.to_bytes(2, "little")
        dest.write_bytes(bytes(data))
        return dest
    start = at + 30 + int.from_bytes(data[at + 26 : at + 28], "little")
    start += int.from_bytes(data[at + 28 : at + 30], "little")
    middle = start + info.compress_size // 3
    for i in range(middle, middle + 400):
        data[i] ^= 0x55
    dest.write_bytes(bytes(data))
    return dest


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, _ZSTD], ids=str
)
def test_a_damaged_entry_is_a_damaged_archive_whatever_its_compression(
    method: int, tmp_path: Path, home: Path, resume_bank, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # an LZMA entry's damage left as an _lzma.LZMAError traceback: zipfile's
    # decompressors each raise their own error
    fill(home, resume_bank)
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    bad = _recompressed_and_damaged(good, tmp_path / "bad.zip", method)
    other = tmp_path / "other"
    monkeypatch.setenv("MOCKINT_HOME", str(other))
    line = one_error(run("import", str(bad)))
    assert line.startswith(f"Error: {bad}: damaged archive (") and line.endswith(
        "; nothing was imported"
    ), line
    assert [p.name for p in other.iterdir()] == []


def test_an_archive_with_an_extra_column_imports_what_it_knows(
    tmp_path: Path,
    home: Path,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    fill(home, resume_bank)
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    add = "ALTER TABLE attempts ADD COLUMN x TEXT"
    odd = rebuild(good, tmp_path / "odd.zip", edit_db=lambda db: db.execute(add))
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    r = run("import", str(odd))
    assert r.exit_code == 0 and r.output.startswith("Imported 7 answers"), r.output


def test_an_archive_entry_past_the_cap_is_refused_unread(
    tmp_path: Path,
    home: Path,
    resume_bank,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from mockint.storage import archive

    fill(home, resume_bank)
    good = tmp_path / "good.zip"
    assert run("export", str(good)).exit_code == 0
    monkeypatch.setattr(archive, "MAX_RECORDING_BYTES", 1 << 20)
    bomb = rebuild(good, tmp_path / "bomb.zip", extra={"recordings/big.flac": b"\0" * (3 << 20)})
    line = one_error(run("import", str(bomb)))
    assert "recordings/big.flac" in line and "allowed" in line
    # a link is refused too
    buf = io.BytesIO()
    with zipfile.ZipFile(good) as z, zipfile.ZipFile(buf, "w") as out:
        for info in z.infolist():
            out.writestr(info, z.read(info))
        link = zipfile.ZipInfo("recordings/link.flac")
        link.external_attr = 0o120777 << 16
        out.writestr(link, "/etc/passwd")
    (tmp_path / "link.zip").write_bytes(buf.getvalue())
    one_error(run("import", str(tmp_path / "link.zip")))


def test_identical_answers_survive_a_round_trip_and_import_twice_adds_nothing(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    T = "2026-11-03T10:00:00+00:00"
    with Store(home / "mockint.db") as s:
        for _ in range(3):  # the same answer three times in the same second
            s.add_attempt(
                Attempt("resume", "Q8", "C", "same", 50.0, 0.5, graded_at=T, started_at=T)
            )
    zpath = tmp_path / "b.zip"
    assert run("export", str(zpath)).output == f"Exported 3 answers and 0 recordings to {zpath}\n"
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path / "other"))
    assert run("import", str(zpath)).output.startswith("Imported 3 answers (0 already here)")
    assert run("import", str(zpath)).output.startswith("Imported 0 answers (3 already here)")


# --- hostile banks ----------------------------------------------------------------------------

BANKS = {
    "question a list of strings": 'question = ["a", "b"]\n',
    "question a list of numbers": "question = [1, 2]\n",
    "bank a string": 'bank = "x"\n[[question]]\nid = "Q1"\ncategory = "C"\ntext = "T?"\n'
    'answer = "A."\n',
    "text a list": '[[question]]\nid = "Q1"\ncategory = "C"\ntext = ["a", "b"]\nanswer = "A."\n',
    "answer a boolean": '[[question]]\nid = "Q1"\ncategory = "C"\ntext = "T?"\nanswer = true\n',
    "id escaping": '[[question]]\nid = "../../x"\ncategory = "C"\ntext = "T?"\nanswer = "A."\n',
    "answer too long": '[[question]]\nid = "Q1"\ncategory = "C"\ntext = "T?"\nanswer = "'
    + "A" * 30_000
    + '"\n',
}


@pytest.mark.parametrize("case", sorted(BANKS))
def test_a_hostile_bank_is_refused_with_its_file(case: str, tmp_path: Path, home: Path) -> None:
    src = tmp_path / "evil.toml"
    src.write_text(BANKS[case])
    line = one_error(run("bank", "import", str(src)))
    assert line.startswith(f"Error: {src}")
    assert not (home / "bank").exists() or not list((home / "bank").iterdir())


def test_text_bank_limits_answer_quickly(tmp_path: Path) -> None:
    src = tmp_path / "long.txt"
    src.write_text("Title\n- A: Q1-Q2" + "x" * 100_000 + "\n\nQ1. Why?\nAnswer:\nBecause.\n")
    import time

    t = time.perf_counter()
    line = one_error(run("bank", "import", str(src)))
    assert time.perf_counter() - t < 2.0 and "characters" in line
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (9 << 20) + b"\n")
    assert "bytes" in one_error(run("bank", "import", str(big)))


def test_the_shipped_bank_is_replaced_only_on_purpose(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "resume.txt"
    src.write_text("Mine\n\n- A: Q1-Q1\n\nQ1. Why?\nAnswer:\nBecause.\n")
    line = one_error(run("bank", "import", str(src)))
    assert "a bank named 'resume' exists already" in line and "--replace" in line
    r = run("bank", "import", str(src), "--replace")
    assert r.exit_code == 0 and "1 question in 1 category" in r.output


# --- smaller ------------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(home: Path) -> None:
    with Store(home / "mockint.db") as s:
        s.add_attempt(Attempt("resume", "Q8", "C", '=HYPERLINK("http://x","y")', 50.0, 0.5))
    r = run("report", "--format", "csv")
    assert r.exit_code == 0
    assert "'=HYPERLINK" in r.output and ",=HYPERLINK" not in r.output


def test_bad_samples_and_lying_headers_are_clear_errors(tmp_path: Path) -> None:
    import soundfile as sf

    nan = tmp_path / "nan.wav"
    sf.write(str(nan), np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    assert "invalid samples" in one_error(run("transcribe", str(nan)))
    liar = tmp_path / "liar.wav"
    sf.write(str(liar), np.zeros(16000 * 60, np.float32), 16000)
    data = bytearray(liar.read_bytes())
    data[40:44] = (320).to_bytes(4, "little")  # the data chunk "holds" 10 ms
    liar.write_bytes(bytes(data))
    assert "broken WAV header" in one_error(run("transcribe", str(liar)))


def test_usage_errors_are_one_line() -> None:
    r = run("grade", "-q", "Q1")
    assert r.exit_code == 2
    assert r.output == (
        "Error: give exactly one of --audio FILE or --text TEXT (see 'mockint grade --help')\n"
    )


def test_review_lists_answers_graded_outside_a_session(home: Path) -> None:
    with Store(home / "mockint.db") as s:
        s.add_attempt(Attempt("resume", "Q8", "C", "text", 50.0, 0.5))
    r = run("review")
    assert r.exit_code == 0 and "Graded outside a session (1):" in r.output and "a1 " in r.output


# --- names that hold escape sequences: shown, never sent to the terminal ------------------

# OSC 52 (sets the clipboard), DCS (asks the terminal to answer), a C1 OSC (U+009D) and CSI
ESCAPES = {
    "osc52": "osc52\x1b]52;c;ZWNobyBoaQ==\x07",
    "dcs": "dcs\x1bP+q\x1b\\",
    "c1": "c1\x9d0;title\x9c",
    "csi": "csi\x1b[31m\x7f",
    # what breaks a line or reorders it: 'Wrote r.md' and a line 'ok' of its own
    "newline": "r.md\nok\r\tu2028\u2028rlo\u202elri\u2066",
}
# anything a terminal acts on, or that makes one message more lines than one
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_an_error_naming_a_file_shows_its_control_characters(  # type: ignore[no-untyped-def]
    tmp_path: Path, home: Path, resume_bank, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Error: line passes one place (cli.main), which shows them as \\x1b (a newline
    as \\n: one message, one line): an import, a graded recording, a report's place, and
    click's own usage errors."""
    fill(home, resume_bank)
    monkeypatch.setattr(answers, "check_model", lambda model: None)  # the file is what fails
    bad = tmp_path / f"{ESCAPES[name]}.zip"
    bad.write_bytes(b"x")
    fifo = tmp_path / f"{ESCAPES[name]}.txt"
    os.mkfifo(fifo)
    commands = [
        ["import", str(bad)],
        ["import", str(tmp_path / f"gone{ESCAPES[name]}.zip")],
        ["grade", "-q", "Q8", "--audio", str(bad)],
        ["report", "-o", str(fifo)],
    ]
    for args in commands:
        r = run(*args)
        line = one_error(r, code=2 if "gone" in args[1] else 1)
        assert not RAW.search(r.output.rstrip("\n")), (args, r.output)
        assert "\\x" in line or "\\n" in line, line


def test_the_place_written_is_shown_with_its_control_characters(  # type: ignore[no-untyped-def]
    tmp_path: Path, home: Path, resume_bank
) -> None:
    fill(home, resume_bank)
    for name, shown in (("osc52", "\\x1b]52"), ("newline", "r.md\\nok\\r\\tu2028\\u2028rlo")):
        for args in (["report", "-o"], ["export"]):
            out = tmp_path / f"{args[0]}{ESCAPES[name]}.out"
            r = run(*args, str(out))
            assert r.exit_code == 0 and out.exists(), r.output
            assert not RAW.search(r.output.rstrip("\n")) and shown in r.output, r.output
            assert len(r.output.splitlines()) == 1, r.output
        r = run("import", str(tmp_path / f"export{ESCAPES[name]}.out"))
        assert r.exit_code == 0 and not RAW.search(r.output.rstrip("\n")), r.output
        assert shown in r.output and len(r.output.splitlines()) == 1, r.output


# --- import-pending: every refused file is named -------------------------------------------


def test_import_pending_names_the_refused_files_not_only_the_first(home: Path) -> None:
    pending = home / "pending"
    pending.mkdir(parents=True)
    for n in range(5):
        (pending / f"bad{n}.json").write_text("{")
    line = one_error(run("import-pending"))
    assert "5 kept files were not taken in" in line and "; and 2 more" in line, line
    assert sum(f"bad{n}.json" in line for n in range(5)) == 3, line
    for n in range(1, 5):
        (pending / f"bad{n}.json").unlink()
    line = one_error(run("import-pending"))
    assert "1 kept file was not taken in" in line and "bad0.json" in line, line


# --- a full disk while grade --save keeps the recording --------------------------------------


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_full_disk_while_keeping_the_recording_is_one_line(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """It was libsndfile's 'System error.' traceback; now one line naming recordings/ and
    the fix, no half-written file there, the user's own file as it was."""
    import errno

    import soundfile as sf

    wav = tmp_path / "a.wav"
    sf.write(wav, np.random.default_rng(0).normal(0, 0.1, 16_000).astype(np.float32), 16_000)
    before = wav.read_bytes()
    full = OSError(errno.ENOSPC, "No space left on device")

    class Full(io.BufferedWriter):  # the disk fills part-way through the file
        def write(self, b):  # type: ignore[no-untyped-def,override]
            super().write(bytes(b)[:100])
            self.flush()
            raise full

    def fsync(fd: int) -> None:
        raise full

    import builtins

    real_open = builtins.open

    def open_(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        f = real_open(file, mode, *args, **kwargs)
        if where == "write" and mode == "xb" and "recordings" in str(file):
            return Full(f.detach())
        return f

    real_sf_write = sf.write

    def sf_write(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, Path)):  # libsndfile writing the disk: what it says when full
            raise sf.LibsndfileError(2, f"Error opening {file!r}: ")
        return real_sf_write(file, *args, **kwargs)

    monkeypatch.setattr(sf, "write", sf_write)
    monkeypatch.setattr(builtins, "open", open_)
    if where == "fsync":
        monkeypatch.setattr(os, "fsync", fsync)
    r = run("grade", "-q", "Q8", "--audio", str(wav), "--save")
    line = one_error(r)
    assert "recordings: cannot keep the recording (No space left on device)" in line, line
    assert "free some space" in line
    assert not [p for p in (home / "recordings").rglob("*") if p.is_file()]
    assert wav.read_bytes() == before and not (home / "mockint.db").exists()
