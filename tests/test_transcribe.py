"""Whisper through the converted checkpoint on real human speech."""

from __future__ import annotations

import numpy as np
import pytest

from bench.wer import edit_distance, normalise, wer
from mockint.hearing.engines import make_transcriber
from mockint.hearing.respell import Corrector
from mockint.hearing.transcribe import WhisperOptions
from mockint.hearing.vocabulary import Hints
from mockint.sound.audio import load_audio

from .conftest import espeak, fleurs
from .noises import NON_SPEECH


def test_wer_normalises_both_sides() -> None:
    assert normalise("Twenty-five, Mr. Smith!") == normalise("25 mister smith")
    assert edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert wer(["the cat sat"], ["The cat sat."]) == 0.0
    assert wer(["the cat sat on"], ["the dog sat"]) == 0.5


@pytest.mark.slow
def test_fleurs_utterance_within_10_percent_wer(transcriber) -> None:  # type: ignore[no-untyped-def]
    path, ref = fleurs()[0]
    t = transcriber.transcribe(load_audio(path))
    assert wer([ref], [t.text]) <= 0.10, t.text
    # words come with increasing times inside the audio
    starts = [w.start for w in t.words]
    assert len(t.words) >= 15 and starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= t.duration + 0.5 for w in t.words)
    assert t.segments and t.segments[0].text


@pytest.mark.slow
def test_silence_transcribes_to_nothing(transcriber) -> None:  # type: ignore[no-untyped-def]
    assert transcriber.transcribe(np.zeros(16000 * 2, dtype=np.float32)).text == ""


@pytest.mark.slow
def test_phrase_transcript_is_as_good_as_the_whole_recording(transcriber) -> None:  # type: ignore[no-untyped-def]
    """Practice transcribes phrase by phrase while the candidate speaks: no worse than whole."""
    from mockint.hearing.listen import transcribe_by_phrases
    from mockint.hearing.vad import default_vad

    from .conftest import joined_fleurs

    audio, ref = joined_fleurs()
    whole = wer([ref], [transcriber.transcribe(audio).text])
    phrases = transcribe_by_phrases(audio, transcriber, default_vad())
    assert wer([ref], [phrases.text]) <= whole + 0.01, (whole, phrases.text)
    assert phrases.words[-1].end > 0.9 * len(audio) / 16000 - 3


@pytest.fixture(scope="module")
def ct2():  # type: ignore[no-untyped-def]
    from mockint.hearing.engines import CT2Transcriber

    t = CT2Transcriber()
    t.load()
    return t


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(NON_SPEECH))
@pytest.mark.parametrize("engine", ["openai", "ct2"])
def test_non_speech_gives_an_empty_transcript(kind: str, engine: str, transcriber, ct2) -> None:  # type: ignore[no-untyped-def]
    t = (transcriber if engine == "openai" else ct2).transcribe(NON_SPEECH[kind]())
    assert t.text == "" and t.words == () and t.segments == (), t


