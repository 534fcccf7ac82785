"""A report straight from the store: the figures streamed and counted in SQL.

:func:`mockint.reports.report.build` takes whole Attempts; a million of them (with
their transcripts, words and key points) take a minute and gigabytes. Here the store
gives each answer's few figures and counts the rest itself, and the answers
themselves are read only for the formats that list them (HTML, JSON, CSV).
"""

from __future__ import annotations

import sqlite3

from mockint.bank import Bank
from mockint.errors import StoreError
from mockint.reports.report import Report, Tallies, assemble, attempt_view
from mockint.storage import queries
from mockint.storage.queries import Selection
from mockint.storage.store import Store, explain

# formats that show every answer (the others show only the figures)
LISTING = ("html", "json", "csv")


def gather(
    store: Store, sel: Selection, bank: Bank | None, items: bool = False, weakest: int = 5
) -> Report | None:
    """The report over the selected complete answers (None if there are none); ``items``
    reads every answer too (for the formats that list them). StoreError if the store
    cannot be read."""
    try:
        return _gather(store, sel, bank, items, weakest)
    except sqlite3.Error as e:
        raise StoreError(explain(store.path, e)) from None
    except (ValueError, TypeError) as e:  # a row that does not decode
        raise StoreError(
            explain(store.path, sqlite3.DatabaseError(f"malformed row: {e}"))
        ) from None


def _gather(
    store: Store, sel: Selection, bank: Bank | None, items: bool, weakest: int
) -> Report | None:
    done = queries.scored(store.db, sel)
    if not done:
        return None
    t = Tallies(
        queries.missed(store.db, sel),
        queries.models(store.db, sel),
        queries.delivery_sums(store.db, sel),
        lambda a: queries.notes(store.db, [a.id]).get(a.id, []),
    )
    views = []
    if items:
        questions = {q.id: q for q in bank.questions} if bank else {}
        attempts = store.attempts(sel.session_id, sel.bank, sel.since, sel.mode)
        views = [
            attempt_view(a, questions.get(a.question_id))
            for a in attempts
            if a.status == "complete"
        ]
    name = (
        sel.bank
        or store.db.execute("SELECT bank FROM attempts WHERE id = ?", (done[0].id,)).fetchone()[0]
    )
    return assemble(done, bank, t, views, weakest, bank_name=str(name))
