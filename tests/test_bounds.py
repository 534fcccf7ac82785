"""Bounds that hold whatever the input claims: bank size, ranges and nesting; decoded
audio; FIFOs and devices; graded text; option values and ids. Each case ends in one
`Error:` line (the file and the fix), quickly, with nothing written."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner, Result

from mockint import config
from mockint.bank import MAX_ANSWER_CHARS, MAX_FILE_BYTES, Question, parse_text
from mockint.cli.main import cli
from mockint.errors import BankError
from mockint.grading.assess import Assessor
from mockint.storage.store import Attempt, Store


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error(r: Result, *words: str) -> str:
    assert r.exit_code != 0, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert (
        "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit)
    )
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def no_banks_written(home: Path) -> None:
    assert not (home / "bank").exists() or not list((home / "bank").iterdir())


# --- banks ------------------------------------------------------------------------------------


def test_a_header_of_many_ranges_is_read_in_linear_time(home: Path, tmp_path: Path) -> None:
    """20,000 bullet ranges (400 KB) took a minute: each was compared with every other."""
    n = 10_000
    src = tmp_path / "big.txt"
    src.write_text(
        "".join(f"• C{i}: Q{i}–Q{i}\n" for i in range(n, 0, -1))  # worst order for a scan
        + "".join(f"Q{i}. Why {i}?\nAnswer: because {i}\n" for i in range(1, n + 1))
    )
    started = time.monotonic()
    r = run("bank", "import", str(src))
    assert r.exit_code == 0, r.output
    assert time.monotonic() - started < 20  # was minutes before the ranges were sorted
    src.write_text("• C0: Q0–Q0\n" + src.read_text())  # one range too many
    one_error(run("bank", "import", str(src), "--name", "b2"), "more than 10,000 category ranges")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("- A: Q10–Q20\n- B: Q1–Q10\n", "range Q1–Q10 overlaps 'A' (line 1)"),
        ("- A: Q1–Q5\n- B: Q20–Q30\n- C: Q4–Q25\n", "range Q4–Q25 overlaps 'A' (line 1)"),
        ("- A: Q20–Q30\n- B: Q1–Q5\n- C: Q6–Q20\n", "range Q6–Q20 overlaps 'A' (line 1)"),
        ("- A: Q5–Q1\n", "range Q5–Q1 runs backwards"),
    ],
)
def test_overlapping_ranges_are_still_found(header: str, message: str) -> None:
    with pytest.raises(BankError, match=re.escape(message)):
        parse_text(header + "Q1. Why?\nAnswer: because\n", "b.txt")


def test_each_question_finds_its_range() -> None:
    b = parse_text(
        "- C: Q7–Q9\n- A: Q1–Q3\n- B: Q4–Q6\n"
        + "".join(f"Q{i}. Why {i}?\nAnswer: a\n" for i in (1, 3, 4, 6, 7, 9)),
        "b.txt",
    )
    assert [q.category for q in b.questions] == ["A", "A", "B", "B", "C", "C"]
    with pytest.raises(BankError, match="Q10 is outside every category range"):
        parse_text("- A: Q1–Q3\nQ10. Why?\nAnswer: a\n", "b.txt")


@pytest.mark.parametrize(
    "body",
    [
        "a = [\n" * 1500 + "]\n" * 1499,  # 2,999 lines: a RecursionError in tomllib
        "a = " + "{b = " * 40 + "1" + "}" * 40,
        "a = " + "[" * 100_000,
    ],
)
def test_deeply_nested_toml_is_one_line(home: Path, tmp_path: Path, body: str) -> None:
    src = tmp_path / "deep.toml"
    src.write_text(body)
    one_error(run("bank", "import", str(src)), str(src), "nested over 32 deep", "flatten it")
    no_banks_written(home)


def test_a_batch_line_with_no_end_is_an_error_not_all_memory(home: Path) -> None:
    """/dev/zero has no line end: a plain ``for line in f`` read 17 GB of it in 15 s."""
    import resource

    started = time.monotonic()
    with open("/dev/zero", "rb") as zero:  # as standard input: '-'
        r = CliRunner().invoke(cli, ["grade", "--batch", "-"], input=zero)
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert "line 1 is over 1,000,000 characters" in r.output
    assert "1 of the lines failed" in r.output
    assert time.monotonic() - started < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 4_000_000  # KB: far from it


def test_a_batch_from_a_fifo_or_device_is_refused_not_waited_on(home: Path, tmp_path: Path) -> None:
    """A FIFO no one writes to made ``grade --batch`` wait in open() for ever."""
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    for path, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a character device")):
        one_error(run("grade", "--batch", str(path)), str(path), kind, "or '-' to read")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "body",
    [
        "[" + ".".join(["a"] * 100_000) + "]\n",  # a header: 47 s in tomllib
        ".".join(["a"] * 100_000) + " = 1\n",  # a key: over a minute
        "x = {" + ".".join(['"a"'] * 50_000) + " = 1}\n",  # quoted parts, inline
        # an escaped quote does not end a string: the key after it is still counted
        's = """x\\""" y"""\n' + "a." * 20_000 + 'a = 1\nt = """z"""\n',
    ],
)
def test_a_long_dotted_toml_key_is_one_line_at_once(home: Path, tmp_path: Path, body: str) -> None:
    src = tmp_path / "dotted.toml"
    src.write_text(body)
    started = time.monotonic()
    one_error(run("bank", "import", str(src)), str(src), "dotted key of over 32 parts")
    assert time.monotonic() - started < 5
    no_banks_written(home)


