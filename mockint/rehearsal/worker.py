"""Whisper and the embedding model in a child process, for live practice.

PortAudio's callbacks need this process's GIL every few milliseconds. Importing
torch (dlopen of libtorch holds the GIL for seconds) or decoding with Whisper
in a thread here starved them: a 3.6 s question took 9.4 s to play, with
underruns. In a child process the models use the other core and the audio
keeps time. :class:`RemoteTranscriber` and :class:`RemoteEmbedder` are the
usual Transcriber and Embedder protocols over a pipe.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from mockint.errors import AudioError, MockintError, ModelError
from mockint.grading.grade import Embedder, Tokens
from mockint.hearing.transcribe import Transcriber, WhisperOptions
from mockint.hearing.vocabulary import Hints
from mockint.models.registry import EMBEDDER_NAME, EMBEDDER_SHA256
from mockint.transcript import Transcript

# errors raised in the child that are raised again as they are here
_KINDS: dict[str, type[MockintError]] = {"ModelError": ModelError, "AudioError": AudioError}


def _serve(conn: Any, options: WhisperOptions) -> None:
    """The child's loop: one request in, one reply out, until told to stop or the pipe closes."""
    import signal

    from mockint.grading.embed import MiniLMEmbedder
    from mockint.hearing.engines import make_transcriber

    # Ctrl-C is the parent's to handle: it still needs us to transcribe what was said.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def status(msg: str) -> None:
        conn.send(("status", msg))

    transcriber: Any = make_transcriber(options, on_status=status)
    embedder = MiniLMEmbedder(on_status=status)
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if op == "stop":
            return
        try:
            if op == "load_transcriber":
                transcriber.load()
                result: Any = transcriber.sha256
            elif op == "load_embedder":
                embedder.load()
                result = None
            elif op == "transcribe":
                t = transcriber.transcribe(*args)
                result = t  # frozen dataclasses pickle as they are
            elif op == "tokens":
                result = embedder.tokens(args[0])
            else:
                raise ValueError(f"unknown request {op}")
            conn.send(("ok", result))
        except KeyboardInterrupt:
            return
        except BaseException as e:  # sent back, raised there
            conn.send(("error", (type(e).__name__, str(e))))


class ModelProcess:
    """A child process holding the models; requests are served one at a time."""

    def __init__(self, options: WhisperOptions, on_status: Callable[[str], None] | None = None):
        self.options = options
        self.on_status = on_status or (lambda _m: None)
        self._lock = threading.Lock()
        self._conn: Any = None
        self._proc: Any = None

    def start(self) -> None:
        if self._proc is not None:
            return
        ctx = mp.get_context("spawn")  # fork after threads (PortAudio's) is unsafe
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def call(self, op: str, *args: Any) -> Any:
        """Send a request and wait for its reply, relaying status messages."""
        with self._lock:
            self.start()
            try:
                self._conn.send((op, args))
                while True:
                    kind, payload = self._conn.recv()
                    if kind == "status":
                        self.on_status(payload)
                        continue
                    break
            except (EOFError, OSError, BrokenPipeError) as e:
                code = self._proc.exitcode if self._proc is not None else None
                raise ModelError(
                    f"the model process stopped (exit code {code}): run the command again"
                ) from e
        if kind == "error":
            name, message = payload
            error = _KINDS.get(name)
            if error is not None:
                raise error(message)
            raise RuntimeError(f"{name}: {message}")
        return payload

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            with self._lock:
                self._conn.send(("stop", ()))
        except (OSError, BrokenPipeError):
            pass
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
        self._proc = None


class RemoteTranscriber(Transcriber):
    """A Transcriber served by a :class:`ModelProcess`."""

    def __init__(self, process: ModelProcess):
        self.process = process
        o = process.options
        self.name = f"whisper-{o.model}" + ("-ct2-int8" if o.engine == "ct2" else "")
        self.sha256: str | None = None

    def load(self) -> None:
        if self.sha256 is None:
            self.sha256 = self.process.call("load_transcriber")

    def transcribe(
        self, audio: np.ndarray, hints: Hints | None = None, voiced: np.ndarray | None = None
    ) -> Transcript:
        self.load()
        audio = np.asarray(audio, dtype=np.float32)
        t: Transcript = self.process.call("transcribe", audio, hints, voiced)
        return t


