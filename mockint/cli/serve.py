"""``mockint serve``: the app lives in :mod:`mockint.web`."""

from __future__ import annotations

from pathlib import Path

import click

from mockint import config
from mockint.cli.common import LibraryDefault

SERVE = "mockint.web.server:ServeOptions"


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=LibraryDefault(f"{SERVE}.port"),
    show_default=True,
    help="Port (a free one is picked if it is taken; 0: any).",
)
@click.option(
    "--host",
    default=LibraryDefault(f"{SERVE}.host"),
    show_default=True,
    help="Address to listen on; anything but loopback is reachable by others.",
)
@click.option("--no-open", is_flag=True, help="Print the URL without opening the browser.")
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
def serve(port: int, host: str, no_open: bool, events: Path | None) -> None:
    """Practise and review in your browser: a local app on this computer.

    Prints its address with a one-time token (http://127.0.0.1:PORT/?token=...)
    and opens it. Ctrl-C stops it. One server per data directory.

    Example: mockint serve --no-open
    """
    from mockint.rehearsal.interview import EventLog
    from mockint.web.server import ServeOptions, run

    log = EventLog(events) if events else None
    try:
        run(
            config.paths(),
            ServeOptions(host, port, not no_open),
            lambda url: click.echo(url),
            lambda line: click.echo(line, err=True),
            log,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if log is not None:
            log.close()


COMMANDS = [serve]