def test_a_bank_of_hundreds_of_thousands_of_tables_is_one_line_at_once(
    home: Path, tmp_path: Path
) -> None:
    """290,000 dotted headers (within the 8 MB cap) took tomllib 22 s and 2.4 GB; headers
    inside a string are not tables."""
    src = tmp_path / "tables.toml"
    src.write_text("".join(f"[a{k}.b.c]\n" for k in range(100_000)))
    started = time.monotonic()
    one_error(run("bank", "import", str(src)), str(src), "tables (at most 20,100)", "split it into")
    assert time.monotonic() - started < 5
    no_banks_written(home)
    from mockint.limits import toml_tables

    assert toml_tables('s = """\n[a]\n[b]\n"""\n# [c]\n[[question]]\n') == 1
    assert toml_tables("a.b.c = 1\nd = {e = {f = 1}}\n[[g]]\n") == 4


def test_a_long_bare_toml_word_is_counted_in_linear_time() -> None:
    from mockint.limits import toml_unsafe

    started = time.monotonic()
    assert toml_unsafe("k" * 400_000 + " = 1\n", 32) is None  # one part, a minute before
    assert time.monotonic() - started < 2


def test_brackets_in_toml_strings_and_comments_are_not_nesting(tmp_path: Path) -> None:
    from mockint.bank import load_file

    src = tmp_path / "b.toml"
    text = '"' + "[" * 40 + '"'
    src.write_text(
        f"# {'[' * 40}\n[[question]]\nid = \"Q1\"\ncategory = {text}\ntext = '{'{' * 40}'\n"
        f'answer = """{"[" * 40}\n{"]" * 3}"""\n'
    )
    assert load_file(src).questions[0].category == "[" * 40


