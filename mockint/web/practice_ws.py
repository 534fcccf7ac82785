"""Practice in the page: the setup form, the spoken questions, the session's WebSocket.

One session at a time (one microphone). The models live in a child process
started with the first session and kept for the next (as the terminal's
:func:`~mockint.rehearsal.interview.practise` does for one session); the voice is
Piper, or pyttsx3 when Piper's voice is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import threading
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from mockint.config import Paths
from mockint.errors import MockintError
from mockint.web import pages
from mockint.web.bridge import SocketRecorder, SocketSpeaker, SocketUI


class Sessions:
    """The models and voice kept between practice sessions; one session at a time."""

    def __init__(self, paths: Paths, speech: Path, events: Any = None):
        self.paths, self.speech = paths, speech
        self.events = events
        self.busy = threading.Lock()
        self._models: Any = None
        self._voice: Any = None
        self._voice_loaded = False
        self._loading = threading.Lock()
        self._warming = False

    def models(self) -> Any:
        from mockint.hearing.transcribe import WhisperOptions
        from mockint.rehearsal.interview import score_workers
        from mockint.rehearsal.worker import ModelProcess

        with self._loading:
            if self._models is None:
                self._models = ModelProcess(WhisperOptions(workers=score_workers(1)))
                self._models.start()
        return self._models

    def warm(self) -> None:
        """Load the voice and the models in the background (once), before the first
        session, so that its first answer is not graded while they load."""
        from mockint.rehearsal.worker import RemoteEmbedder, RemoteTranscriber

        if self._warming:
            return
        self._warming = True

        def load() -> None:
            with contextlib.suppress(MockintError, RuntimeError, OSError):
                self.voice()
                models = self.models()
                RemoteTranscriber(models).load()
                RemoteEmbedder(models).load()

        threading.Thread(target=load, name="web-warm", daemon=True).start()

    def voice(self) -> Any:
        """Piper, else pyttsx3 (espeak-ng), else None (questions only shown)."""
        with self._loading:
            return self._load_voice()

    def _load_voice(self) -> Any:
        if not self._voice_loaded:
            from mockint.sound.speech import PiperSpeaker, Pyttsx3Speaker

            self._voice_loaded = True
            try:
                piper = PiperSpeaker()
                piper.load()
                self._voice = piper
            except MockintError:
                with contextlib.suppress(MockintError, RuntimeError, OSError):
                    tts = Pyttsx3Speaker()
                    tts._init()
                    self._voice = tts
        return self._voice

    def close(self) -> None:
        if self._models is not None:
            self._models.close()


async def page(request: Request) -> Response:
    """The setup form; the voice and models start loading now, while it is filled in."""
    site = request.app.state.site
    request.app.state.sessions.warm()
    names = list(site.banks())
    chosen = request.query_params.get("bank") or (names[0] if names else "")
    order = request.query_params.get("order") or "bank"
    e = html.escape
    options = "".join(f"<option{' selected' if n == chosen else ''}>{e(n)}</option>" for n in names)
    orders = "".join(
        f"<option{' selected' if o == order else ''}>{o}</option>"
        for o in ("bank", "random", "weakest")
    )
    body = (
        '<form id="setup"><label>Bank <select name="bank">' + options + "</select></label> "
        '<label>Categories <select name="category" multiple size="4"></select></label> '
        '<label>Count <input name="count" type="number" min="1" value="3"></label> '
        f'<label>Order <select name="order">{orders}</select></label> '
        '<label>Mode <select name="mode"><option>practice</option><option>live</option>'
        '</select></label> <label>Microphone check <select name="check">'
        '<option value="auto">until one passes</option><option value="always">every time</option>'
        '<option value="never">skip it</option></select></label> '
        '<button id="start">Start</button></form>'
        '<section id="stage" hidden><p id="progress" class="muted"></p>'
        '<p id="mic-check" class="note"></p>'
        '<p id="question" class="question"></p><p id="status" role="status"></p>'
        '<div id="meter"><div id="level"></div></div><p id="clock"></p>'
        '<p id="partial" class="transcript"></p><p id="hint" class="note"></p>'
        '<div id="buttons" class="actions"></div><div id="result"></div></section>'
        '<p class="muted">Keys: Enter done · s skip · h hint · n next · r retry · '
        "a hear again · m model answer · e edit · q quit</p>"
    )
    return pages.html_response(pages.page("Practise", body, "practice.js"))


async def bank_info(request: Request) -> Response:
    site = request.app.state.site
    out: dict[str, Any] = {}
    for name in site.banks():
        b = site.bank_or_none(name)
        if b is not None:
            out[name] = {"categories": list(b.categories), "questions": len(b.questions)}
    return JSONResponse(out)


async def speech(request: Request) -> Response:
    folder: Path = request.app.state.speech
    name = Path(request.path_params["name"]).name
    f = folder / name
    if not name.endswith(".wav") or not f.is_file():
        return Response("no such speech\n", 404, media_type="text/plain")
    return FileResponse(f, media_type="audio/wav")


def options_from(msg: dict[str, Any]) -> Any:
    from mockint.rehearsal.practice import PracticeOptions

    count = str(msg.get("count") or "")
    mode = str(msg.get("mode")) if msg.get("mode") in ("practice", "live") else "practice"
    order = str(msg.get("order")) if msg.get("order") in ("bank", "random", "weakest") else "bank"
    return PracticeOptions(
        tuple(str(c) for c in msg.get("categories") or ()),
        int(count) if count.isdigit() and int(count) > 0 else None,
        order,
        mode=mode,
    )


async def socket(ws: WebSocket) -> None:
    """One practice session: a 'start' message, then audio (binary) and keys (JSON)."""
    sessions: Sessions = ws.app.state.sessions
    await ws.accept()
    loop = asyncio.get_running_loop()

    def send(msg: dict[str, Any]) -> None:
        fut = asyncio.run_coroutine_threadsafe(ws.send_text(json.dumps(msg)), loop)
        with contextlib.suppress(Exception):
            fut.result(timeout=10)
        if msg["type"] in ("end", "error"):  # the session is over: so is its socket
            asyncio.run_coroutine_threadsafe(ws.close(), loop)

    if not sessions.busy.acquire(blocking=False):
        await ws.send_text(json.dumps({"type": "error", "text": "a session runs already"}))
        await ws.close()
        return
    recorder, ui = SocketRecorder(send), SocketUI(send)
    speaker = SocketSpeaker(send, sessions.speech, None)
    worker: threading.Thread | None = None
    try:
        start = json.loads(await ws.receive_text())
        worker = threading.Thread(
            target=_session,
            args=(sessions, start, recorder, speaker, ui, send),
            name="web-practice",
            daemon=True,
        )
        worker.start()
        await _pump(ws, recorder, speaker, ui, sessions)
    except (WebSocketDisconnect, json.JSONDecodeError):
        pass
    finally:
        recorder.close()
        ui.close()
        speaker.closed = True
        speaker.played()
        try:  # (a cancelled handler is cancelled again at this await: release all the same)
            if worker is not None:
                await asyncio.to_thread(worker.join, 60)
        finally:
            speaker.close()
            sessions.busy.release()


async def _pump(
    ws: WebSocket, recorder: SocketRecorder, speaker: SocketSpeaker, ui: SocketUI, s: Sessions
) -> None:
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return
        if msg.get("bytes") is not None:
            recorder.push(msg["bytes"])
            continue
        data = json.loads(msg.get("text") or "{}")
        if data.get("type") == "played":
            speaker.played()
        elif data.get("type") == "shown" and s.events is not None:
            s.events("page_result_shown", {"at": data.get("at")})
        else:
            ui.receive(data)


def _session(
    sessions: Sessions,
    start: dict[str, Any],
    recorder: SocketRecorder,
    speaker: SocketSpeaker,
    ui: SocketUI,
    send: Any,
) -> None:
    """The practice loop, as in the terminal, with the page's devices (a thread)."""
    from mockint.rehearsal.practice import Interrupted, Practice
    from mockint.rehearsal.worker import RemoteEmbedder, RemoteTranscriber
    from mockint.storage.store import Store

    site_paths = sessions.paths
    try:
        from mockint.bank import find_bank
        from mockint.config import shipped_banks_dir

        dirs = [site_paths.banks, *([d] if (d := shipped_banks_dir()) else [])]
        bank = find_bank(start.get("bank") or None, dirs)
        ui.status("Loading the voice and the models…")
        speaker.voice = sessions.voice()
        speaker.engine = getattr(speaker.voice, "engine", "none")
        models = sessions.models()
        with Store(site_paths.db) as store:
            p = Practice(
                bank,
                store=store,
                recordings=site_paths.recordings,
                speaker=speaker,
                recorder=recorder,
                transcriber=RemoteTranscriber(models),
                embedder=RemoteEmbedder(models),
                ui=ui,
                options=options_from(start),
                events=(lambda n, d: sessions.events(n, d)) if sessions.events else None,
            )
            _run_checked(p, recorder, ui, site_paths, start)
        send({"type": "end"})
    except Interrupted as e:
        kept = f" (answer kept as #{e.attempt_id})" if e.attempt_id else ""
        send({"type": "end", "text": f"Stopped{kept}."})
    except MockintError as e:
        send({"type": "error", "text": str(e)})


WEB_DEVICE = "browser"  # how the check remembers the page's microphone (mic-check.json)


def check_mode(start: dict[str, Any]) -> str:
    """The page's microphone check setting, as the terminal's --check/--no-check sets it."""
    mode = start.get("check")
    return str(mode) if mode in ("auto", "always", "never") else "auto"


def _run_checked(
    p: Any, recorder: SocketRecorder, ui: SocketUI, paths: Paths, start: dict[str, Any]
) -> None:
    """Plan, check the page's microphone while the first question renders (as the
    terminal does; a failed check may be tried again or passed by), then run."""
    from mockint.rehearsal.interview import check_until_settled, wants_check

    questions = p.plan()
    if questions and wants_check(check_mode(start), paths.mic_check, WEB_DEVICE):
        p.prepare(questions[0].text)
        check_until_settled(recorder, p.transcriber, ui, paths.mic_check, WEB_DEVICE)
    p.run(questions)
