"""Wiring the real microphone, speaker and models into a practice session.

:func:`practise` checks the devices, starts the model process, loads the
interviewer's voice while the models load, runs the microphone check once
(until one passes), then hands everything to :class:`practice.Practice`.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mockint.bank import Bank
from mockint.config import Paths
from mockint.hearing.transcribe import Transcriber, WhisperOptions
from mockint.rehearsal.miccheck import (
    SECONDS,
    SENTENCE,
    MicCheck,
    record_check,
    remember,
    remembered,
)
from mockint.rehearsal.practice import Events, Practice, PracticeOptions
from mockint.rehearsal.screen import CategorySummary, PracticeUI
from mockint.sound.devices import Recorder
from mockint.sound.speech import Speaker, SpeechOptions
from mockint.storage.intake import import_pending
from mockint.storage.store import Store


class InterviewUI(PracticeUI, Protocol):
    """The practice screen plus the microphone check's."""

    def mic_check_start(self, sentence: str, seconds: float) -> None:
        """Ask the candidate to say ``sentence`` for ``seconds``."""

    def mic_level(self, elapsed: float, level_db: float) -> bool:
        """Show the input level; True skips the check."""

    def mic_check_result(self, c: MicCheck) -> None:
        """The figures, what was heard and the verdict line."""

    def check_again(self) -> bool:
        """After a failed check: True to try again, False to go on to the questions."""


@dataclass(frozen=True)
class DeviceOptions:
    """Which microphone, speaker, voice and Whisper model a session uses."""

    input_device: int | str | None = None
    output_device: int | str | None = None
    # speak the questions (False: only show them)
    tts: bool = True
    voice: str | None = None
    rate: int = SpeechOptions.rate
    model: str = WhisperOptions.model
    threads: int = WhisperOptions.threads
    # the Whisper engine: "ct2" (CTranslate2 int8) or "openai" (openai-whisper fp32)
    engine: str = WhisperOptions.engine
    # the voice engine: "piper" (falls back to pyttsx3 when missing) or "pyttsx3"
    tts_engine: str = "piper"
    # microphone check before the first question: "auto" (until one passes), "always", "never"
    check: str = "auto"

    @property
    def input_name(self) -> str:
        """The input device as the microphone check remembers it."""
        return device_name(self.input_device)


def device_name(device: int | str | None) -> str:
    """How a passed microphone check names its device ("default" for the default one)."""
    return "default" if device is None else str(device)


class EventLog:
    """One JSON line per loop event, with wall-clock time (``--events``, for benchmarks);
    the transcriber's worker thread writes too, so lines are written one at a time."""

    def __init__(self, path: Path | None):
        self._f = open(path, "a", buffering=1) if path else None  # noqa: SIM115
        self._lock = threading.Lock()

    def __call__(self, name: str, data: dict[str, Any]) -> None:
        if self._f is not None:
            line = json.dumps({"t": time.time(), "event": name, **data}, default=str) + "\n"
            with self._lock:
                self._f.write(line)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


def score_workers(threads: int, cores: int | None = None) -> int:
    """The transcriber's workers in practice (``WhisperOptions.workers``: the encoder's
    threads, texts the audio check scores at once): two where the cores allow. The
    recording process leaves a core nearly idle, and a long last phrase's transcription
    is what the candidate waits on after the stop (docs/measurements.md, latency)."""
    cores = cores if cores is not None else os.cpu_count() or 1
    return 2 if cores >= 2 * max(1, threads) else 1