def test_a_bank_over_the_size_cap_is_one_line(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "huge.toml"
    src.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    one_error(run("bank", "import", str(src)), str(src), f"more than {MAX_FILE_BYTES:,} bytes")
    no_banks_written(home)


# --- FIFOs and devices: refused where a regular file is expected, never read ------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    p = tmp_path / "answer.flac"
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
@pytest.mark.parametrize(
    "command",
    [["import"], ["bank", "import"], ["transcribe"], ["grade", "-q", "Q1", "--audio"]],
)
def test_a_fifo_or_device_is_refused_at_once(
    home: Path, fifo: Path, special: str, command: list[str]
) -> None:
    path = str(fifo) if special == "fifo" else special
    started = time.monotonic()
    line = one_error(run(*command, path), path, "not a regular file")
    assert time.monotonic() - started < 10, line  # /dev/zero was read to 5 GB; a FIFO hung
    assert not config.paths().db.exists()
    no_banks_written(home)


# --- decoded audio ----------------------------------------------------------------------------


def test_audio_that_would_decode_to_gigabytes_is_refused_before_decoding(tmp_path: Path) -> None:
    import soundfile as sf

    bomb = tmp_path / "bomb.flac"  # 40 s of 8-channel 192 kHz silence: 62 KB, 245 MB decoded
    with sf.SoundFile(bomb, "w", 192000, 8, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros((192000, 8), dtype="int16")
        for _ in range(40):
            f.write(block)
    assert bomb.stat().st_size < 1_000_000
    line = one_error(run("transcribe", str(bomb)), str(bomb), "8-channel 192000 Hz")
    assert "mono 16 kHz" in line


def _unknown_length(flac: Path) -> Path:
    """The FLAC as a streaming encoder leaves it: STREAMINFO's 36-bit total-samples field
    (the low 4 bits of byte 21, then bytes 22-25) 0, "unknown"."""
    b = bytearray(flac.read_bytes())
    assert b[:4] == b"fLaC" and b[4] & 0x7F == 0  # STREAMINFO, first of the metadata
    assert int.from_bytes(b[21:26], "big") & (1 << 36) - 1 > 0
    b[21] &= 0xF0
    b[22:26] = bytes(4)
    out = flac.with_name("unknown-" + flac.name)
    out.write_bytes(b)
    return out


def test_a_flac_of_unknown_length_decodes_up_to_the_cap(tmp_path: Path) -> None:
    """libsndfile counts a FLAC of unknown length as 2**63 - 1 frames: it was refused as
    800639933754.8 minutes long. Now it is decoded, and refused only once its audio passes
    the cap, never more than the cap decoded (and a block)."""
    import tracemalloc

    import soundfile as sf

    from mockint.errors import AudioError
    from mockint.sound.audio import load_audio

    short = tmp_path / "short.flac"
    sf.write(short, (np.sin(np.arange(48000) / 10) * 0.3).astype("float32"), 16000)
    known = load_audio(short)
    assert sf.info(str(_unknown_length(short))).frames == 2**63 - 1  # as the bomb's was
    assert np.array_equal(load_audio(_unknown_length(short)), known)

    bomb = tmp_path / "bomb.flac"  # 40 s of 8-channel 192 kHz silence: 245 MB decoded
    with sf.SoundFile(bomb, "w", 192000, 8, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros((192000, 8), dtype="int16")
        for _ in range(40):
            f.write(block)
    bomb0 = _unknown_length(bomb)
    tracemalloc.start()
    with pytest.raises(AudioError) as e:
        load_audio(bomb0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "over 0.6 minutes of 8-channel 192000 Hz audio" in str(e.value), str(e.value)
    assert peak < 64e6, peak  # the cap's mono (29 MB) and a block, not 245 MB


def test_the_audio_cap_admits_what_mockint_records_and_a_long_stereo_answer() -> None:
    from mockint.sound import audio

    def allowed(seconds: float, channels: int, sr: int) -> bool:
        info = SimpleNamespace(frames=int(seconds * sr), channels=channels, samplerate=sr)
        try:
            audio._frames_allowed(Path("x.wav"), info)
        except audio.AudioError:
            return False
        return True

    assert allowed(3600, 1, 16000)  # the longest answer practice records (--max-seconds)
    assert allowed(6 * 60, 2, 48000)  # a 6-minute 48 kHz stereo WAV
    assert not allowed(3601, 1, 16000)
    assert not allowed(11 * 60, 2, 48000)
    assert not allowed(12 * 60, 8, 192000)  # the 954 KB FLAC that decoded to 4.4 GB


# --- graded text ------------------------------------------------------------------------------


def test_a_huge_typed_answer_is_graded_on_its_first_characters(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    q = Question(
        "Q1",
        "Behavioural",
        "Tell me about a conflict.",
        "I listened to both sides, agreed a plan and we shipped on time.",
        "behavioural",
    )
    text = "At my last job we disagreed about the plan, so I listened and we agreed. " * 1700
    assert len(text) > 120_000
    started = time.monotonic()
    a = Assessor(fake_embedder).assess_text("b", q, text)
    assert time.monotonic() - started < 30  # took 84 s: STAR split the whole text
    assert a.transcript.text == text.strip()  # what was said is kept whole
    cut = [n for n in a.notes if "characters were graded" in n]
    assert cut == [
        f"only the first {MAX_ANSWER_CHARS:,} of its {len(text.strip()):,} characters were "
        "graded: answer in fewer words"
    ]
    assert a.star is not None
    short = Assessor(fake_embedder).assess_text("b", q, text[:1000])
    assert not [n for n in short.notes if "characters were graded" in n]


def test_sentences_of_abbreviations_split_in_linear_time() -> None:
    from mockint.text import sentence_ranges

    text = "I. " * 40_000  # 120 KB: each sentence rejoined the last, searched whole (minutes)
    started = time.monotonic()
    assert sentence_ranges(text) == [(0, len(text) - 1)]
    assert time.monotonic() - started < 20
    assert sentence_ranges("We use e.g. Rust. It is B.Sc. level. Fine.") == [
        (0, 17),
        (18, 36),
        (37, 42),
    ]


# --- option values and ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["practice", "--max-seconds", "nan"], "--max-seconds"),
        (["practice", "--max-seconds", "inf"], "--max-seconds"),
        (["practice", "--silence", "nan"], "--silence"),
        (["practice", "--silence", "-1"], "--silence"),
        (["review", "a1", "--from", "nan"], "--from"),
        (["review", "a1", "--from", "inf"], "--from"),
        (["check", "--seconds", "nan"], "--seconds"),
        (["report", "--session", "99999999999999999999999"], "--session"),
    ],
)
def test_non_finite_and_huge_option_values_are_one_line(
    home: Path, args: list[str], option: str
) -> None:
    r = run(*args)
    assert r.exit_code == 2
    one_error(r, f"'{option}'")


@pytest.fixture
def store(home: Path) -> Path:
    with Store(config.paths().db) as s:
        s.add_attempt(Attempt("resume", "Q8", "C", "an answer", 50.0, 0.5))
    return home


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("99999999999999999999999", "no answers in session 99999999999999999999999"),
        ("a99999999999999999999999", "no attempt 'a99999999999999999999999'"),
        ("²", "'²' is no session"),
    ],
)
def test_huge_or_odd_ids_are_one_line(store: Path, target: str, message: str) -> None:
    one_error(run("review", target), message)


@pytest.mark.parametrize("index", ["2147483648", "99999999999999999999999"])
def test_a_huge_device_index_is_one_line(home: Path, index: str) -> None:
    """sounddevice raised OverflowError (a traceback) for an index past a C int."""
    one_error(run("check", "--input-device", index), f"no input device matching '{index}'")


def test_a_symlink_loop_home_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    monkeypatch.setenv("MOCKINT_HOME", str(loop))
    for args in (["report"], ["review"], ["bank", "list"]):
        one_error(run(*args), "MOCKINT_HOME=", "point MOCKINT_HOME at a directory")


@pytest.mark.parametrize(
    ("value", "who", "what"),
    [("~nonexistentuser/x", "~nonexistentuser", "no such user"), ("~/x", "~", "no home directory")],
)
def test_a_home_of_no_user_is_said_so(
    monkeypatch: pytest.MonkeyPatch, value: str, who: str, what: str
) -> None:
    """It was said to be 'a symlink loop' (expanduser's RuntimeError, taken for resolve's)."""
    monkeypatch.setenv("MOCKINT_HOME", value)
    if who == "~":  # no $HOME, and a user the password file does not know

        def unknown(uid: int) -> None:
            raise KeyError(uid)

        monkeypatch.delenv("HOME")
        monkeypatch.setattr("pwd.getpwuid", unknown)
    line = one_error(run("report"), f"MOCKINT_HOME={value}: {who}: {what}")
    assert line.endswith(": give the full path") and "loop" not in line


@pytest.mark.parametrize("kind", ["file", "dev-null", "proc"])
def test_a_home_that_is_no_writable_directory_is_one_line(
    kind: str, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MOCKINT_HOME a file or /dev/null: import ended in FileExistsError; /proc/self in
    FileNotFoundError (the archive is a real export)."""
    assert run("export", str(tmp_path / "a.zip")).exit_code == 0
    target = {"file": tmp_path / "plain", "dev-null": Path("/dev/null"), "proc": Path("/proc/self")}
    (tmp_path / "plain").write_text("x")
    monkeypatch.setenv("MOCKINT_HOME", str(target[kind]))
    one_error(run("import", str(tmp_path / "a.zip")), "point MOCKINT_HOME at a directory")
    if kind != "proc":  # /proc/self is a directory: a report there finds no answers
        one_error(run("report"), "point MOCKINT_HOME at a directory")
    assert (tmp_path / "plain").read_text() == "x"


def test_a_typed_answer_that_an_import_would_refuse_is_refused_at_once(
    home: Path, tmp_path: Path
) -> None:
    """What is stored, an export carries and an import takes: no control characters, at
    most 200,000 characters (a grade --batch answer with an escape sequence exported,
    then its import refused the archive)."""
    line = one_error(run("grade", "-q", "Q1", "--text", "I lead \x1b]0;pwned\x07 teams", "--save"))
    assert "control character U+001B" in line
    one_error(run("grade", "-q", "Q1", "--text", "x " * 100_001), "at most 200,000")
    src = tmp_path / "b.jsonl"
    src.write_text('{"question": "Q1", "text": "I lead \\u001b[2J teams"}\n')
    r = run("grade", "--batch", str(src), "--save")
    assert r.exit_code == 1 and "line    1  error: the answer holds the control" in r.output
    with Store(config.paths().db) as s:
        assert s.attempts() == []


def test_a_csv_report_shows_a_stored_control_character_never_sends_it(home: Path) -> None:
    with Store(config.paths().db) as s:  # a store made before control characters were refused
        s.add_attempt(Attempt("resume", "Q1", "C\x1b[31m", "a \x1b]0;x\x07 b", 50.0, 0.5))
    out = run("report", "--format", "csv").output
    assert "\x1b" not in out and "\x07" not in out and "C\\x1b[31m" in out


@pytest.mark.parametrize(
    "body",
    [
        'a = """' + '\\"""\n' * 16_000,  # a string left open, tried from every quote: 17 s
        "a = " + '"\\' * 20_000,  # one line of them, ending in a lone backslash
    ],
)
def test_the_toml_checks_read_open_strings_in_linear_time(body: str) -> None:
    from mockint.limits import toml_unsafe

    started = time.monotonic()
    toml_unsafe(body, 32)
    assert time.monotonic() - started < 2


def test_a_toml_number_of_thousands_of_digits_is_one_line(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "big.toml"
    src.write_text(f'[[question]]\nid = {"9" * 5000}\ncategory = "c"\ntext = "t"\nanswer = "a"\n')
    one_error(run("bank", "import", str(src)), "a number of over 4,300 digits")
    src.write_text(f'[[question]]\nid = 0x{"f" * 4000}\ncategory = "c"\ntext = "t"\nanswer = "a"\n')
    one_error(run("bank", "import", str(src)), "has no id")
    no_banks_written(home)


def test_typed_text_that_was_never_utf8_is_one_line(home: Path, tmp_path: Path) -> None:
    one_error(run("grade", "-q", "Q1", "--text", "a\udcffb"), "not UTF-8 text")
    src = tmp_path / "b.jsonl"
    src.write_text('{"question": "Q1", "text": "a\\udc80b"}\n{"question": "Q1", "text": "ok"}\n')
    r = run("grade", "--batch", str(src))
    assert r.exit_code == 1 and "line    1  error: the answer is not UTF-8" in r.output
    assert "line    2 " in r.output and "Traceback" not in r.output


def test_a_batch_line_of_bytes_that_are_not_utf8_is_that_lines_error(
    home: Path, tmp_path: Path
) -> None:
    """One byte that was not UTF-8 ended the whole batch (the lines after it were never
    graded) with an error naming a byte offset, not the line."""
    import json

    def line(text: bytes) -> bytes:
        return b'{"question": "Q8", "text": "' + text + b'"}\n'

    src = tmp_path / "b.jsonl"
    src.write_bytes(line(b"I enjoy logic") + line(b"caf\xe9") + line(b"caf\xc3\xa9 and logic"))
    r = run("grade", "--batch", str(src), "--json", "--save")
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3]
    assert out[1] == {"line": 2, "error": "not UTF-8 text: save the file as UTF-8"}
    assert out[2]["transcript"] == "café and logic"  # UTF-8 read as it is
    assert r.stderr.endswith(f"Error: {src}: 1 of the lines failed (see their errors)\n")
    with Store(config.paths().db) as s:
        assert [a.transcript for a in s.attempts()] == ["I enjoy logic", "café and logic"]


def test_a_batch_starting_with_a_bom_grades_its_first_line(home: Path, tmp_path: Path) -> None:
    """A UTF-8 BOM (a bank may start with one) failed line 1: "Unexpected UTF-8 BOM"."""
    import json

    body = '\ufeff{"question": "Q8", "text": "I enjoy logic"}\r\n{"question": "Q8", "text": "ok"}\n'
    src = tmp_path / "b.jsonl"
    src.write_text(body, encoding="utf-8")
    for r in (
        run("grade", "--batch", str(src), "--json"),
        CliRunner().invoke(cli, ["grade", "--batch", "-", "--json"], input=body.encode()),
    ):
        assert r.exit_code == 0, r.output
        out = [json.loads(x) for x in r.stdout.splitlines()]
        assert [(o["line"], o["transcript"]) for o in out] == [(1, "I enjoy logic"), (2, "ok")]


def test_a_closed_standard_output_is_one_line_not_silence() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [sys.executable, "-m", "mockint", "export", "-"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert r.returncode == 1 and r.stderr.strip() == (
        "Error: standard output is closed: run it with an output"
    ), r.stderr
