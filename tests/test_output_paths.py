"""Where output may go: a regular file's place only, through a fresh temp name.

`report -o`, `export` and every writer of the library (config.write_atomic) write
into an existing regular file's place or a new name, never replace a directory,
device, FIFO or socket, never follow a planted link to a temp name or another user's
link in a shared folder, and write to an open descriptor (`-`, /dev/stdout, /dev/fd/N,
/proc/self/fd/N, a link to one) directly. Each refusal is one `Error:` line naming the path.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockint import config
from mockint.cli.main import cli
from mockint.errors import OutputError
from mockint.storage.store import Attempt, Store


@pytest.fixture
def store(home: Path) -> Path:
    with Store(config.paths().db) as s:
        s.add_attempt(Attempt("resume", "Q8", "Loops", "an answer", 50.0, 0.5))
    return home


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error(r: Result, *words: str) -> str:
    """The output is exactly one `Error: ...` line holding every word; no traceback."""
    assert r.exit_code != 0, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def entries(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()}


# --- not a regular file: refused, left as it was ---------------------------------------------


def _fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


def _socket(p: Path) -> Path:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()
    return p


def _chardev(p: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(p, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a scratch /dev/null
    return p


@pytest.mark.parametrize(
    ("make", "kind"),
    [(_fifo, "FIFO"), (_socket, "socket"), (_chardev, "character device")],
)
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_special_file_is_refused_and_kept(
    store: Path, tmp_path: Path, make, kind: str, command: str
) -> None:
    target = make(tmp_path / "out" if command == "report" else tmp_path / "out.zip")
    before = os.lstat(target)
    args = ["report", "-o", str(target)] if command == "report" else ["export", str(target)]
    one_error(run(*args), str(target), kind, "regular file")
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert after.st_ino == before.st_ino
    assert entries(tmp_path) == {"home", target.name}  # no temp file left beside it


def test_a_directory_is_refused(store: Path, tmp_path: Path) -> None:
    d = tmp_path / "dir"
    d.mkdir()
    for args in (["report", "-o", str(d)], ["export", str(d)]):
        r = run(*args)
        assert r.exit_code != 0 and "Traceback" not in r.output
        assert "directory" in one_error(r, str(d))
    with pytest.raises(OutputError, match="a directory"):
        config.write_atomic(d, "x")
    assert entries(d) == set()


def test_a_missing_folder_is_refused_not_made(store: Path, tmp_path: Path) -> None:
    for args in (
        ["report", "-o", str(tmp_path / "typo" / "deeper" / "r.txt")],
        ["export", str(tmp_path / "typo" / "deeper" / "b.zip")],
    ):
        one_error(run(*args), str(tmp_path / "typo" / "deeper"), "no such folder")
    assert not (tmp_path / "typo").exists()


def test_an_empty_output_path_is_one_line(store: Path) -> None:
    one_error(run("report", "-o", ""))


@pytest.mark.parametrize(
    "name", ["mockint.db", "mockint.db-wal", "recordings/a1.flac", "bank/resume.toml"]
)
@pytest.mark.parametrize("command", ["report", "export"])
def test_mockints_own_files_are_never_an_output(store: Path, name: str, command: str) -> None:
    """`export $HOME/mockint.db` and `report -o $HOME/mockint.db` replaced the store: every
    answer lost; a recording's name replaced the recording."""
    target = store / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"kept")
    before = target.read_bytes()
    args = ["report", "-o", str(target)] if command == "report" else ["export", str(target)]
    one_error(run(*args), str(target), "mockint's own data")
    assert target.read_bytes() == before
    with Store(config.paths().db) as s:
        assert len(s.attempts()) == 1
    # through a link, or a path that names the same file another way
    link = store.parent / "link.db"
    link.symlink_to(store / "mockint.db")
    one_error(run("report", "-o", str(link)), "mockint's own data")
    one_error(run("export", str(store / "recordings" / ".." / "mockint.db")), "own data")
    assert run("report", "-o", str(store / "report.md")).exit_code == 0  # beside them: fine


def test_a_store_or_recordings_kept_elsewhere_by_a_link_are_still_mockints(
    home: Path, tmp_path: Path
) -> None:
    """Data on another disk: the store and recordings/ links to it; `report -o` onto the
    link's name replaced the store (resolved on one side only)."""
    elsewhere = tmp_path / "disk"
    (elsewhere / "recordings").mkdir(parents=True)
    home.mkdir(parents=True, exist_ok=True)
    (home / "mockint.db").symlink_to(elsewhere / "m.db")
    (home / "recordings").symlink_to(elsewhere / "recordings", target_is_directory=True)
    with Store(config.paths().db) as s:
        s.add_attempt(Attempt("resume", "Q8", "Loops", "an answer", 50.0, 0.5))
    flac = elsewhere / "recordings" / "a1.flac"
    flac.write_bytes(b"sound")
    hard = tmp_path / "hard.db"
    os.link(elsewhere / "m.db", hard)
    for target in (home / "mockint.db", elsewhere / "m.db", hard, home / "recordings" / "a1.flac"):
        one_error(run("report", "-o", str(target), "--format", "json"), "mockint's own data")
        one_error(run("export", str(target)), "mockint's own data")
    assert flac.read_bytes() == b"sound"
    with Store(config.paths().db) as s:
        assert len(s.attempts()) == 1


