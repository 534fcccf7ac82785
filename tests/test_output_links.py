"""Links another user controls, anywhere on an output's way (issue 35, F2): a link of
nobody's in a shared folder (/tmp) as a folder of the path, not only its last part, and
nobody's link in a folder of nobody's own inside a shared one. Each is refused with one
`Error:` line naming the path; nothing is written where the link points. The links are
made by uid 65534 itself, so these need root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockint import config
from mockint.cli.main import cli
from mockint.storage.store import Attempt, Store

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="links made as another user need root")


@pytest.fixture
def shared(home: Path) -> Iterator[Path]:
    """A folder nobody can reach (pytest's own are 0700), holding a sticky, world-writable
    one; a store with one answer, so a report and an export have something to write."""
    with Store(config.paths().db) as s:
        s.add_attempt(Attempt("resume", "Q8", "Loops", "an answer", 50.0, 0.5))
    top = Path(tempfile.mkdtemp(prefix="mockint-links-"))
    top.chmod(0o755)
    (top / "sticky").mkdir()
    (top / "sticky").chmod(0o1777)
    try:
        yield top
    finally:
        shutil.rmtree(top)


def as_nobody(code: str) -> None:
    """Run ``code`` (Python, with os imported) as uid and gid 65534."""
    prefix = f"import os; os.setgid({NOBODY}); os.setuid({NOBODY}); "
    subprocess.run([sys.executable, "-c", prefix + code], check=True)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def refused(r: Result, path: Path) -> None:
    assert r.exit_code == 1, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: "), r.output
    assert "another user" in lines[0] and "choose a path you own" in lines[0]


def test_nobodys_link_to_a_folder_in_a_sticky_folder_is_not_followed(shared: Path) -> None:
    """root's export went through nobody's link (a folder of the path, not its last part)
    and wrote into the folder it named."""
    target = shared / "target_dir"
    target.mkdir()
    as_nobody(f"os.symlink({str(target)!r}, {str(shared / 'sticky' / 'out')!r})")
    out = shared / "sticky" / "out" / "backup.zip"
    refused(run("export", str(out)), out)
    refused(run("report", "-o", str(out)), out)
    assert list(target.iterdir()) == []


def test_nobodys_link_in_nobodys_folder_in_a_sticky_one_is_not_followed(shared: Path) -> None:
    """The link sits in a folder nobody owns (not sticky) inside a sticky one: nobody can
    point it anywhere, and root's report overwrote the file it named."""
    victim = shared / "victim2.txt"
    victim.write_text("victim")
    d = shared / "sticky" / "d"
    as_nobody(f"os.mkdir({str(d)!r}); os.symlink({str(victim)!r}, {str(d / 'r.md')!r})")
    refused(run("report", "--format", "md", "-o", str(d / "r.md")), d / "r.md")
    refused(run("export", str(d / "r.md")), d / "r.md")
    # nobody's link to a folder, inside nobody's folder, is refused too
    as_nobody(f"os.symlink({str(shared)!r}, {str(d / 'sub')!r})")
    refused(run("report", "-o", str(d / "sub" / "x.md")), d / "sub" / "x.md")
    assert victim.read_text() == "victim" and not (shared / "x.md").exists()


def test_ones_own_links_and_roots_are_still_written_through(shared: Path) -> None:
    target = shared / "target_dir"
    target.mkdir()
    mine = shared / "sticky" / "mine"
    mine.symlink_to(target)
    assert run("report", "-o", str(mine / "r.md")).exit_code == 0
    file_link = shared / "sticky" / "r.md"
    file_link.symlink_to(target / "r.md")
    assert run("report", "--format", "md", "-o", str(file_link)).exit_code == 0
    assert file_link.is_symlink() and (target / "r.md").read_text().startswith("#")