def _hot_decodes(engine: str, transcriber) -> list[float]:  # type: ignore[no-untyped-def]
    """Wrap the engine's own decode call to note each temperature above 0 it samples at."""
    model = transcriber.load()
    target, name = (model.model, "generate") if engine == "ct2" else (model, "decode")
    inner, hot = getattr(target, name), []

    def noted(*args, **kwargs):  # type: ignore[no-untyped-def]
        if engine == "ct2":
            t = float(kwargs.get("sampling_temperature", 0.0) or 0.0)
        else:
            t = float((args[1] if len(args) > 1 else kwargs["options"]).temperature)
        if t > 0:
            hot.append(t)
        return inner(*args, **kwargs)

    setattr(target, name, noted)  # this instance only
    return hot


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai", "ct2"])
def test_an_unsure_decode_is_kept_not_sampled_again(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Words no one knows decode unsurely at temperature 0; that decode is kept, never
    sampled hotter. Asserted as behaviour (no decode above temperature 0, the transcript
    of a temperature-0-only engine), not as a count of decoder calls: how many windows
    and stretches are decoded again can differ with a CPU's rounding (an AVX-512 Xeon
    decoded a stretch twice)."""
    audio = load_audio(
        espeak("Zorbak mintel fasquo dreniv plotu, kresh vandu imorel.", tmp_path / "unsure.wav")
    )
    cold = make_transcriber(WhisperOptions(engine=engine, temperatures=(0.0,)), correction=None)
    kept = make_transcriber(WhisperOptions(engine=engine), correction=None)
    hot = _hot_decodes(engine, kept)
    heard = kept.transcribe(audio).text
    assert heard and heard == cold.transcribe(audio).text
    assert hot == []  # not tried again hotter
    # the option to try again hotter samples seeded: the same audio, the same transcript
    hotter = [
        make_transcriber(WhisperOptions(engine=engine, resample_unsure=True), correction=None)
        for _ in range(2)
    ]
    assert hotter[0].transcribe(audio).text == hotter[1].transcribe(audio).text


@pytest.mark.slow
def test_the_ct2_engine_hears_what_openai_whisper_hears(transcriber, ct2) -> None:  # type: ignore[no-untyped-def]
    refs, ours, theirs = [], [], []
    for path, ref in fleurs():  # all ten: one clip more or less is a point of WER
        audio = load_audio(path)
        refs.append(ref)
        ours.append(ct2.transcribe(audio))
        theirs.append(transcriber.transcribe(audio).text)
    assert wer(refs, [t.text for t in ours]) <= wer(refs, theirs) + 0.01
    words = ours[0].words
    assert len(words) >= 15 and [w.start for w in words] == sorted(w.start for w in words)
    assert ct2.name == "whisper-tiny.en-ct2-int8" and ct2.sha256


def test_a_word_stretched_over_others_marks_words_dropped_before_it() -> None:
    from mockint.hearing.transcribe import STRETCHED_WORD, dropped_stretches
    from mockint.transcript import Segment, Transcript, Word

    said = [
        ("This", 0.0, 0.3),
        ("is", 0.3, 0.5),
        ("simple.", 0.5, 1.0),
        ("Using", 12.0, 12.2),
        ("the", 12.2, 12.4),
        ("Synchronous", 12.4, 15.3),
    ]
    segments = (Segment("This is simple.", 0.0, 1.0), Segment("Using the Synchronous", 12.0, 15.3))
    t = Transcript("", segments, tuple(Word(*w) for w in said), 16.0)
    # from the stretched word back to its segment's start (not into the segment before)
    assert dropped_stretches(t) == [(3, 5)]
    short = tuple(Word(w.text, w.start, min(w.end, w.start + STRETCHED_WORD)) for w in t.words)
    assert dropped_stretches(Transcript("", segments, short, 16.0)) == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai", "ct2"])
def test_words_dropped_under_a_long_word_are_heard(engine, transcriber, ct2, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Beam search sometimes ends a window early and the aligner stretches the last word
    it kept over the speech after it: that stretch is decoded again, and the words come
    back with times inside it. A word drawn out over a pause is left as it is."""
    from mockint.transcript import Segment, Transcript, Word

    hearer = transcriber if engine == "openai" else ct2
    path, ref = fleurs()[0]
    audio = load_audio(path)
    heard = hearer.transcribe(audio)
    words = list(heard.words)
    k = next(k for k in range(2, len(words)) if words[-1].end - words[-k].end > 2.5)
    kept, last = words[:-k], words[-k]
    stretched = (*kept, Word(last.text, last.start, words[-1].end))
    dropped = Transcript("", (Segment("", 0.0, words[-1].end),), stretched, heard.duration)
    from mockint.hearing.vad import voiced_frames

    again = hearer._dropped_heard(hearer.load(), audio, dropped, voiced_frames(audio))
    assert len(again.words) >= len(words) - 1, again.text
    # decoded again with less context, at most one word may come out otherwise ("styles"
    # -> "miles" on a CPU without AVX2, where int8 kernels differ)
    one_word = 1.01 / len(normalise(ref))
    assert wer([ref], [again.text]) <= wer([ref], [heard.text]) + one_word, again.text
    assert all(
        kept[-1].end - 0.01 <= w.start <= w.end <= words[-1].end + 0.01
        for w in again.words[len(kept) :]
    )
    assert again.segments and again.segments[-1].text.endswith(again.words[-1].text)
    # the same word stretched over silence instead: not decoded again
    decoded = []
    monkeypatch.setattr(hearer, "_decode", lambda *a: decoded.append(a) or (dropped, None))
    quiet = np.concatenate([audio, np.zeros(16000 * 3, np.float32)])
    end = len(audio) / 16000
    over_pause = Transcript(
        "",
        (Segment("", 0.0, end + 3),),
        (*words[:-1], Word(words[-1].text, words[-1].start, end + 3)),
        end + 3,
    )
    assert (
        hearer._dropped_heard(hearer.load(), quiet, over_pause, voiced_frames(quiet)) is over_pause
        and not decoded
    )


