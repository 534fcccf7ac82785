"""The bank parser: the shipped source, tolerated variations, and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockint.bank import BankError, import_bank, load_file, parse_text, parse_toml, to_toml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "bank" / "resume.source.txt"

GOOD = """My bank

Categories:
- Basics: Q1–Q2
- Deep — dives: Q3-Q3

Q1. First question?
Answer:
First answer. It has two sentences.
Q2. Second question?
Answer:
Second answer,
over two lines.

Q3. Third?
Answer:
Third answer.
"""


def test_shipped_source_has_200_questions_in_header_ranges() -> None:
    text = SOURCE.read_text()
    header = re.findall(r"^- (.+): Q(\d+)–Q(\d+)$", text, re.M)
    assert len(header) == 14
    bank = parse_text(text, str(SOURCE), "resume")
    assert len(bank.questions) == 200
    assert bank.categories == [name for name, _, _ in header]
    for name, a, b in header:
        ids = [q.id for q in bank.questions if q.category == name]
        assert ids == [f"Q{n}" for n in range(int(a), int(b) + 1)]
    assert all(q.model_answer and q.text for q in bank.questions)


def test_shipped_toml_is_the_imported_source() -> None:
    shipped = load_file(ROOT / "bank" / "resume.toml")
    assert shipped.questions == parse_text(SOURCE.read_text(), str(SOURCE), "resume").questions
    assert (ROOT / "bank" / "resume.toml").read_text() == to_toml(shipped)


def test_tolerates_dashes_missing_blank_lines_and_multiline_answers() -> None:
    bank = parse_text(GOOD, "good.txt")
    assert bank.name == "good"
    assert bank.title == "My bank"
    assert [q.category for q in bank.questions] == ["Basics", "Basics", "Deep — dives"]
    assert bank.questions[1].model_answer == "Second answer,\nover two lines."
    assert bank.get("q2") is bank.get("2") is bank.questions[1]


def test_crlf_and_bom_parse_the_same() -> None:
    crlf = "\ufeff" + GOOD.replace("\n", "\r\n")
    assert parse_text(crlf, "x.txt").questions == parse_text(GOOD, "x.txt").questions


def test_toml_round_trip() -> None:
    bank = parse_text(GOOD, "good.txt")
    again = parse_toml(to_toml(bank), "good.toml")
    assert again == bank


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("Answer:\nThird answer.\n", ""), "good.txt:15: Q3 has no answer"),
        (
            GOOD.replace("Q3. Third?", "Q2. Third?"),
            "good.txt:15: duplicate id Q2 (first at line 10)",
        ),
        (
            GOOD.replace("Q3. Third?", "Q4. Third?"),
            "good.txt:15: Q4 is outside every category range in the header",
        ),
        (GOOD.split("Q1.")[0], "good.txt: no questions found"),
        ("Q1. A?\nAnswer:\nB.\n", "good.txt: no category ranges in the header"),
        # numbers too long for int(): each was a ValueError traceback
        ("T\n\n- A: Q1-Q1\n\nQ" + "1" * 5000 + ". A?\nAnswer:\nB.\n", "good.txt: no questions"),
        ("T\n\n- A: Q1-Q" + "9" * 5000 + "\n\nQ1. A?\nAnswer:\nB.\n", "good.txt: no category"),
    ],
)
def test_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(BankError) as e:
        parse_text(text, "good.txt")
    assert str(e.value).startswith(message)


def test_toml_errors() -> None:
    with pytest.raises(BankError, match=r"x.toml: no questions found"):
        parse_toml("[bank]\nname='x'\n", "x.toml")
    bad = '[[question]]\nid = "A"\ncategory = "C"\ntext = "T?"\n'
    with pytest.raises(BankError, match=r"x.toml:2: question 1 \(A\) has no answer"):
        parse_toml(bad, "x.toml")
    with pytest.raises(BankError, match=r"x.toml:1: not valid TOML"):
        parse_toml("[[question]\n", "x.toml")


def test_import_writes_nothing_when_invalid(tmp_path: Path) -> None:
    src = tmp_path / "bad.txt"
    src.write_text(GOOD.replace("Q3. Third?", "Q9. Third?"))
    dest = tmp_path / "banks"
    with pytest.raises(BankError):
        import_bank(src, dest)
    assert not dest.exists() or not list(dest.iterdir())
    src.write_text(GOOD)
    out = import_bank(src, dest, name="mine")
    assert out == dest / "mine.toml"
    assert len(load_file(out).questions) == 3
    with pytest.raises(BankError, match="exists already"):
        import_bank(src, dest, name="mine")


def test_kinds_from_category_tables_questions_and_category_names(tmp_path: Path) -> None:
    from mockint.bank import parse_toml

    text = (
        '[bank]\nname = "k"\n\n[[category]]\nname = "People"\nkind = "behavioral"\n\n'
        '[[question]]\nid = "Q1"\ncategory = "People"\ntext = "Conflict?"\nanswer = "A."\n\n'
        '[[question]]\nid = "Q2"\ncategory = "Code"\ntext = "Why tests?"\nanswer = "B."\n'
        'kind = "behavioural"\n\n'
        '[[question]]\nid = "Q3"\ncategory = "Code"\ntext = "What is ORM?"\nanswer = "C."\n'
    )
    b = parse_toml(text, "k.toml")
    assert [q.kind for q in b.questions] == ["behavioural", "behavioural", "technical"]
    again = parse_toml(to_toml(b), "k.toml")
    assert again.questions == b.questions
    assert to_toml(b).count("[[category]]") == 1  # People whole; Q2 marked on its own
    with pytest.raises(BankError, match="kind 'soft' must be technical or behavioural"):
        parse_toml(text.replace('kind = "behavioral"', 'kind = "soft"'), "k.toml")


def test_the_resume_banks_career_and_soft_skill_categories_are_behavioural() -> None:
    b = load_file(ROOT / "bank" / "resume.toml")
    kinds = {q.category: q.kind for q in b.questions}
    assert {c for c, k in kinds.items() if k == "behavioural"} == {
        "General profile and career",
        "Soft skills and behavioural questions",
    }


def test_a_file_name_with_an_escape_imports_a_bank_that_loads(tmp_path: Path) -> None:
    """The bank's source is its file name: an escape there was stored raw, then every
    load refused the stored bank (and a re-import said it existed already)."""
    src = tmp_path / "bank\x1b[31m.txt"
    src.write_text(GOOD)
    dest = tmp_path / "banks"
    out = import_bank(src, dest)
    assert out == dest / "bank-31m.toml"
    b = load_file(out)
    assert b.source == "bank\\x1b[31m.txt" and len(b.questions) == 3


def test_nothing_is_written_unless_the_bank_as_stored_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mockint.bank as bank

    src = tmp_path / "mine.txt"
    src.write_text(GOOD)
    real = bank.to_toml
    monkeypatch.setattr(bank, "to_toml", lambda b: real(b).replace('"My bank"', '"My\\u001b"'))
    dest = tmp_path / "banks"
    with pytest.raises(BankError, match="control character U\\+001B"):
        import_bank(src, dest)
    assert not dest.exists() or not list(dest.iterdir())


@pytest.mark.parametrize(
    "entry",
    [
        "q2. Second question?",
        "Q2 Second question?",
        "Q 2. Second question?",
        "**Q2.** Second question?",
        "2. Second question?",
        "Q2 - Second question?",
        "Question 2. Second question?",
        "Second question?",
    ],
)
def test_an_entry_line_in_another_shape_is_refused_not_merged_into_the_answer_above(
    entry: str, tmp_path: Path
) -> None:
    """It was read as answer text, its 'Answer:' too: Q1's grading key held Q2, and the
    import said it succeeded with a question fewer."""
    text = GOOD.replace("Q2. Second question?", entry)
    with pytest.raises(BankError) as e:
        parse_text(text, "good.txt")
    assert str(e.value) == (
        "good.txt:11: a second 'Answer:' in Q1's answer: an entry line above it is not in "
        "the form 'QN. question': write that line so"
    )
    src = tmp_path / "good.txt"
    src.write_text(text)
    with pytest.raises(BankError):
        import_bank(src, tmp_path / "banks")
    assert not (tmp_path / "banks").exists()


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("Q2. Second question?\nAnswer:\n", "q2) Second question?\n", "good.txt:10: Q2"),
        ("Q1. First question?", "q1. First question?", "good.txt:7: Q1"),  # read as header
    ],
)
def test_an_entry_in_another_shape_without_a_second_answer_line_is_named(
    old: str, new: str, where: str
) -> None:
    with pytest.raises(BankError) as e:
        parse_text(GOOD.replace(old, new), "good.txt")
    n = where[-1]
    assert str(e.value) == (
        f"{where} of the range 'Basics' has no entry: this line looks like it "
        f"but is not in the form 'Q{n}. question': write it so"
    )


def test_a_range_may_have_gaps_but_a_line_like_the_missing_entry_is_named() -> None:
    # a question deleted leaves a gap in its range: that bank imports as before
    text = GOOD.replace("- Deep — dives: Q3-Q3", "- Deep — dives: Q3-Q4")
    assert [q.id for q in parse_text(text, "good.txt").questions] == ["Q1", "Q2", "Q3"]
    # a line that looks like the missing entry, with no 'Answer:' after it, is named
    lost = text.replace("Second answer,\nover two lines.", "Second answer.\nq4) Why not?")
    with pytest.raises(BankError, match=r"good\.txt:\d+: Q4 of the range 'Deep — dives'"):
        parse_text(lost, "good.txt")
    # 'answer:' inside an answer, not as the format writes it, is answer text
    said = text.replace("Second answer,\nover two lines.", "I say:\nanswer: the short one.")
    assert parse_text(said, "good.txt").questions[1].model_answer.endswith("the short one.")


def test_numbered_lists_and_q_words_in_answers_still_parse() -> None:
    answer = "Three steps:\n1. Profile it.\n2) Index the slow query.\nQ3 results: twice as fast."
    text = GOOD.replace("Second answer,\nover two lines.", answer)
    bank = parse_text(text, "good.txt")
    assert [q.id for q in bank.questions] == ["Q1", "Q2", "Q3"]
    assert bank.questions[1].model_answer == answer


def test_replace_swaps_a_symlinked_bank_for_a_file_and_never_writes_through_it(
    tmp_path: Path,
) -> None:
    """A link in the data directory's bank/ was written through: --replace overwrote the
    file it named, outside the data directory."""
    outside = tmp_path / "notes.toml"
    outside.write_text("x\n")
    dest = tmp_path / "home" / "bank"
    dest.mkdir(parents=True)
    (dest / "linked.toml").symlink_to(outside)
    (dest / "gone.toml").symlink_to(tmp_path / "nothing.toml")
    src = tmp_path / "mine.txt"
    src.write_text(GOOD)
    with pytest.raises(BankError, match="exists already"):  # a dangling link is a bank too
        import_bank(src, dest, name="gone")
    for name in ("linked", "gone"):
        out = import_bank(src, dest, name=name, replace=True)
        assert out == dest / f"{name}.toml" and not out.is_symlink()
        assert len(load_file(out).questions) == 3
    assert outside.read_text() == "x\n"
    assert not (tmp_path / "nothing.toml").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["gone.toml", "linked.toml"]
