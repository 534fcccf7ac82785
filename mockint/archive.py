"""Moving practice between machines: export the store and recordings to a zip, import it.

Import checks the whole archive first (zip CRCs, the manifest's sha256 of every
file, a readable database of a known schema) and then merges in one
transaction: a damaged archive changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from mockint.config import Paths
from mockint.errors import ArchiveError
from mockint.store import MIGRATIONS, Attempt, Store, now

FORMAT = "mockint-export"
VERSION = 1


@dataclass(frozen=True)
class ImportResult:
    attempts: int
    duplicates: int
    sessions: int
    recordings: int


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export(paths: Paths, dest: Path) -> tuple[int, int]:
    """Write the store (a consistent snapshot) and every recording it names to ``dest``.

    Returns (attempts, recordings).
    """
    if not paths.db.exists():
        raise ArchiveError(f"{paths.db}: no practice history to export yet")
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "mockint.db"
        src = sqlite3.connect(str(paths.db))
        dst = sqlite3.connect(str(snap))
        src.backup(dst)  # consistent even while another process writes
        src.close()
        rows = dst.execute("SELECT id, audio_path FROM attempts").fetchall()
        files: dict[str, bytes] = {}
        for attempt_id, audio in rows:
            if audio and Path(audio).is_file():
                p = Path(audio)
                try:
                    rel = p.resolve().relative_to(paths.recordings.resolve()).as_posix()
                except ValueError:
                    rel = f"other/{attempt_id}-{p.name}"
                arc = f"recordings/{rel}"
                files[arc] = p.read_bytes()
                dst.execute("UPDATE attempts SET audio_path = ? WHERE id = ?", (arc, attempt_id))
        dst.commit()
        version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        sessions = int(dst.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.close()
        files["mockint.db"] = snap.read_bytes()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "schema_version": version,
        "created": now(),
        "attempts": len(rows),
        "sessions": sessions,
        "files": {name: _sha(data) for name, data in files.items()},
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmpzip = dest.with_suffix(dest.suffix + ".tmp")
    with zipfile.ZipFile(tmpzip, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, data in files.items():
            z.writestr(name, data)
    tmpzip.replace(dest)
    return len(rows), len(files) - 1


def _check(src: Path) -> tuple[zipfile.ZipFile, dict[str, object]]:
    def bad(why: str) -> ArchiveError:
        return ArchiveError(f"{src}: {why}; nothing was imported")

    try:
        z = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as e:
        raise bad(f"not a readable zip archive ({e})") from None
    try:
        broken = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise bad(f"damaged archive ({e})") from None
    if broken is not None:
        raise bad(f"damaged archive (bad CRC in {broken})")
    try:
        manifest = json.loads(z.read("manifest.json"))
    except (KeyError, ValueError):
        raise bad("not a mockint export (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise bad("not a mockint export")
    if int(manifest.get("schema_version", 0)) > len(MIGRATIONS):
        raise bad("made by a newer mockint: upgrade mockint first")
    files = manifest.get("files", {})
    if "mockint.db" not in files:
        raise bad("the archive holds no database")
    for name, sha in files.items():
        try:
            data = z.read(name)
        except KeyError:
            raise bad(f"{name} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
            raise bad(f"damaged archive ({e})") from None
        if _sha(data) != sha:
            raise bad(f"{name} does not match its checksum")
    return z, manifest


def import_archive(src: Path, paths: Paths) -> ImportResult:
    """Merge an export into this data directory; attempts already here are skipped."""
    # long: every check comes before the one transaction that writes; kept in reading order
    z, _ = _check(src)
    with tempfile.TemporaryDirectory() as tmp, z:
        theirs_path = Path(tmp) / "mockint.db"
        theirs_path.write_bytes(z.read("mockint.db"))
        try:
            theirs = Store(theirs_path)  # brings an older schema up to date
        except sqlite3.DatabaseError as e:
            raise ArchiveError(f"{src}: the database is damaged ({e}); nothing was imported") from e
        sessions = [dict(r) for r in theirs.db.execute("SELECT * FROM sessions ORDER BY id")]
        attempts = theirs.attempts()
        theirs.close()
        dest_dir = paths.recordings / "imported" / src.stem
        copied: list[Path] = []
        with Store(paths.db) as ours:
            seen = {
                (a.bank, a.question_id, a.started_at, a.graded_at, a.transcript)
                for a in ours.attempts()
            }
            added = dupes = recs = 0
            sid_map: dict[int, int] = {}
            try:
                ours.db.execute("BEGIN IMMEDIATE")
                for s in sessions:
                    cur = ours.db.execute(
                        "INSERT INTO sessions (started_at, ended_at, bank, kind, options) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (s["started_at"], s["ended_at"], s["bank"], s["kind"], s["options"]),
                    )
                    sid_map[int(s["id"])] = int(cur.lastrowid or 0)
                for a in attempts:
                    key = (a.bank, a.question_id, a.started_at, a.graded_at, a.transcript)
                    if key in seen:
                        dupes += 1
                        continue
                    seen.add(key)
                    audio = a.audio_path
                    if audio and audio.startswith("recordings/"):
                        out = dest_dir / audio.removeprefix("recordings/")
                        out.parent.mkdir(parents=True, exist_ok=True)
                        if not out.exists():
                            out.write_bytes(z.read(audio))
                            copied.append(out)
                        audio = str(out)
                        recs += 1
                    sid = sid_map.get(a.session_id) if a.session_id is not None else None
                    ours.insert_attempt(_replace(a, audio, sid))
                    added += 1
                # sessions whose attempts were all duplicates are not worth keeping
                for new in sid_map.values():
                    ours.db.execute(
                        "DELETE FROM sessions WHERE id = ? AND NOT EXISTS "
                        "(SELECT 1 FROM attempts WHERE session_id = ?)",
                        (new, new),
                    )
                kept = sum(
                    1
                    for new in sid_map.values()
                    if ours.db.execute("SELECT 1 FROM sessions WHERE id = ?", (new,)).fetchone()
                )
                ours.db.execute("COMMIT")
            except BaseException:
                ours.db.execute("ROLLBACK")
                for p in copied:
                    p.unlink(missing_ok=True)
                if dest_dir.is_dir() and not any(p.is_file() for p in dest_dir.rglob("*")):
                    shutil.rmtree(dest_dir, ignore_errors=True)
                raise
    return ImportResult(added, dupes, int(kept), recs)


def _replace(a: Attempt, audio: str | None, session_id: int | None) -> Attempt:
    from dataclasses import replace

    return replace(a, audio_path=audio, session_id=session_id, id=None)
