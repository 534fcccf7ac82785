"""Text from a bank, an archive or the store is shown as text: never rich markup, never
HTML in Markdown, never a terminal escape sequence."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from mockint import config
from mockint.bank import Question, load_file
from mockint.cli.main import cli
from mockint.errors import BankError
from mockint.rehearsal.screen import CategorySummary, Listening
from mockint.reports.lines import plain
from mockint.reports.report import Missed
from mockint.storage.store import Attempt, Store
from mockint.terminal import one_line
from mockint.ui import ConsoleUI

CATEGORY = "Loops [/x]"
QUESTION = "Why write list[str] and not [bold]list[/bold]?"
ANSWER = "Close it with [/b]. Never <script>alert(1)</script> or <img src=x onerror=alert(2)>."
ESC = "\x1b]0;pwned\x07\x1b[2J"

BANK = f'''[bank]
name = "hostile"

[[question]]
id = "Q1"
category = "{CATEGORY}"
text = "{QUESTION}"
answer = "{ANSWER}"
'''


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def hostile(home: Path, tmp_path: Path) -> Path:
    src = tmp_path / "hostile.toml"
    src.write_text(BANK)
    assert run("bank", "import", str(src)).exit_code == 0
    points = [
        {"text": ANSWER, "status": "missed", "covered": False},
        {"text": "a [/i] point", "status": "covered", "covered": True, "match": "[/u]"},
    ]
    with Store(config.paths().db) as s:
        for score in (30.0, 40.0):
            s.add_attempt(
                Attempt(
                    "hostile",
                    "Q1",
                    CATEGORY,
                    f"I said list[str] {ESC} and [/b]",
                    score,
                    0.5,
                    key_points=points,
                    notes=[f"note [red]{ESC}"],
                    models={"w": {"name": "tiny[/x]", "sha256": "0" * 64}},
                )
            )
    return home


def no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "Traceback" not in text


def test_report_prints_brackets_literally(hostile: Path) -> None:
    r = run("report")
    assert r.exit_code == 0, r.output
    for literal in (CATEGORY, "list[str]", "[bold]list[/bold]", "[/b]", "note [red]", "tiny[/x]"):
        assert literal in r.output, literal
    no_escapes(r.output)


def test_history_and_review_print_brackets_and_no_escapes(hostile: Path) -> None:
    for args in (["history"], ["review"], ["review", "a1"], ["review", "Q1", "--compare"]):
        r = run(*args, "--bank", "hostile") if args[0] != "review" or len(args) > 1 else run(*args)
        assert r.exit_code == 0, (args, r.output)
        no_escapes(r.output)
    shown = run("review", "a1").output
    assert "list[str] \\x1b]0;pwned\\x07" in shown and CATEGORY in shown


def test_markdown_report_escapes_html(hostile: Path) -> None:
    r = run("report", "--format", "md")
    assert r.exit_code == 0, r.output
    assert "<script>" not in r.output and "<img" not in r.output
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.output
    assert "Loops \\[/x\\]" in r.output  # a Markdown escape: renders as "Loops [/x]"
    no_escapes(r.output)


class NoKeys:
    """No keyboard (the real Keys reads stdin in a thread)."""

    interactive = False

    def poll(self) -> None:
        return None

    def close(self) -> None:
        pass


def test_the_practice_screen_prints_bank_text_as_text(hostile: Path) -> None:
    q = Question("Q1", CATEGORY, QUESTION, ANSWER)
    buf = io.StringIO()
    ui = ConsoleUI(console=Console(file=buf, width=200, highlight=False), keys=NoKeys())
    ui.status(f"loading [/b] {ESC}")
    ui.question(q, 1, 3)
    ui.listening(Listening(1.0, 100.0, -20.0, False, False, "list[str]", hint="[/b] hint"))
    ui.model_answer(q)
    ui.summary(
        [CategorySummary(CATEGORY, 1, 50.0, 50.0)],
        [Missed("Q1", QUESTION, "[/b] point", 1, 1)],
    )
    ui.close()
    out = buf.getvalue()
    for literal in (CATEGORY, QUESTION, "[/b]", "<script>", "loading [/b] \\x1b"):
        assert literal in out, literal
    no_escapes(out)


def test_plain_makes_control_characters_visible() -> None:
    assert plain([(f"a{ESC}b\tc", "")]) == "a\\x1b]0;pwned\\x07\\x1b[2Jb\tc\n"


@pytest.mark.parametrize(
    ("field", "value"),
    [("category", "Loops\\u001b[31m"), ("text", "Why?\\u009b31m"), ("answer", "A\\r\\u0007")],
)
def test_a_bank_with_control_characters_is_refused(
    home: Path, tmp_path: Path, field: str, value: str
) -> None:
    fields = {"category": "Loops", "text": "Why?", "answer": "Because."}
    fields[field] = value
    src = tmp_path / "esc.toml"
    body = "\n".join(f'{k} = "{v}"' for k, v in fields.items())
    src.write_text(f'[[question]]\nid = "Q7"\n{body}\n')
    r = run("bank", "import", str(src))
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {src}: Q7: "), r.output
    assert "control character U+" in lines[0] and "remove it" in lines[0]
    assert not (home / "bank").exists() or not list((home / "bank").iterdir())


def test_a_plain_text_bank_with_an_escape_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "bank.txt"
    src.write_text("- General: Q1–Q1\nQ1. Why \x1b[2J?\nAnswer: because\n")
    with pytest.raises(BankError, match=r"Q1: question text holds the control character U\+001B"):
        load_file(src)


def test_json_output_escapes_c1_controls_losslessly(hostile: Path) -> None:
    import json

    with Store(config.paths().db) as s:
        s.add_attempt(Attempt("hostile", "Q1", CATEGORY, "csi \x9b31m del \x7f", 50.0, 0.5))
    r = run("report", "--format", "json", "--bank", "hostile")
    assert r.exit_code == 0, r.output
    assert "\x9b" not in r.output and "\x7f" not in r.output and "\\u009b31m" in r.output
    # the same JSON to a parser: the transcript comes back as it was stored
    assert "csi \x9b31m del \x7f" in json.dumps(json.loads(r.output), ensure_ascii=False)


def test_one_line_shows_every_line_break_and_reordering_character() -> None:
    text = "a\nb\rc\td\x1b\x85e\u2028f\u2029g\u202eh\u2066i"
    assert one_line(text) == "a\\nb\\rc\\td\\x1b\\x85e\\u2028f\\u2029g\\u202eh\\u2066i"
    assert one_line("plain ünïcode — text") == "plain ünïcode — text"