def practise(
    bank: Bank,
    paths: Paths,
    ui: InterviewUI,
    options: PracticeOptions,
    devices: DeviceOptions,
    resume: bool = False,
    events: Events | None = None,
) -> list[CategorySummary]:
    """Run a session with the real microphone, speaker and models (in a child process).

    Devices are checked before anything starts; the voice loads while the models do;
    the microphone is checked once (until a check passes) before the first question.
    """
    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal.worker import ModelProcess, RemoteEmbedder, RemoteTranscriber
    from mockint.sound.devices import SoundDeviceRecorder
    from mockint.sound.speech import SilentSpeaker

    recorder = SoundDeviceRecorder(devices.input_device)
    recorder.check()
    model_proc = ModelProcess(
        WhisperOptions(
            devices.model,
            threads=devices.threads,
            workers=score_workers(devices.threads),
            engine=devices.engine,
        ),
        on_status=ui.status,
    )
    model_proc.start()
    speaker: Speaker = SilentSpeaker()
    try:
        if devices.tts:
            speaker = speaker_for(devices, ui.status, paths.voice_cache)
        if events is not None:
            events("voice", {"engine": speaker.engine})
        transcriber = RemoteTranscriber(model_proc)
        with Store(paths.db) as store:
            added, _ = import_pending(store, paths.pending)
            if added:
                ui.status(f"Stored {added} answer(s) kept aside while the store was unavailable.")
            p = Practice(
                bank,
                store=store,
                recordings=paths.recordings,
                speaker=speaker,
                recorder=recorder,
                transcriber=transcriber,
                embedder=RemoteEmbedder(model_proc),
                ui=ui,
                options=options,
                events=events,
            )
            return _run_checked(p, recorder, transcriber, ui, paths, devices, resume)
    finally:
        speaker.close()  # renders in progress end first
        model_proc.close()


def _run_checked(
    p: Practice,
    recorder: Recorder,
    transcriber: Transcriber,
    ui: InterviewUI,
    paths: Paths,
    devices: DeviceOptions,
    resume: bool,
) -> list[CategorySummary]:
    """Plan the questions, check the microphone while the first one renders (once per
    device until a check passes, unless told otherwise), then run the session."""
    questions = p.resume_plan() if resume else p.plan()
    if questions:  # (none: run() says so, with no check first)
        p.prepare(questions[0].text)  # the voice renders it during the check
        if wants_check(devices.check, paths.mic_check, devices.input_name):
            check_until_settled(recorder, transcriber, ui, paths.mic_check, devices.input_name)
    return p.run(questions)


def check_until_settled(
    recorder: Recorder,
    transcriber: Transcriber | None,
    ui: InterviewUI,
    remember_in: Path | None,
    device: str,
) -> None:
    """The microphone check before a session, again for as long as it fails and the
    candidate asks to try again (a fixed cable, a raised gain); skipped or passed, on."""
    while True:
        c = check_microphone(recorder, transcriber, ui, remember_in, device)
        if c is None or c.passed or not ui.check_again():
            return


def wants_check(mode: str, remembered_in: Path, device: str) -> bool:
    """Whether a session checks the microphone first: ``mode`` is "always", "never" or
    "auto" (until a check has passed on ``device``, as ``remembered_in`` keeps it)."""
    return mode == "always" or (mode == "auto" and not remembered(remembered_in, device))


def speaker_for(
    devices: DeviceOptions, notice: Callable[[str], None], cache: Path | None = None
) -> Speaker:
    """The interviewer's voice: Piper unless ``--tts pyttsx3`` (or Piper is missing); what
    Piper renders is kept in ``cache``."""
    from mockint.sound.speech import SpeechOptions, make_speaker

    return make_speaker(
        devices.tts_engine,
        SpeechOptions(devices.voice, devices.rate, devices.output_device),
        notice,
        cache,
    )


def check_device(
    input_device: int | str | None, model: str, paths: Paths, ui: InterviewUI, seconds: float
) -> MicCheck | None:
    """``mockint check``: the microphone check on a real device with a Whisper model."""
    from mockint.hearing.engines import make_transcriber
    from mockint.hearing.transcribe import WhisperOptions
    from mockint.sound.devices import SoundDeviceRecorder

    recorder = SoundDeviceRecorder(input_device)
    recorder.check()
    transcriber = make_transcriber(WhisperOptions(model), on_status=ui.status)
    return check_microphone(
        recorder, transcriber, ui, paths.mic_check, device_name(input_device), seconds
    )


def check_microphone(
    recorder: Recorder,
    transcriber: Transcriber | None,
    ui: InterviewUI,
    remember_in: Path | None = None,
    device: str = "default",
    seconds: float = SECONDS,
) -> MicCheck | None:
    """The microphone check, on screen: say the sentence, see the verdict (None: skipped).

    A result is remembered per device in ``remember_in``.
    """
    ui.mic_check_start(SENTENCE, seconds)
    c = record_check(recorder, transcriber, seconds, ui.mic_level)
    if c is None:
        ui.status("Microphone check skipped.")
        return None
    ui.mic_check_result(c)
    if remember_in is not None:
        with contextlib.suppress(OSError):
            remember(remember_in, device, c)
    return c
