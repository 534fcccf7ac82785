"""Opening a database nobody vouches for (an imported archive's), as SQLite advises.

SQLite's "Defense Against the Dark Arts" (sqlite.org/security.html): schema code is not
trusted (``trusted_schema=OFF``), defensive mode where Python offers it, tight limits
on lengths and depths, no memory map, a bounded heap for the temporary store, a
progress handler that stops any statement past a time budget (and lets Ctrl-C
through), and, before a single row is read, a schema holding exactly the tables,
indexes and triggers mockint makes, each index and trigger word for word: a view,
trigger or extra object named like a table (a "view bomb" over a recursive CTE), or a
trigger of mockint's name with another body, is refused without being run (SQLite's own
statistics tables, from an ANALYZE, are dropped). Row counts
are bounded before rows are read, and rows are read one at a time; every value's size
is bounded by ``SQLITE_LIMIT_LENGTH``, and every text of a row read (:func:`unfit`) by
length and to hold no control character.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mockint.limits import MAX_STORED_CHARS
from mockint.storage.migrations import MIGRATIONS, upgrade, version
from mockint.terminal import control_char

# how long the import may spend inside SQLite, all statements together
BUDGET_SECONDS = 300.0
MAX_ROWS = 2_000_000  # answers (and sessions): twice the million a report is built for
MAX_VALUE_BYTES = 32 * 1024 * 1024  # any one value (a transcript's words as JSON)
HEAP_BYTES = 512 * 1024 * 1024  # SQLite's heap while the import runs (temp store included)

_LIMITS = {
    "SQLITE_LIMIT_LENGTH": MAX_VALUE_BYTES,
    "SQLITE_LIMIT_SQL_LENGTH": 100_000,
    "SQLITE_LIMIT_COLUMN": 100,
    "SQLITE_LIMIT_EXPR_DEPTH": 50,
    "SQLITE_LIMIT_COMPOUND_SELECT": 3,
    "SQLITE_LIMIT_VDBE_OP": 25_000,
    "SQLITE_LIMIT_FUNCTION_ARG": 8,
    "SQLITE_LIMIT_ATTACHED": 0,
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 50,
    "SQLITE_LIMIT_VARIABLE_NUMBER": 100,
    "SQLITE_LIMIT_TRIGGER_DEPTH": 1,
}


class Unsafe(Exception):
    """Why the database is refused (one line)."""


class Interrupted(Exception):
    """The progress handler stopped a statement (Ctrl-C or the time budget)."""


class _Budget:
    """A progress handler: stop past the deadline; turn Ctrl-C into a stop, remembered."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.interrupted = False
        self.expired = False
        self.left: float | None = None  # while paused: what was left of the budget

    def __call__(self) -> int:
        try:
            if time.monotonic() > self.deadline:
                self.expired = True
                return 1
            return 0
        except KeyboardInterrupt:  # delivered while SQLite runs: stop it, re-raised after
            self.interrupted = True
            return 1

    def pause(self) -> None:
        """Time spent outside SQLite (Python checking and storing a row) is not SQLite's:
        the budget neither counts it nor stops anything past the deadline meanwhile."""
        if self.left is None:
            self.left = self.deadline - time.monotonic()
            self.deadline = math.inf

    def resume(self) -> None:
        """Count SQLite's time again, from where :meth:`pause` stopped."""
        if self.left is not None:
            self.deadline = time.monotonic() + self.left
            self.left = None


