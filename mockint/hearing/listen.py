"""Hearing one answer: when it starts, where phrases end, when it is over.

Frames go through a :class:`~mockint.hearing.vad.VoiceDetector`; :class:`Endpointer`
turns its verdicts into events (pure: frames in, events out); :class:`Listener`
sends each phrase to the transcriber as soon as it ends, so that when the answer
is over only its tail is left to transcribe. Every rule's number is here.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mockint.hearing.transcribe import Transcriber
from mockint.hearing.vad import FRAME, VoiceDetector
from mockint.hearing.vocabulary import Hints
from mockint.sound.audio import SAMPLE_RATE
from mockint.transcript import Transcript, joined

# speech kept around a phrase (s): before its onset and after its last voiced frame
PAD = 0.3
# a phrase starts this long (s) before the frames that proved speech had begun
ONSET_LEAD = 0.2
# a stretch of the answer, as (first, end) sample
Span = tuple[int, int]
# a phrase queued for transcription: audio, offset (s), tentative key, the detector's verdicts
_Phrase = tuple[np.ndarray, float, "Span | None", "np.ndarray | None"]
# phrases of a recording heard offline that are decoded together (CTranslate2 batches
# beam search: FLEURS joined's ten phrases, generate 1.58-1.64 s one at a time, 1.26-1.44 s
# two, 1.17-1.26 s four, 1.29-1.35 s eight; the same tokens: hearing/gather.py)
GROUP = 4
# frames of level history kept (2 s), searched for a quiet place to cut a long phrase
RMS_HISTORY = 67
CUT_SEARCH = 50  # the last 1.5 s ...
CUT_SKIP = 3  # ... but not the newest 0.1 s


@dataclass(frozen=True)
class EndpointOptions:
    """When speech starts, when a phrase ends, when the answer is over."""

    # silence (s) after speech that ends the answer
    silence: float = 2.5
    # silence (s) that ends a phrase (sent to transcription while the candidate goes on)
    phrase_pause: float = 0.6
    # speech must fill this many of the last `onset_window` frames to count as started
    onset_frames: int = 8
    onset_window: int = 12
    # a phrase is not cut shorter than this (s): Whisper does better with context. Longer
    # phrases hear interview answers better (bench/interview_speech.py, tiny.en: espeak-ng
    # en-us WER 16.9% -> 13.4%, Piper 9.4% -> 8.0% going from 2/5/10 s to 4/12/20 s;
    # 4/10/15 s gave 15.2% and 8.2%, 6/15/25 s 13.6% and 7.9%)
    min_phrase: float = 4.0
    # past this length (s) a short pause is enough to cut
    long_phrase: float = 12.0
    short_pause: float = 0.25
    # at this length (s) the phrase is cut at its quietest 30 ms of the last 1.5 s, pause
    # or not: the tail left when the answer ends must be transcribed within the silence,
    # and it is not always (1.9 s between a phrase's cut and the end; with the term checks
    # a 16 s phrase took 4.4 s offline, 5-6 s live; 8-12 s phrases ~2.2 s: docs/measurements.md)
    max_phrase: float = 20.0
    # silence (s) after a phrase too short to cut on its own (under min_phrase) at which it
    # is transcribed already, in case the answer is over: if it is, the stop does not wait
    # for it (its audio is what the end would have sent); if speech comes back, the phrase
    # goes on and that transcript is dropped
    tail_pause: float = 1.0
    # a silence inside the answer at least this long (s) is a long pause (delivery)
    long_pause: float = 2.5


@dataclass(frozen=True)
class Endpoint:
    """An event from :class:`Endpointer`: kind is 'speech', 'phrase', 'tail' (the open
    phrase may be the last: its last voiced sample) or 'end'; at is a sample."""

    kind: str
    at: int


class Endpointer:
    """Voice-activity endpointing over 30 ms frames (pure: frames in, events out).

    The end-of-answer silence rule starts only once speech has begun.
    """

    def __init__(self, vad: VoiceDetector, options: EndpointOptions | None = None):
        self.vad = vad
        self.o = options or EndpointOptions()
        self._pending = np.zeros(0, np.float32)
        self._pos = 0  # samples consumed
        self._recent: list[bool] = []
        self._rms: list[float] = []  # per frame, the last 2 s
        self.started = False
        self.speech_start = 0
        self.last_voiced = 0  # end sample of the last voiced frame
        self.phrase_start = 0
        self._phrase_cut = True  # no phrase open
        self._tail_sent = False  # a "tail" event for the silence so far
        self.ended = False
        # silences inside the answer at least `long_pause` long: (start, seconds), from the
        # voice detector's frames (what delivery reports; word times miss or invent them)
        self.pauses: list[tuple[float, float]] = []
        # the detector's verdict on every frame so far: a phrase's go with it to the engine,
        # which would otherwise run the detector over the phrase again
        self.verdicts: list[bool] = []

    def feed(self, block: np.ndarray) -> list[Endpoint]:
        """Consume audio; return the events it caused."""
        events: list[Endpoint] = []
        buf = np.concatenate([self._pending, block]) if len(self._pending) else block
        n = len(buf) // FRAME * FRAME
        self._pending = buf[n:].copy()
        for i in range(0, n, FRAME):
            frame = buf[i : i + FRAME]
            voiced = self.vad.is_speech(frame)
            self.verdicts.append(voiced)
            self._pos += FRAME
            self._rms.append(float(np.sqrt(np.mean(frame**2))))
            if len(self._rms) > RMS_HISTORY:
                self._rms.pop(0)
            self._recent.append(voiced)
            if len(self._recent) > self.o.onset_window:
                self._recent.pop(0)
            if voiced:
                gap = (self._pos - FRAME - self.last_voiced) / SAMPLE_RATE
                if self.started and not self.ended and gap >= self.o.long_pause:
                    self.pauses.append((self.last_voiced / SAMPLE_RATE, gap))
                self.last_voiced = self._pos
                self._tail_sent = False
            if not self.started:
                if sum(self._recent) >= self.o.onset_frames:
                    self.started = True
                    back = self.o.onset_window * FRAME
                    self.speech_start = max(0, self._pos - back)
                    self.phrase_start = max(0, self.speech_start - int(ONSET_LEAD * SAMPLE_RATE))
                    self._phrase_cut = False
                    events.append(Endpoint("speech", self.speech_start))
                continue
            if self.ended:
                continue
            if voiced and self._phrase_cut:
                self._phrase_cut = False
            silent = (self._pos - self.last_voiced) / SAMPLE_RATE
            length = (self.last_voiced - self.phrase_start) / SAMPLE_RATE
            cut = -1
            if not self._phrase_cut:
                if (silent >= self.o.phrase_pause and length >= self.o.min_phrase) or (
                    silent >= self.o.short_pause and length >= self.o.long_phrase
                ):
                    cut = min(self._pos, self.last_voiced + int(min(PAD, silent / 2) * SAMPLE_RATE))
                elif self._pos - self.phrase_start >= self.o.max_phrase * SAMPLE_RATE:
                    # the quietest frame of the last 1.5 s (not the newest 0.1 s)
                    window = self._rms[-CUT_SEARCH:-CUT_SKIP]
                    k = int(np.argmin(window))
                    cut = self._pos - (len(window) + CUT_SKIP - k) * FRAME + FRAME // 2
            if cut >= 0:
                events.append(Endpoint("phrase", cut))
                self.phrase_start = cut
                self._phrase_cut = True
            elif not self._phrase_cut and not self._tail_sent and silent >= self.o.tail_pause:
                events.append(Endpoint("tail", self.last_voiced))
                self._tail_sent = True
            if silent >= self.o.silence:
                self.ended = True
                events.append(Endpoint("end", self._pos))
        return events

    def voiced(self, start: int, end: int) -> np.ndarray:
        """The verdicts on the frames of samples [start, end) (by the frame each starts in)."""
        return np.array(self.verdicts[start // FRAME : -(-end // FRAME)], bool)

    @property
    def in_pause(self) -> bool:
        """No speech in the last PAD seconds."""
        return self._pos - self.last_voiced > int(PAD * SAMPLE_RATE)


class PhraseTranscriber:
    """Transcribes phrases in a worker thread while the candidate goes on speaking.

    Submit each phrase as the endpointer cuts it; :meth:`finish` waits for the
    rest and returns the joined transcript. Phrases are not primed with the text
    before them: with tiny.en that prompt set off repetition loops (WER on FLEURS
    phrases rose from 5% to 20%). ``hints`` (the question's vocabulary) go with each.
    A phrase submitted with a ``tentative`` key is held apart (the newest only) until
    :meth:`finish` is told to end with it; one not yet begun when another phrase is
    submitted is skipped (the candidate went on: that phrase holds its audio). Each
    phrase done is reported to ``events`` ("transcribed_phrase": where it starts, its
    seconds of audio, the seconds it took and how many were transcribed with it), so a slow
    result can be traced to a phrase. With ``group`` > 1 (offline, where nobody waits for a
    phrase) phrases are transcribed that many at a time, decoded together where the
    transcriber can (``transcribe_many``), the last group when :meth:`finish` is called.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        hints: Hints | None = None,
        events: Callable[..., None] | None = None,
        group: int = 1,
    ):
        self.transcriber = transcriber
        self.hints = hints
        self.group = max(1, group)
        self._event = events or (lambda *_a, **_k: None)
        self._q: queue.Queue[_Phrase | None] = queue.Queue()
        self._parts: list[Transcript] = []
        self._tentative: dict[Span, Transcript] = {}
        self._wanted: Span | None = None  # the tentative phrase still worth transcribing
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._cancelled = False  # what is still queued is not transcribed (cancel)
        self._thread = threading.Thread(target=self._work, name="transcriber", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        ended = False
        try:
            while not ended and not self._cancelled:
                item = self._q.get()
                if item is None:
                    break
                phrases = [item]
                while len(phrases) < self.group and item[2] is None:  # offline: none tentative
                    item = self._q.get()
                    if item is None:
                        ended = True
                        break
                    phrases.append(item)
                self._hear(phrases)
        finally:
            self._done.set()  # finish() never waits for a worker that is gone

    def _hear(self, phrases: list[_Phrase]) -> None:
        """Transcribe the phrases (together where the transcriber can) and keep them."""
        phrases = [p for p in phrases if p[2] is None or p[2] == self._wanted]
        if self._error is not None or self._cancelled or not phrases:
            return
        began = time.perf_counter()
        many = getattr(self.transcriber, "transcribe_many", None)
        try:
            if many is not None and (len(phrases) > 1 or self.group > 1):  # offline: a lane
                found = many([(audio, self.hints, voiced) for audio, _, _, voiced in phrases])
            else:
                found = [self.transcriber.transcribe(p[0], self.hints, p[3]) for p in phrases]
            heard = [t.shifted(p[1]) for p, t in zip(phrases, found, strict=True)]
        except BaseException as e:  # surfaced by finish()
            self._error = e
            return
        took = time.perf_counter() - began
        for (audio, offset, key, _), t in zip(phrases, heard, strict=True):
            self._event(
                "transcribed_phrase",
                start=round(offset, 2),
                tentative=key is not None,
                seconds=round(len(audio) / SAMPLE_RATE, 2),
                took=round(took, 3),
                together=len(phrases),
            )
            if key is None:
                self._parts.append(t)
            else:
                self._tentative = {key: t}

    def submit(
        self,
        audio: np.ndarray,
        offset: float,
        tentative: Span | None = None,
        voiced: np.ndarray | None = None,
    ) -> None:
        """Queue a phrase that starts ``offset`` seconds into the answer (held apart under
        the key ``tentative`` if given), with the voice detector's verdicts on its frames
        where the caller has them."""
        self._wanted = tentative
        self._q.put((np.asarray(audio, dtype=np.float32), offset, tentative, voiced))

    @property
    def text(self) -> str:
        """What has been transcribed so far."""
        return joined(list(self._parts), 0.0).text

    def finish(
        self, duration: float, timeout: float | None = None, tail: Span | None = None
    ) -> Transcript:
        """Wait for every queued phrase; return the whole transcript, ending with the
        tentative phrase ``tail`` if given."""
        self._q.put(None)
        if not self._done.wait(timeout):
            raise TimeoutError("transcription did not finish in time")
        if self._error is not None:
            raise self._error
        last = [self._tentative[tail]] if tail is not None else []
        return joined(self._parts + last, duration)

    def cancel(self, timeout: float | None = None) -> None:
        """Transcribe nothing more, and wait for the phrase being transcribed (if any): a
        process that ends (Ctrl-C) while a model is at work on another thread crashes. A
        Ctrl-C while waiting (the user pressing again) is raised once the wait is over;
        the first one held says so on stderr, or the second press would seem ignored."""
        self._cancelled = True
        self._q.put(None)
        end = None if timeout is None else time.monotonic() + timeout
        pressed = False
        while True:
            try:
                left = None if end is None else max(0.0, end - time.monotonic())
                if self._done.wait(left) or left == 0.0:
                    break
            except KeyboardInterrupt:
                if not pressed:
                    _say(HELD)
                pressed = True
        if pressed:
            raise KeyboardInterrupt


# what a Ctrl-C held by PhraseTranscriber.cancel says: pressing again changes nothing
HELD = "\nStopping once the phrase being transcribed is done (Ctrl-C again cannot cut it short).\n"


def _say(line: str) -> None:
    """One line on stderr, as the caller's own held Ctrl-C does (``held_interrupt``): the
    wait is in no command's hands, and nothing else tells the user it was heard."""
    import os

    with contextlib.suppress(OSError):  # no stderr (closed) is no reason to stop waiting
        os.write(2, line.encode())


class Listener:
    """Endpointing and phrase transcription over a stream of 16 kHz blocks.

    Each phrase goes to a worker thread as soon as the endpointer cuts it, and
    the last one (too short to cut) once a silence says it may be the last, so
    when the answer ends there is rarely anything left to transcribe. Without
    ``early_tail`` (offline, where nobody waits) the tail waits for the end, and phrases
    may be transcribed ``group`` at a time (see :class:`PhraseTranscriber`).
    """

    def __init__(
        self,
        transcriber: Transcriber,
        vad: VoiceDetector,
        options: EndpointOptions | None = None,
        events: Callable[..., None] | None = None,
        hints: Hints | None = None,
        early_tail: bool = True,
        group: int = 1,
    ):
        self.ep = Endpointer(vad, options)
        self._event = events or (lambda *_a, **_k: None)
        self.phrases = PhraseTranscriber(transcriber, hints, self._event, group)
        self.chunks: list[np.ndarray] = []
        self.samples = 0
        self.cut = 0  # first sample not yet sent for transcription
        self.early_tail = early_tail
        self._tail: Span | None = None  # the stretch sent early, in case it is the last

    def feed(self, block: np.ndarray) -> bool:
        """Take one block; True once the answer has ended (silence after speech)."""
        self.chunks.append(block)
        self.samples += len(block)
        ended = False
        for ev in self.ep.feed(block):
            if ev.kind == "speech":
                self.cut = max(self.cut, ev.at - int(PAD * SAMPLE_RATE))
                self._event("speech_start", at=ev.at / SAMPLE_RATE)
            elif ev.kind == "phrase":
                self._submit(self.cut, ev.at)
                self._event("phrase", start=self.cut / SAMPLE_RATE, end=ev.at / SAMPLE_RATE)
                self.cut = ev.at
            elif ev.kind == "tail" and self.early_tail:
                span = self._tail_span(ev.at)
                if span[1] > span[0]:
                    self._tail = span
                    self._submit(*span, tentative=span)
                    self._event("tail", start=span[0] / SAMPLE_RATE, end=span[1] / SAMPLE_RATE)
            elif ev.kind == "end":
                ended = True
        return ended

    def _submit(self, start: int, end: int, tentative: Span | None = None) -> None:
        """Send samples [start, end) to transcription, with the detector's verdicts."""
        audio = _slice(self.chunks, start, end)
        voiced = self.ep.voiced(start, end)
        self.phrases.submit(audio, start / SAMPLE_RATE, tentative, voiced)

    def _tail_span(self, last_voiced: int) -> Span:
        """What is left to send if the answer ends now: up to just after the last speech."""
        end = min(max(last_voiced + int(PAD * SAMPLE_RATE), self.cut), self.samples)
        return self.cut, end

    @property
    def pauses(self) -> list[tuple[float, float]]:
        """Long pauses inside the answer so far, from voice activity: (start, seconds)."""
        return list(self.ep.pauses)

    @property
    def speaking(self) -> bool:
        return self.ep.started and not self.ep.in_pause

    @property
    def text(self) -> str:
        return self.phrases.text

    def finish(self, timeout: float | None = None) -> Transcript:
        """Send the tail (up to just after the last speech), unless the same stretch was
        sent early, and return the whole transcript."""
        duration = self.samples / SAMPLE_RATE
        if self.ep.started:
            span = self._tail_span(self.ep.last_voiced)
            if span == self._tail:
                self._event("tail_kept", start=span[0] / SAMPLE_RATE, end=span[1] / SAMPLE_RATE)
                return self.phrases.finish(duration, timeout=timeout, tail=span)
            if span[1] > span[0]:
                self._submit(*span)
        return self.phrases.finish(duration, timeout=timeout)

    def abandon(self) -> None:
        self.phrases.finish(0.0, timeout=30)

    def cancel(self) -> None:
        """Stop: nothing more is transcribed; returns once no phrase is being transcribed."""
        self.phrases.cancel()


def voice_pauses(
    audio: np.ndarray, vad: VoiceDetector, options: EndpointOptions | None = None
) -> list[tuple[float, float]]:
    """The long pauses in a recorded answer, by the same rules as while listening."""
    o = options or EndpointOptions(silence=float("inf"))
    ep = Endpointer(vad, o)
    for i in range(0, len(audio), 4800):
        ep.feed(audio[i : i + 4800])
    return ep.pauses


def transcribe_by_phrases(
    audio: np.ndarray,
    transcriber: Transcriber,
    vad: VoiceDetector,
    options: EndpointOptions | None = None,
    block: int = 480,
    hints: Hints | None = None,
) -> Transcript:
    """Transcribe a recording the way practice does while listening: phrase by phrase."""
    return heard_by_phrases(audio, transcriber, vad, options, block, hints)[0]


def heard_by_phrases(
    audio: np.ndarray,
    transcriber: Transcriber,
    vad: VoiceDetector,
    options: EndpointOptions | None = None,
    block: int = 480,
    hints: Hints | None = None,
) -> tuple[Transcript, list[tuple[float, float]]]:
    """A recording's transcript, phrase by phrase as practice hears it (each phrase gets the
    same correction and audio check, whatever the recording's length), and its long pauses,
    from the one pass of the voice detector. Unless ``options`` say otherwise, no silence
    ends the answer: a recording is heard to its end."""
    o = options or EndpointOptions(silence=float("inf"))
    listener = Listener(transcriber, vad, o, hints=hints, early_tail=False, group=GROUP)
    try:
        for i in range(0, len(audio), block):
            listener.feed(audio[i : i + block])
        return listener.finish(), listener.pauses
    except BaseException:  # Ctrl-C: the model's thread ends its phrase before the process
        listener.cancel()
        raise


def _slice(chunks: list[np.ndarray], start: int, end: int) -> np.ndarray:
    """Samples [start, end) of the audio held as consecutive blocks."""
    out = []
    pos = 0
    for c in chunks:
        nxt = pos + len(c)
        if nxt > start and pos < end:
            out.append(c[max(0, start - pos) : min(len(c), end - pos)])
        if nxt >= end:
            break
        pos = nxt
    return np.concatenate(out) if out else np.zeros(0, np.float32)