class RemoteEmbedder(Embedder):
    """An Embedder served by a :class:`ModelProcess`."""

    name = EMBEDDER_NAME
    sha256 = EMBEDDER_SHA256

    def __init__(self, process: ModelProcess):
        self.process = process
        self._loaded = False

    def load(self) -> None:
        if not self._loaded:
            self.process.call("load_embedder")
            self._loaded = True

    def tokens(self, texts: Sequence[str]) -> list[Tokens]:
        return list(self.process.call("tokens", list(texts)))


# --- batch transcription in several processes ------------------------------------------------

_POOLED: Any = None  # the transcriber of one pool process


def _pool_start(options: WhisperOptions) -> None:
    global _POOLED
    from mockint.hearing.engines import make_transcriber

    _POOLED = make_transcriber(options)
    _POOLED.load()


def hear_file(
    path: str,
    transcriber: Transcriber,
    hints: Hints | None = None,
    load: Callable[[str], np.ndarray] | None = None,
) -> Transcript | str:
    """A recorded file's transcript, phrase by phrase as practice hears it (each phrase
    corrected with ``hints``), or the message of the error that stopped it. ``load`` reads
    the file (:func:`mockint.sound.audio.load_audio` unless given)."""
    from mockint.hearing.listen import heard_by_phrases
    from mockint.hearing.vad import default_vad
    from mockint.sound.audio import load_audio

    try:
        audio = (load or load_audio)(path)
        return heard_by_phrases(audio, transcriber, default_vad(), hints=hints)[0]
    except MockintError as e:
        return str(e)


# recordings one process hears at once: one's voice detector runs while the other's
# phrases decode, and their decodes go to the model together (24 spoken answers, one
# process: 20.2-21.5 s one at a time, 17.6-17.8 s two, 17.4-18.5 s three; the same
# transcripts)
FILES_AT_ONCE = 2


def hear_files(
    jobs: Sequence[tuple[str, Hints | None]],
    transcriber: Transcriber,
    load: Callable[[str], np.ndarray] | None = None,
) -> Iterator[Transcript | str]:
    """:func:`hear_file` of each (path, hints), :data:`FILES_AT_ONCE` at a time, yielded
    in order as each is heard. Closed early (Ctrl-C), the files not begun are dropped;
    those begun end in the background."""
    if len(jobs) <= 1:
        yield from (hear_file(path, transcriber, hints, load) for path, hints in jobs)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(FILES_AT_ONCE, "mockint-file")
    try:
        yield from pool.map(lambda job: hear_file(job[0], transcriber, job[1], load), jobs)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _pool_transcribe(jobs: list[tuple[str, Hints | None]]) -> list[Transcript | str]:
    """Files' transcripts, phrase by phrase as practice hears them, heard together."""
    return list(hear_files(jobs, _POOLED))


class TranscribePool:
    """Audio files transcribed by ``jobs`` processes, each loading the model once; the
    results come back in order (a file that fails gives its error message)."""

    def __init__(self, options: WhisperOptions, jobs: int):
        from dataclasses import replace

        # a process a core: its recordings share one lane (measured, docs/measurements.md)
        self.options, self.jobs = replace(options, lanes=1), jobs
        self._pool: Any = None

    def __call__(self, todo: list[tuple[str, Hints | None]]) -> list[Transcript | str]:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.jobs, mp.get_context("spawn"), _pool_start, (self.options,)
            )
        # each process is given as many files as it hears at once, but no process is left
        # idle for it: two files and two jobs are a file each
        n = max(1, min(FILES_AT_ONCE, -(-len(todo) // self.jobs)))
        groups = [todo[i : i + n] for i in range(0, len(todo), n)]
        return [t for heard in self._pool.map(_pool_transcribe, groups) for t in heard]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