class Guarded(sqlite3.Connection):
    """A connection to an untrusted database, with its time budget."""

    budget: _Budget

    def refusal(self, e: sqlite3.Error | MemoryError) -> BaseException:
        """What a SQLite failure on this connection becomes: Ctrl-C, or a refusal."""
        code = getattr(e, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_INTERRUPT and not self.budget.expired:
            # only the progress handler interrupts, and past the deadline it says so: this
            # was Ctrl-C, raised as the handler was entered, before its try could note it
            # (sqlite3 drops an exception the handler raises: "damaged or hostile
            # (interrupted)", said of the user's own Ctrl-C)
            self.budget.interrupted = True
        if self.budget.interrupted:
            return KeyboardInterrupt()
        if self.budget.expired:
            return Unsafe(f"the database takes over {self.budget.seconds:.0f} s to read")
        if isinstance(e, MemoryError):  # SQLITE_NOMEM: past HEAP_BYTES (a sort, a migration)
            return Unsafe(f"the database needs over {HEAP_BYTES // 2**20:,} MB of memory to read")
        return Unsafe(f"the database is damaged or hostile ({e})")

    def rows(self, sql: str, args: tuple[object, ...] = ()) -> Iterator[Any]:
        """A query's rows one at a time (never all at once: an archive's can be gigabytes);
        while the caller holds a row, the budget is paused. SQLite failures leave as
        :meth:`refusal`, so a caller's own transaction does not take them for its own."""
        try:
            self.budget.resume()
            return _Rows(self, self.execute(sql, args))
        except (sqlite3.Error, MemoryError) as e:
            raise self.refusal(e) from None

    def first(self, sql: str, args: tuple[object, ...] = ()) -> Any:
        """A query's first row, or None (failures as in :meth:`rows`)."""
        try:
            return self.execute(sql, args).fetchone()
        except (sqlite3.Error, MemoryError) as e:
            raise self.refusal(e) from None


class _Rows:
    """The rows of :meth:`Guarded.rows`. Not a generator: one dropped mid-way (Ctrl-C, a
    refusal) runs no code as it goes, so a Ctrl-C landing then cannot print 'Exception
    ignored in: <generator object Guarded.rows>' with a traceback (its ``with paused()``
    was left as the generator was collected). The budget, paused while a row is held, is
    resumed by the connection's next :meth:`~Guarded.rows`."""

    def __init__(self, db: Guarded, cur: sqlite3.Cursor):
        self.db, self.cur = db, cur

    def __iter__(self) -> _Rows:
        return self

    def __next__(self) -> Any:
        self.db.budget.resume()
        try:
            row = self.cur.fetchone()
        except (sqlite3.Error, MemoryError) as e:
            raise self.db.refusal(e) from None
        if row is None:
            raise StopIteration
        self.db.budget.pause()
        return row


@contextlib.contextmanager
def guarded(path: Path, seconds: float | None = None) -> Iterator[Guarded]:
    """A hardened connection to ``path`` (statements stopped past ``seconds`` spent inside
    SQLite, by default ``BUDGET_SECONDS``); SQLite errors leave as :class:`Unsafe`, Ctrl-C
    as KeyboardInterrupt."""
    seconds = BUDGET_SECONDS if seconds is None else seconds
    heap = None
    db = sqlite3.connect(str(path), isolation_level=None, factory=Guarded)
    db.budget = _Budget(seconds)
    try:
        heap = int(db.execute("PRAGMA hard_heap_limit").fetchone()[0])
        _harden(db, db.budget)
        yield db
    except (sqlite3.Error, MemoryError) as e:  # Python's sqlite3 raises SQLITE_NOMEM as this
        raise db.refusal(e) from None
    finally:
        with contextlib.suppress(sqlite3.Error, MemoryError):  # MemoryError: the heap is full
            if heap is not None:
                db.execute(f"PRAGMA hard_heap_limit = {heap}")
        db.close()
        if db.budget.interrupted:
            raise KeyboardInterrupt


def _harden(db: sqlite3.Connection, budget: _Budget) -> None:
    setconfig = getattr(db, "setconfig", None)  # Python >= 3.12
    if setconfig is not None:
        setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]
    for name, value in _LIMITS.items():
        category = getattr(sqlite3, name, None)
        if category is not None:
            db.setlimit(category, value)
    db.set_progress_handler(budget, 100)
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    for pragma in (
        "trusted_schema = OFF",
        "cell_size_check = ON",
        "mmap_size = 0",
        "temp_store = MEMORY",
        "cache_size = -65536",
        f"hard_heap_limit = {HEAP_BYTES}",
        # migrations rebuild tables and add indexes and columns (schema 4 -> today: 2.4x
        # the pages): room for that, not for a flood
        f"max_page_count = {pages * 4 + 1000}",
        # a CHECK is the file's code: integrity_check would run it on every row
        "ignore_check_constraints = ON",
    ):
        db.execute(f"PRAGMA {pragma}")


