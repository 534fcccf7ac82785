"""The Starlette app: review pages, the report, the schedule, bank import, practice.

Every route reads the same data directory as the CLI (:mod:`mockint.config`);
:class:`~mockint.web.guard.Guard` wraps the whole app.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from mockint.bank import Bank, bank_files, find_bank
from mockint.config import Paths, shipped_banks_dir
from mockint.errors import MockintError
from mockint.storage.store import Store
from mockint.web import pages
from mockint.web.guard import Guard, GuardOptions

STATIC = Path(__file__).resolve().parent / "static"
NO_STORE = {"cache-control": "no-store"}


class Site:
    """What the routes share: the data directory's paths."""

    def __init__(self, paths: Paths):
        self.paths = paths

    def bank_dirs(self) -> list[Path]:
        dirs = [self.paths.banks]
        shipped = shipped_banks_dir()
        if shipped is not None and shipped not in dirs:
            dirs.append(shipped)
        return dirs

    def banks(self) -> dict[str, str]:
        return {n: str(p) for n, p in bank_files(self.bank_dirs()).items()}

    def bank(self, name: str | None) -> Bank:
        return find_bank(name or None, self.bank_dirs())

    def bank_or_none(self, name: str | None) -> Bank | None:
        try:
            return self.bank(name)
        except MockintError:
            return None

    @contextlib.contextmanager
    def store(self) -> Any:
        """The store to read, or None when nothing has been recorded yet."""
        if not self.paths.db.exists():
            yield None
            return
        with Store(self.paths.db, readonly=True) as s:
            yield s

    def audio_file(self, path: str | None) -> Path | None:
        """A recording's file, only when it lies inside the data directory's recordings/."""
        from mockint.storage.recordings import resolve

        return resolve(self.paths.home, path)


MAX_ROW_ID = 2**63 - 1  # SQLite's largest INTEGER