def test_loops_and_stray_punctuation_are_not_speech() -> None:
    from mockint.transcript import Segment, Transcript, Word, clean

    assert clean(Transcript(". . . .", (Segment(". . . .", 0, 1),))).text == ""
    looped = ["I", "think", "go", "go", "go", "go", "go", "go", "we", "should"]
    t = clean(
        Transcript(
            "", (Segment("", 0, 20),), tuple(Word(w, i, i + 0.5) for i, w in enumerate(looped)), 20
        )
    )
    assert t.text == "I think go we should" and t.segments[0].text == t.text
    phrase = ("a little bit of " * 10 + "and done.").split()
    t = clean(Transcript("", (), tuple(Word(w, i, i + 0.5) for i, w in enumerate(phrase)), 60))
    assert t.text == "a little bit of and done."
    # what people do say twice or three times stays
    said = "I had had a very very good day"
    assert clean(Transcript(said)).text == said


def test_pieces_not_led_by_a_space_continue_their_word() -> None:
    """Whisper decodes a spelled acronym as " H", "-T", "-T", "-P": one word, not four."""
    from mockint.transcript import spoken_words

    words = spoken_words(
        [
            (" an", 0.0, 0.2, 0.9),
            (" H", 0.2, 0.3, 0.8),
            ("-T", 0.3, 0.4, 0.7),
            ("-T", 0.4, 0.5, 0.9),
            ("-P", 0.5, 0.6, 0.9),
            (" exception.", 0.6, 1.2, 0.9),
        ]
    )
    assert [w.text for w in words] == ["an", "H-T-T-P", "exception."]
    assert (words[1].start, words[1].end, words[1].probability) == (0.2, 0.6, 0.7)
    assert spoken_words([("-T", 0.0, 0.1, 1.0), (" ", 0.1, 0.2, 1.0)])[0].text == "-T"