# --- the schema, exactly ----------------------------------------------------------------------


# SQLite's own statistics, made by an ANALYZE run on the store (an older export shipped
# them): not mockint's, but harmless; accepted as plain tables, and dropped before use
STATS = tuple(f"sqlite_stat{n}" for n in range(1, 5))


def _objects(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    rows = db.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
    got = {str(name): (str(kind), str(table)) for kind, name, table in rows}
    return {k: v for k, v in got.items() if not (k in STATS and v == ("table", k))}


def drop_stats(db: sqlite3.Connection) -> None:
    """Drop SQLite's statistics tables (an outside ANALYZE made them)."""
    for name in STATS:
        db.execute(f"DROP TABLE IF EXISTS {name}")


def expected(v: int) -> sqlite3.Connection:
    """An empty store at schema version ``v`` (in memory), to compare against."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    for fn in MIGRATIONS[:v]:
        fn(db)
    return db


def _index_shape(db: sqlite3.Connection, table: str) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for _, name, unique, _origin, partial in db.execute(f"PRAGMA index_list('{table}')"):
        cols = tuple(r[2] for r in db.execute(f"PRAGMA index_info('{name}')"))
        out[str(name)] = (unique, partial, cols)
    return out


# a table's definition, token by token: strings, quoted names, words, anything else
_SQL_TOKEN = re.compile(
    r"--[^\n]*|/\*[\s\S]*?(?:\*/|$)|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|\w+|\S"
)
# what in a definition is code the file brings, evaluated as rows are read, checked or
# written (a CHECK over hex(zeroblob(8e6)) ran 300 s in integrity_check)
_CODE = {"CHECK", "DEFAULT", "COLLATE", "GENERATED", "AS"}


def _definition(db: sqlite3.Connection, name: str) -> list[str]:
    """An object's SQL as tokens: the same code however it is spaced or broken."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return list(_SQL_TOKEN.findall(row[0] or "")) if row else []


def _code(db: sqlite3.Connection, name: str) -> list[str]:
    """The code in a table's definition: each CHECK, COLLATE, GENERATED or AS, each
    DEFAULT with what follows it (mockint's are literals), and each comment whole (a
    quote inside one would hide what follows from a tokenizer), in order."""
    tokens = _definition(db, name)
    out = []
    for k, t in enumerate(tokens):
        if t.startswith(("--", "/*")):
            out.append(t)
        elif t.upper() in _CODE:
            out.append(t.upper() + (f" {tokens[k + 1]}" if t.upper() == "DEFAULT" else ""))
    return out


def check_schema(db: sqlite3.Connection) -> int:
    """Refuse anything but mockint's own tables, indexes and triggers at the file's schema
    version, each index and trigger word for word as mockint makes it (extra plain columns
    are allowed: they are ignored); return that version."""
    v = version(db)
    if not 1 <= v <= len(MIGRATIONS):
        raise Unsafe(f"schema version {v}: not one mockint made (1 to {len(MIGRATIONS)})")
    ref = expected(v)
    try:
        want, got = _objects(ref), _objects(db)
        for name, (kind, table) in sorted(got.items()):
            if want.get(name) != (kind, table):
                article = "an" if kind[:1] in "aeiou" else "a"
                raise Unsafe(
                    f"the database holds {article} {kind} '{name[:60]}' mockint never makes"
                )
        missing = sorted(set(want) - set(got))
        if missing:
            raise Unsafe(f"the database lacks '{missing[0]}'")
        for table in (n for n, (kind, _) in want.items() if kind == "table"):
            cols = {r[1]: r[6] for r in db.execute(f"PRAGMA table_xinfo('{table}')")}
            if any(hidden for hidden in cols.values()):
                raise Unsafe(f"table {table}: a generated or hidden column")
            needed = {r[1] for r in ref.execute(f"PRAGMA table_info('{table}')")}
            if not needed <= set(cols):
                raise Unsafe(f"table {table}: lacks column {sorted(needed - set(cols))[0]}")
            if _index_shape(db, table) != _index_shape(ref, table):
                raise Unsafe(f"table {table}: its indexes are not mockint's")
            if _code(db, table) != _code(ref, table):
                raise Unsafe(f"table {table}: a CHECK, DEFAULT or COLLATE mockint never makes")
        # a trigger runs as rows are written (the migrations write the archive's): one named
        # like mockint's must be mockint's, word for word; so must an index's expression
        for name, (kind, _) in sorted(want.items()):
            if kind != "table" and _definition(db, name) != _definition(ref, name):
                raise Unsafe(f"the database's {kind} '{name}' is not the one mockint makes")
    finally:
        ref.close()
    return v


def check_counts(db: sqlite3.Connection) -> None:
    for table in ("sessions", "attempts"):
        n = int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        if n > MAX_ROWS:
            raise Unsafe(f"{n:,} rows in {table}: at most {MAX_ROWS:,}")


def open_checked(db: sqlite3.Connection) -> int:
    """Check the schema, the file's integrity and the row counts; bring an older schema up
    to date (checked again after); return the version the file was made with."""
    v = check_schema(db)
    drop_stats(db)  # the archive's planner statistics are not the file's to dictate
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise Unsafe("the database is damaged (integrity check failed)")
    check_counts(db)
    upgrade(db)
    check_schema(db)
    return v


# --- the rows ----------------------------------------------------------------------------------

# any one text of an answer (an hour's transcript is ~50,000 characters), and all of a row's
MAX_FIELD_CHARS = MAX_STORED_CHARS
MAX_ROW_CHARS = 4_000_000
# how deep a row's JSON may nest (mockint's nests 3 deep): JSON that Python could just
# parse, ~980 deep, was written again one call deeper and failed there, after every check
MAX_DEPTH = 32
# values a row's JSON may hold, counted before it is parsed: each costs memory whatever its
# text (3 characters, '[],', became 56 bytes: one 500 KB archive took 4.4 GB); an answer's
# 200,000 words (the most it may have) hold ~1,800,000
MAX_JSON_VALUES = 2_500_000


def json_values(text: str) -> int:
    """At most how many values JSON ``text`` holds (a comma inside a string counts too):
    cheap, before parsing."""
    return sum(text.count(c) for c in ",:[{")


def unfit(row: dict[str, Any]) -> str | None:
    """Why a row's texts cannot be stored as they are (too long, or holding a control
    character that would reach a terminal), or None."""
    total = 0
    for where, v in row.items():
        texts = _texts(v)
        if texts is None:
            return f"{where}: JSON nested over {MAX_DEPTH} deep"
        if not texts:
            continue
        longest = max(map(len, texts))
        if longest > MAX_FIELD_CHARS:
            return f"{where}: a text of {longest:,} characters (at most {MAX_FIELD_CHARS:,})"
        total += sum(map(len, texts))
        if total > MAX_ROW_CHARS:
            break
        # one search over the field's texts (a newline is no control character): a
        # search per text made this check most of an import's time
        found = control_char("\n".join(texts))
        if found:
            return f"{where}: holds the control character {found}"
    if total > MAX_ROW_CHARS:
        return f"{total:,} characters of text (at most {MAX_ROW_CHARS:,})"
    return None


def _texts(value: Any) -> list[str] | None:
    """Every text in a value read from JSON or a row (whose keys are texts), keys
    included; None if it nests deeper than ``MAX_DEPTH`` (walked without recursion: JSON
    can nest deeper than Python's stack)."""
    out: list[str] = []
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH + 1):  # a level at a time: what lists and dicts at it hold
        inside: list[Any] = []
        for v in level:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, list):
                inside.extend(v)
            elif isinstance(v, dict):
                out.extend(v)
                inside.extend(v.values())
        if not inside:
            return out
        level = inside
    return None
