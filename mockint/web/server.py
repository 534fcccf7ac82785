"""Running the app: one server per data directory, on loopback, with a fresh token.

:func:`claim` takes a lock file in the data directory (fcntl, with the pid and
URL in it), so a second ``mockint serve`` on the same directory stops with one
line saying where the first one is. :func:`free_port` finds the port;
:func:`run` serves until Ctrl-C and lets go of the lock.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mockint.config import Paths
from mockint.errors import MockintError

DEFAULT_PORT = 8765


class ServeError(MockintError):
    """The server cannot start (another one runs on this data directory, no free port)."""


@dataclass(frozen=True)
class ServeOptions:
    """Where the app listens and whether it opens the browser."""

    # loopback only unless asked: anything else is reachable by others (it warns)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # open the browser on the URL once the server listens
    open_browser: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warning_for(host: str) -> str | None:
    """The warning a listening address beyond loopback deserves (None for loopback)."""
    if is_loopback(host):
        return None
    return (
        f"Warning: listening on {host}, beyond this computer: anyone who can reach it and "
        "learns the token sees your answers and recordings."
    )


@contextlib.contextmanager
def claim(home: Path) -> Iterator[IO[str]]:
    """Hold the data directory's serve lock (the file says which pid holds it)."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    path = Paths(home).serve_lock
    f = open(path, "a+")  # noqa: SIM115 - held for the server's life
    try:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            f.seek(0)
            held = f.read().split()
            pid = held[0] if held else "?"
            where = f" at {held[1]}" if len(held) > 1 else ""
            raise ServeError(
                f"{path}: mockint serve is already running on this data directory "
                f"(pid {pid}{where}): use that one, or stop it first"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield f
    finally:
        with contextlib.suppress(OSError):
            f.seek(0)
            f.truncate()
        f.close()


def note_url(lock: IO[str], url: str) -> None:
    """Write the server's address (without its token) beside the pid in the lock file."""
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()} {url}\n")
    lock.flush()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``port``, or on a free port if that one is taken (0: any)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0) if port else (0,):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, candidate))
        except OSError as e:
            s.close()
            if candidate == 0 or e.errno != errno.EADDRINUSE:
                raise ServeError(f"cannot listen on {host}:{candidate}: {e.strerror}") from e
            continue
        s.listen(64)
        return s
    raise AssertionError("unreachable")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def run(
    paths: Paths,
    options: ServeOptions,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    events: Any = None,
) -> None:
    """Serve until Ctrl-C: print the URL (with its token) through ``say``, open the browser."""
    import uvicorn

    from mockint.web.app import make_app
    from mockint.web.guard import GuardOptions, local_hosts

    warning = warning_for(options.host)
    if warning:
        warn(warning)
    with claim(paths.home) as lock:
        sock = bind(options.host, options.port)
        port = sock.getsockname()[1]
        shown = "127.0.0.1" if options.host in ("127.0.0.1", "0.0.0.0") else options.host
        token = new_token()
        extra = () if is_loopback(options.host) else (options.host,)
        app = make_app(paths, GuardOptions(token, local_hosts(port, extra)), events)
        base = f"http://{shown}:{port}/"
        url = f"{base}?token={token}"
        note_url(lock, base)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", ws_max_size=1 << 20)
        config.load()  # the protocols imported now: the printed URL is answered at once
        server = uvicorn.Server(config)
        say(url)
        if options.open_browser:
            _open(url)
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()


def _open(url: str) -> None:
    import webbrowser

    with contextlib.suppress(Exception):  # no browser: the URL is printed
        webbrowser.open(url, new=2)