class RowId(Convertor[int]):
    """A row's id in a path (``{aid:id}``): digits, and beyond SQLite's 64-bit integers
    (which no row can have) a 404 (``int`` let them through, and SQLite's OverflowError
    made it a 500)."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        digits = value.lstrip("0") or "0"  # (int() refuses over 4,300 digits: a 500 again)
        if len(digits) > len(str(MAX_ROW_ID)) or int(digits) > MAX_ROW_ID:
            raise HTTPException(404, f"Not found: ids end at {MAX_ROW_ID}.")
        return int(digits)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", RowId())


def html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status, headers=NO_STORE)


def make_app(paths: Paths, guard: GuardOptions, events: Any = None) -> Guard:
    """The whole app behind its guard."""
    from mockint.web import practice_ws

    site = Site(paths)
    speech_dir = Path(tempfile.mkdtemp(prefix="mockint-speech-"))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.site, app.state.speech = site, speech_dir
        app.state.sessions = practice_ws.Sessions(paths, speech_dir, events)
        try:
            yield
        finally:
            app.state.sessions.close()
            import shutil

            shutil.rmtree(speech_dir, ignore_errors=True)

    routes = [
        Route("/", home),
        Route("/sessions", sessions),
        Route("/sessions/{sid:id}", session),
        Route("/answers/{aid:id}", answer),
        Route("/audio/{aid:id}", audio),
        Route("/report", report),
        Route("/due", due),
        Route("/banks", banks),
        Route("/banks/import", bank_import, methods=["POST"]),
        Route("/practice", practice_ws.page),
        Route("/api/banks", practice_ws.bank_info),
        Route("/speech/{name:str}", practice_ws.speech),
        WebSocketRoute("/ws/practice", practice_ws.socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), guard)


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


async def home(request: Request) -> Response:
    site = _site(request)
    names = list(site.banks())
    with site.store() as s:
        rows = s.sessions() if s else []
        b = site.bank_or_none(None)
        count = len(_due(b, s)) if b else 0
    return html(pages.home(names, rows, count))


async def sessions(request: Request) -> Response:
    with _site(request).store() as s:
        return html(pages.sessions(s.sessions() if s else []))


# the most answers a session's page lists (`mockint review N` lists them all)
MAX_LISTED = 2_000


async def session(request: Request) -> Response:
    import itertools

    site = _site(request)
    sid = int(request.path_params["sid"])
    with site.store() as s:  # its listed columns only: a session of 500,000 read them all
        if s is None or not s.has_session(sid):
            return html(pages.message("Not found", f"No session #{sid}."), 404)
        rows = list(itertools.islice(s.listed(sid), MAX_LISTED))
        total = s.counted(sid) if len(rows) == MAX_LISTED else len(rows)
        first = s.attempt(rows[0].id) if rows else None
    b = site.bank_or_none(first.bank) if first else None
    qs = {q.id: q for q in b.questions} if b else {}
    return html(pages.session(sid, rows, qs, total))


async def answer(request: Request) -> Response:
    from mockint.grading.star import analyse

    site = _site(request)
    aid = int(request.path_params["aid"])
    with site.store() as s:
        a = s.attempt(aid) if s else None
        if a is None:
            return html(pages.message("Not found", f"No answer #{aid}."), 404)
        same = s.attempts(bank=a.bank, question=a.question_id)
    b = site.bank_or_none(a.bank)
    q = next((x for x in b.questions if x.id == a.question_id), None) if b else None
    star = analyse(a.transcript).to_dict() if q is not None and q.behavioural else None
    return html(pages.answer(a, q, star, pages.others(a, same)))


async def audio(request: Request) -> Response:
    site = _site(request)
    with site.store() as s:
        a = s.attempt(int(request.path_params["aid"])) if s else None
    f = site.audio_file(a.audio_path if a else None)
    if f is None:
        return Response("no recording\n", 404, media_type="text/plain")
    return FileResponse(f, headers=NO_STORE)


async def report(request: Request) -> Response:
    """The per-category report: the same page as ``mockint report --html``, with players,
    sent as its answers are read (a large store's page is never held whole)."""
    import itertools

    from starlette.concurrency import run_in_threadpool
    from starlette.responses import StreamingResponse

    parts = _report_parts(_site(request), request.query_params.get("bank"))
    try:  # the counts (seconds on a large store) off the event loop, as the rest is sent
        first = await run_in_threadpool(next, parts, None)
    except MockintError as e:
        return html(pages.message("Report", str(e)), 500)
    if first is None:
        return html(pages.message("Report", "No answers yet: practise first."))
    return StreamingResponse(
        itertools.chain([first], parts), media_type="text/html", headers=NO_STORE
    )


def _report_parts(site: Site, bank: str | None) -> Iterator[str]:
    """The report page in parts, the store open until the last is sent; none if there
    are no answers. A store that fails half-way ends the page with one line saying so."""
    from mockint.reports.gather import gather
    from mockint.reports.html import html_parts
    from mockint.storage.queries import Selection

    with site.store() as s, s.snapshot() if s else contextlib.nullcontext():
        name = bank or next(iter(s.banks() if s else []), None)
        found = s is not None and name is not None
        r = gather(s, Selection(bank=name), site.bank_or_none(name), items=True) if found else None
        if r is None:
            return
        parts = html_parts(r, lambda a: f"/audio/{a.id}" if a.audio_path else None)
        yield next(parts).replace("<body>", '<body><p><a href="/">← mockint</a></p>', 1)
        try:
            yield from parts
        except MockintError as e:
            yield f'<p class="note">{escape(str(e))}</p></body></html>'


def _due(b: Bank, s: Store | None) -> list:
    from mockint.rehearsal.schedule import due as due_now

    return due_now(b.questions, s.answered(b.name) if s else (), datetime.now(timezone.utc))


async def due(request: Request) -> Response:
    site = _site(request)
    try:
        b = site.bank(request.query_params.get("bank"))
    except MockintError as e:
        return html(pages.message("Due for review", str(e)), 400)
    with site.store() as s:
        items = _due(b, s)
    return html(pages.due(b.name, items, datetime.now(timezone.utc)))


async def banks(request: Request) -> Response:
    return html(pages.banks(_site(request).banks()))


async def bank_import(request: Request) -> Response:
    """A bank file as the request body (``?filename=&name=&replace=1``), validated and
    stored by :func:`mockint.bank.import_bank`, exactly as ``mockint bank import``."""
    from mockint.bank import import_bank

    site = _site(request)
    q = request.query_params
    filename = Path(q.get("filename") or "upload.toml").name
    body = await request.body()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / filename
        src.write_bytes(body)
        try:
            out = import_bank(
                src,
                site.paths.banks,
                q.get("name") or None,
                q.get("replace") == "1",
                site.bank_dirs(),
            )
        except MockintError as e:
            return JSONResponse({"error": str(e).replace(str(src), filename)}, 400)
    return JSONResponse({"imported": out.stem, "path": str(out)})
