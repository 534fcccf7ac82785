"""The README is the door and docs/ holds the rest: short, the two commands first,
no link that leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "usage",
    "banks",
    "grading",
    "hearing",
    "models",
    "measurements",
    "architecture",
    "testing",
    "web",
]


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert "make practice" in first_block and "make test" in first_block
    for page in PAGES:
        assert f"(docs/{page}.md)" in text, page


def test_every_relative_link_in_the_docs_leads_somewhere() -> None:
    for doc in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target:
                continue
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_every_figure_in_measurements_says_where_it_was_measured() -> None:
    """Each bench section names its command and a date."""
    text = (ROOT / "docs" / "measurements.md").read_text()
    history = text.index("## Record of the hearing steps")
    for section in re.split(r"\n## ", text[:history])[1:]:
        assert re.search(r"bench/\w+\.py", section), section[:60]
        assert re.search(r"20\d\d-\d\d-\d\d", section), section[:60]