@pytest.mark.slow
def test_two_workers_hear_and_score_the_same_as_one(ct2, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Practice's two workers (the encoder on two threads, candidate texts scored two at
    a time) change how soon a transcript comes, not what it says or how texts score."""
    from mockint.hearing.engines import CT2Transcriber
    from mockint.hearing.transcribe import WhisperOptions

    from .conftest import espeak

    said = load_audio(
        espeak("FastAPI handles authentication with OAuth2 and JWT tokens.", tmp_path / "said.wav")
    )
    two = CT2Transcriber(WhisperOptions(workers=2))
    keeper = two.load().model
    assert keeper.encoder is not keeper.model  # the encoder's own, on two threads
    hints = Hints(("FastAPI", "OAuth2", "JWT"), ("FastAPI", "OAuth2", "JWT"))
    one_t, two_t = Corrector(ct2).transcribe(said, hints), Corrector(two).transcribe(said, hints)
    assert one_t == two_t, (one_t.text, two_t.text)
    texts = [one_t.text, one_t.text.replace("JWT", "R2"), "Nothing like it was said."]
    (_, s1), (_, s2) = (t._decode(t.load(), said, len(said) / 16000, hints) for t in (ct2, two))
    assert s1 is not None and s2 is not None
    assert s2(texts) == pytest.approx(s1(texts), abs=1e-4)
    assert two._pool is not None  # the scores ran on the pool


def test_the_audio_check_reads_the_audio_frames_and_the_pad_after_them(monkeypatch) -> None:
    """One encoder frame per 320 samples, rounded up, then SCORE_PAD; the whole window
    where that reaches it, where SCORE_PAD is None, or where the encoding is no array."""
    import ctranslate2

    from mockint.hearing import ct2_engine
    from mockint.hearing.ct2_engine import _scored_part

    window = ctranslate2.StorageView.from_array(np.zeros((1, 1500, 8), np.float32))
    monkeypatch.setattr(ct2_engine, "SCORE_PAD", 100)
    part = _scored_part(window, 1.001)  # 16,016 samples: 51 frames (50 and a bit)
    assert np.asarray(part).shape == (1, 151, 8)
    assert np.asarray(_scored_part(window, 2.0)).shape == (1, 200, 8)
    assert _scored_part(window, 29.0) is window  # 1,450 + 100 reaches the window's end
    opaque = object()
    assert _scored_part(opaque, 2.0) is opaque
    monkeypatch.setattr(ct2_engine, "SCORE_PAD", None)
    assert _scored_part(window, 2.0) is window


@pytest.mark.slow
def test_a_text_scores_what_the_full_alignment_gives_its_tokens(ct2, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The scorer reads the audio's encoder frames and SCORE_PAD after them (not the
    window's padding), and tells align the audio is one frame long: that spares the
    alignment's work, which it does not read, and leaves the tokens' probabilities as a
    full alignment over those frames gives them."""
    from faster_whisper.tokenizer import Tokenizer

    from mockint.hearing.ct2_engine import SCORE_PAD, _scored_part

    said = load_audio(espeak("Celery runs the background jobs with Redis.", tmp_path / "s.wav"))
    model = ct2.load()
    h = ct2.hear(said)
    keeper = model.model
    assert h.score is not None and keeper.first is not None
    tok = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    start = [*tok.sot_sequence, tok.no_timestamps]
    assert SCORE_PAD is not None
    frames = -(-len(said) // 320) + SCORE_PAD
    assert frames < 1500  # a short phrase: the window's padding is not read
    encoding = _scored_part(keeper.first, len(said) / 16000)
    assert np.asarray(encoding).shape[1] == frames
    for text in (h.transcript.text, "Salary runs the background jobs with readies."):
        tokens = tok.encode(" " + text)
        (full,) = keeper.model.align(encoding, start, [tokens], len(said) // 160)
        logs = np.log(np.maximum(np.asarray(full.text_token_probs), 1e-12))
        assert h.score([text])[0] == pytest.approx(float(logs.sum()), abs=1e-4)
    # the ceilings it gives from the text heard are never below what the texts score
    from mockint.hearing.transcribe import Bounded

    assert isinstance(h.score, Bounded)
    heard = h.transcript.text
    others = [heard.replace(w, "Redis") for w in heard.split()] + ["Salary runs."]
    for top, got in zip(h.score.ceilings(heard, others), h.score(others), strict=True):
        assert top >= got


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai", "ct2"])
def test_a_misheard_term_returns_only_where_said(engine, transcriber, ct2, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """espeak-ng's "OAuth2" reaches tiny.en as "R2": a term is put there only where the
    decoder, given the audio, scores the phrase with it higher than as heard. Words that
    only sound a little like the question's terms, in an answer that never said them, stay
    as they are."""
    from mockint.hearing.respell import corrected

    from .conftest import espeak

    said = espeak(
        "FastAPI handles authentication with OAuth2 and JWT tokens.", tmp_path / "said.wav"
    )
    hearer = transcriber if engine == "openai" else ct2
    terms = ("FastAPI", "OAuth2", "JWT")
    h = hearer.hear(load_audio(said), Hints(terms, terms))
    t = corrected(h.transcript, Hints(terms, terms), h.score)
    assert h.score is not None and "JWT" in t.text.split(), t.text
    assert t.text == " ".join(w.text for w in t.words)
    if t.changes:  # each change is one the audio prefers, and keeps what was heard
        assert h.score([t.text])[0] > h.score([h.transcript.text])[0], t.changes
        assert " ".join(w.as_heard for w in t.words) == h.transcript.text
    other = espeak("We had an authentic approach and it went all good too.", tmp_path / "o.wav")
    terms = ("Pydantic", "OAuth2", "JWT")
    t = Corrector(hearer).transcribe(load_audio(other), Hints(terms, terms))
    assert "authentic" in t.text and not {"Pydantic", "OAuth2"} & set(t.text.split()), t.text
    # ... though both were candidates ("authentic" -> Pydantic, "good too" -> OAuth2)
    from mockint.hearing.phonetic import common_words, phonemizer
    from mockint.hearing.terms import term_candidates

    ph = phonemizer()
    assert ph is not None
    tried = term_candidates(t.text, {"Pydantic", "OAuth2"}, ph, common=common_words())
    assert {c.term for c in tried} == {"Pydantic", "OAuth2"}


@pytest.mark.slow
def test_common_words_that_sound_like_a_term_stay_themselves(ct2, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """espeak-ng en-gb's "ready" and "explained" come close enough to Redis and EXPLAIN
    that the audio check alone would take them (it did, when common words were tried as
    candidates); a common word on its own is never one."""
    from .conftest import espeak

    terms = ("Redis", "Celery", "PostgreSQL", "EXPLAIN", "CRUD")
    hints, hearer = Hints(terms, terms), Corrector(ct2)
    answers = [
        "We release a new version every week and the team is ready.",
        "The data is ready, so I post the results and explain them.",
        "I read the logs, then I explained the plan in a short post.",
    ]
    for i, said in enumerate(answers):
        wav = espeak(said, tmp_path / f"{i}.wav", voice="en-gb")
        t = hearer.transcribe(load_audio(wav), hints)
        assert not any(term in t.text for term in ("Redis", "EXPLAIN", "PostgreSQL")), t.text


class _CountingEncoder:
    """A stand-in for CTranslate2's encoder: each output position holds the number of
    frames that call read, so a test sees which call made which part of an encoding."""

    def __init__(self) -> None:
        self.reads: list[int] = []

    def encode(self, features, *args, **kwargs):  # type: ignore[no-untyped-def]
        import ctranslate2

        x = np.asarray(features)
        self.reads.append(x.shape[-1])
        out = np.full((x.shape[0], x.shape[-1] // 2, 4), x.shape[-1], np.float32)
        return ctranslate2.StorageView.from_array(out)


def test_a_spliced_window_encodes_the_sound_and_two_seconds_then_an_empty_window() -> None:
    from mockint.hearing.ct2_engine import SPLICE_PAD, _KeepsEncoding

    enc = _CountingEncoder()
    keeper = _KeepsEncoding(enc, splice=True)
    window = np.zeros((1, 80, 3000), np.float32)
    window[:, :, :500] = 0.3  # 5 s of sound, then faster-whisper's padding (zeros)
    out = np.asarray(keeper.encode(window))
    assert enc.reads == [3000, 500 + SPLICE_PAD]  # the empty window once, then the sound
    assert out.shape == (1, 1500, 4)  # the decoder still reads a whole window
    assert (out[0, : (500 + SPLICE_PAD) // 2] == 500 + SPLICE_PAD).all()
    assert (out[0, (500 + SPLICE_PAD) // 2 :] == 3000).all()  # the empty window's own
    assert keeper.first is not None and keeper.frames == 3000 + 500 + SPLICE_PAD
    # a window of padding alone is the empty window's encoding, with no encoder pass
    assert (np.asarray(keeper.encode(np.zeros((1, 80, 3000), np.float32))) == 3000).all()
    # sound up to the window's end (a long recording's inner window) is encoded whole
    keeper.encode(np.full((1, 80, 3000), 0.3, np.float32))
    assert enc.reads == [3000, 500 + SPLICE_PAD, 3000]


def test_a_whole_window_encodes_all_of_it() -> None:
    from mockint.hearing.ct2_engine import _KeepsEncoding

    enc = _CountingEncoder()
    keeper = _KeepsEncoding(enc, splice=False)
    window = np.zeros((1, 80, 3000), np.float32)
    window[:, :, :500] = 0.3
    keeper.encode(window)
    assert enc.reads == [3000] and keeper.frames == 3000


def test_the_encoder_input_is_chosen_by_name() -> None:
    from mockint.hearing.ct2_engine import CT2Transcriber

    assert WhisperOptions().encode == "spliced"
    with pytest.raises(ValueError, match="spliced, whole"):
        CT2Transcriber(WhisperOptions(encode="half"))


@pytest.mark.slow
def test_the_spliced_window_reads_fewer_frames_and_still_scores(ct2) -> None:  # type: ignore[no-untyped-def]
    """The default reads a clip's sound and 2 s of padding where the whole window reads
    30 s; both hear the clip, and the spliced encoding scores texts for the audio check."""
    from mockint.hearing.engines import CT2Transcriber

    whole = CT2Transcriber(WhisperOptions(encode="whole"))
    path, ref = fleurs()[0]
    audio = load_audio(path)
    read = []
    for t in (ct2, whole):
        keeper = t.load().model
        before = keeper.frames
        h = t.hear(audio)
        read.append(keeper.frames - before)
        assert wer([ref], [h.transcript.text]) <= 0.10, h.transcript.text
        assert h.score is not None
        said, other = h.score([h.transcript.text, "Nothing like it was said here at all."])
        assert said > other
    assert read[1] % 3000 == 0 and read[0] < read[1], read


@pytest.mark.slow
def test_a_recordings_phrases_are_decoded_together_and_heard_as_well(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Offline, a recording's phrases are decoded a group at a time (one batched beam
    search for several windows): fewer decoder calls than phrases, heard as well as one
    at a time. (Whether batched rounding ever moves a word is the CPU's: not asserted.)"""
    from mockint.hearing import listen
    from mockint.hearing.vad import default_vad

    from .conftest import joined_fleurs

    audio, ref = joined_fleurs()
    engine = make_transcriber(WhisperOptions(engine="ct2"))
    gather = engine.load().model.gather
    together = listen.transcribe_by_phrases(audio, engine, default_vad())
    batched = gather.calls
    monkeypatch.setattr(listen, "GROUP", 1)
    alone = listen.transcribe_by_phrases(audio, engine, default_vad())
    phrases = gather.calls - batched  # one decode a phrase (or more: a stretch again)
    assert 0 < batched < phrases * 0.6, (batched, phrases)
    assert wer([ref], [together.text]) <= min(0.10, wer([ref], [alone.text]) + 0.01)
    assert together.words[-1].end > 0.9 * len(audio) / 16000 - 3


@pytest.mark.slow
def test_a_looping_recording_is_heard_the_same_every_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A window that loops is decoded again hotter, by sampling. CTranslate2 seeds its
    draws once a thread, so they depended on what was drawn before and beside them (a
    run's history, phrase threads' timing); each retry now draws from the seed on a fresh
    copy of the model: the same recording, the same transcript, however often heard."""
    from mockint.hearing.listen import transcribe_by_phrases
    from mockint.hearing.vad import default_vad

    audio = load_audio(espeak(", ".join(["yes yes no"] * 30), tmp_path / "loop.wav"))
    engine = make_transcriber(WhisperOptions(engine="ct2"))
    gather = engine.load().model.gather
    sampled: list[float] = []
    fresh = gather.fresh

    def noted():  # type: ignore[no-untyped-def]
        sampled.append(1.0)
        return fresh()

    gather.fresh = noted
    heard = {transcribe_by_phrases(audio, engine, default_vad()).text for _ in range(3)}
    assert sampled, "this audio no longer loops: the test's premise"
    assert len(heard) == 1, heard


@pytest.mark.slow
def test_two_recordings_heard_at_once_decode_side_by_side_as_each_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Offline, two recordings' groups of phrases decode at once, each in a lane of its own
    on two replicas of the model (WhisperOptions.lanes), each heard as it is heard alone."""
    import threading

    from mockint.rehearsal.offline import side_by_side
    from mockint.rehearsal.worker import hear_files

    texts = [
        "I keep functions small, and I write a test before I change a module.",
        "We cache the slow query in Redis, and a worker refreshes it every hour.",
    ]
    files = [str(espeak(t, tmp_path / f"a{i}.wav")) for i, t in enumerate(texts)]
    engine = make_transcriber(side_by_side(WhisperOptions(engine="ct2"), cores=2))
    keeper = engine.load().model
    gathers = keeper.gathers
    assert len(gathers) == 2 and keeper.model.num_workers == 2
    alone = [next(hear_files([(f, None)], engine)) for f in files]
    assert gathers[1].calls == 0  # one recording heard alone: the first lane

    # each lane's first generate waits for the other's: they can only both pass if the two
    # recordings' decodes are under way at the same time (a timeout fails the test)
    meet = threading.Barrier(2, timeout=60)

    class Met:
        def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
            self.model, self.waited = model, False

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.model, name)

        def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not self.waited:
                self.waited = True
                meet.wait()
            return self.model.generate(*args, **kwargs)

    for g in gathers:
        g.model = Met(g.model)
    together = list(hear_files([(f, None) for f in files], engine))
    assert all(g.model.waited for g in gathers) and not meet.broken
    assert [t.text for t in together] == [t.text for t in alone]  # type: ignore[union-attr]
    assert [t.words for t in together] == [t.words for t in alone]  # type: ignore[union-attr]


def test_many_recordings_get_a_lane_each_where_there_is_a_core_for_each() -> None:
    from mockint.rehearsal.offline import side_by_side

    assert WhisperOptions().lanes == 1  # practice, a single answer, a --jobs process
    assert side_by_side(WhisperOptions(), cores=2).lanes == 2
    assert side_by_side(WhisperOptions(), cores=1).lanes == 1
    assert side_by_side(WhisperOptions(threads=2), cores=2).lanes == 1
    assert side_by_side(WhisperOptions(threads=2), cores=4).lanes == 2