# --- stdout: written directly -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_stdout_is_written_directly(store: Path, name: str) -> None:
    r = run("report", "--format", "json", "-o", name)
    assert r.exit_code == 0, r.output
    assert '"bank": "resume"' in r.output


def test_export_to_stdout_streams_the_zip(store: Path) -> None:
    r = CliRunner().invoke(cli, ["export", "-"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes[:2] == b"PK" and "Exported 1 answer and" in r.stderr


# --- links: a planted temp name is not followed; a link is written through or refused ---------


def test_a_planted_temp_link_is_not_followed(store: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".report.html.tmp").symlink_to(victim)
    r = run("report", "--format", "html", "-o", str(tmp_path / "report.html"))
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "precious"
    assert (tmp_path / ".report.html.tmp").is_symlink()
    assert "<html" in (tmp_path / "report.html").read_text()


def test_a_link_to_a_regular_file_is_written_through(store: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("report", "--format", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and '"bank"' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its permissions


def _fd_names(tmp_path: Path, fd: int) -> list[str]:
    link = tmp_path / f"link-{fd}"
    link.symlink_to(f"/dev/fd/{fd}")
    return [f"/dev/fd/{fd}", f"/proc/self/fd/{fd}", f"/proc/{os.getpid()}/fd/{fd}", str(link)]


def test_a_descriptor_is_written_to_and_a_link_to_it_kept(store: Path, tmp_path: Path) -> None:
    """A pipe's write end named by /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N or a link to
    one: the report goes into the pipe, the link stays (it was refused, or replaced)."""
    r_end, w_end = os.pipe()
    try:
        for name in _fd_names(tmp_path, w_end):
            r = run("report", "--format", "json", "-o", name)
            assert r.exit_code == 0, (name, r.output)
            assert b'"bank": "resume"' in os.read(r_end, 1 << 16), name
        assert os.readlink(tmp_path / f"link-{w_end}") == f"/dev/fd/{w_end}"
    finally:
        os.close(r_end)
        os.close(w_end)


def _mockint(args: list[str], **streams: object) -> subprocess.CompletedProcess[bytes]:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    cmd = [sys.executable, "-m", "mockint", *args]
    return subprocess.run(cmd, env=env, timeout=120, **streams)  # type: ignore[call-overload,no-any-return]


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        ("/dev/fd/1", "stdout"),
        ("/proc/self/fd/1", "stdout"),
        ("link", "stdout"),
        ("/dev/stderr", "stderr"),
        ("/dev/fd/2", "stderr"),
    ],
)
def test_a_log_the_shell_appends_to_is_appended_to(
    store: Path, tmp_path: Path, name: str, stream: str
) -> None:
    """``report -o /dev/fd/1 >> app.log``: the log keeps what it held (the file behind the
    descriptor was replaced by the report)."""
    log = tmp_path / "app.log"
    log.write_bytes(b"precious log\n")
    if name == "link":
        (tmp_path / "link").symlink_to("/dev/stdout")
        name = str(tmp_path / "link")
    with open(log, "ab") as f:
        other = "stderr" if stream == "stdout" else "stdout"
        r = _mockint(["report", "-o", name], **{stream: f, other: subprocess.PIPE})
    assert r.returncode == 0, r
    text = log.read_text()
    assert text.startswith("precious log\nBank resume"), text
    assert (tmp_path / "link").is_symlink() or name != str(tmp_path / "link")


def test_an_export_appended_through_a_descriptor_is_a_whole_archive(
    store: Path, tmp_path: Path
) -> None:
    """zipfile seeks back to each entry's header in a file: appended to, each write lands
    at the end; written to a descriptor, the archive is streamed instead."""
    import zipfile

    out = tmp_path / "out.zip"
    out.write_bytes(b"head\n")
    with open(out, "ab") as f:
        r = _mockint(["export", "/dev/fd/1"], stdout=f, stderr=subprocess.PIPE)
    assert r.returncode == 0, r
    assert out.read_bytes().startswith(b"head\n")
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None and "mockint.db" in z.namelist()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_a_descriptor_not_open_for_writing_is_one_line(store: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("keep")
    fd = os.open(kept, os.O_RDONLY)
    free = next(n for n in range(900, 1000) if not _is_open(n))
    try:
        one_error(run("report", "-o", f"/dev/fd/{fd}"), f"/dev/fd/{fd}", "reading only")
        one_error(run("export", f"/proc/self/fd/{free}"), f"descriptor {free} is not open")
    finally:
        os.close(fd)
    assert entries(tmp_path) == {"home", "kept.txt"} and kept.read_text() == "keep"


# --- another user's link in a shared folder (/tmp): not followed --------------------------


def test_another_users_link_in_a_sticky_folder_is_not_followed(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's protected_symlinks rule, whatever it is set to: in a world-writable
    sticky folder, a link owned by neither this user nor the folder's owner is refused
    (root's report went through nobody's link into the file it named)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("victim")
    planted = shared / "report.txt"
    planted.symlink_to(victim)
    if os.geteuid() == 0:
        os.lchown(planted, 65534, -1)
    else:  # a user cannot give a link away: it is shown owned by another
        real_lstat = os.lstat

        def lstat(p: object) -> os.stat_result:
            st = real_lstat(p)  # type: ignore[arg-type]
            if os.fspath(p) != str(planted):  # type: ignore[call-overload]
                return st
            return os.stat_result((*st[:4], st.st_uid + 1, *st[5:]))

        monkeypatch.setattr(config.os, "lstat", lstat)
    for command in (["report", "-o"], ["export"]):
        line = one_error(run(*command, str(planted)), str(planted), "another user")
        assert "\n" not in line
    assert victim.read_text() == "victim" and planted.is_symlink()
    mine = shared / "mine.txt"  # a link of this user's own is written through
    mine.symlink_to(victim)
    assert run("report", "-o", str(mine)).exit_code == 0
    assert victim.read_text().startswith("Bank resume")


# --- a trailing '/' names a directory ------------------------------------------------------


@pytest.mark.parametrize("tail", ["afile/", "afile/.", "newdir/"])
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_name_ending_in_a_slash_is_a_directory(
    store: Path, tmp_path: Path, tail: str, command: str
) -> None:
    """pathlib drops a trailing '/' and '/.': 'out/afile/' replaced the file afile, and
    'newdir/' made a file named newdir."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "afile").write_text("keep")
    args = [command, "-o"] if command == "report" else [command]
    r = run(*args, f"{out}/{tail}")
    assert r.exit_code == 2
    one_error(r, "names a directory")
    assert entries(out) == {"afile"} and (out / "afile").read_text() == "keep"
    with pytest.raises(OutputError, match="names a directory"):
        config.write_atomic(f"{out}/{tail}", "x")
    assert entries(out) == {"afile"}


def test_a_dangling_or_looping_link_is_one_line(store: Path, tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    one_error(run("report", "-o", str(tmp_path / "dangling")), "symlink to nothing")
    one_error(run("export", str(tmp_path / "loop")), str(tmp_path / "loop"))
    assert not (tmp_path / "nowhere").exists()


# --- the library's writer -------------------------------------------------------------------


def test_write_atomic_uses_a_fresh_temp_name(tmp_path: Path) -> None:
    target = tmp_path / "bank.toml"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / ".bank.toml.tmp").symlink_to(victim)
    config.write_atomic(target, "new")
    assert target.read_text() == "new" and victim.read_text() == "keep"
    assert entries(tmp_path) == {"bank.toml", "victim", ".bank.toml.tmp"}


def test_write_atomic_leaves_nothing_when_writing_fails(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(Boom), config.atomic_writer(target) as f:
        f.write(b"half")
        raise Boom
    assert target.read_text() == "old" and entries(tmp_path) == {"x.txt"}


def test_a_fifo_is_refused_by_write_atomic(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "mic-check.json")
    with pytest.raises(OutputError, match="FIFO"):
        config.write_atomic(fifo, "{}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _to(out: int, *args: str) -> subprocess.CompletedProcess[str]:
    """mockint run as a process of its own, its standard output ``out``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "mockint", *args],
        stdout=out,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [["report", "-o", "-"], ["report", "--format", "md"], ["history"], ["export", "-"]],
)
def test_a_full_standard_output_is_one_line_naming_it(store: Path, args: list[str]) -> None:
    """It names standard output: 'Error: cannot write (...)' named no file, and
    'Error: -: cannot write' left '-' to be decoded."""
    with open("/dev/full", "w") as full:
        r = _to(full.fileno(), *args)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r.stderr
    why = "Error: standard output: cannot write (No space left on device): free some space"
    assert r.stderr.startswith(why), r.stderr


@pytest.mark.parametrize(
    "args", [["report", "--format", "md"], ["report", "-o", "/dev/fd/1"], ["export", "-"]]
)
def test_a_reader_that_stopped_is_no_error(store: Path, args: list[str]) -> None:
    """'mockint export - | head -c 10': the reader is gone before anything is written.
    Nothing is said (as Python's own tools do on a broken pipe), and the exit is 1 (it
    printed 'Error: -: cannot write (Broken pipe): free some space ...')."""
    read, write = os.pipe()
    os.close(read)
    try:
        r = _to(write, *args)
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (1, ""), r.stderr


def test_a_relative_path_from_a_removed_directory_is_one_line(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # the shell still stands in it (a FileNotFoundError traceback)
    for args in (["report", "-o", "x.md"], ["export", "x.zip"]):
        one_error(run(*args), "x.", "current directory no longer exists")
    abs_out = tmp_path / "r.md"
    assert run("report", "-o", str(abs_out)).exit_code == 0 and abs_out.is_file()
