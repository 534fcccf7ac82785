"""The ``mockint`` command line: parse, call the library, format. Nothing else.

Commands live in one module per group of tasks; every user-fixable failure the
library raises (a :class:`~mockint.errors.MockintError`) becomes one
``Error: ...`` line and exit code 1, here, in one place.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from mockint import __version__
from mockint.cli import answers, banks, hardware, history, rehearse, serve
from mockint.errors import MockintError
from mockint.terminal import one_line


class _Group(click.Group):
    """A group that turns any MockintError raised by a command into ``Error: ...``, and
    prints usage errors as one line too."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MockintError as e:
            raise click.ClickException(str(e)) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        run: Any = super().main
        if kwargs.pop("standalone_mode", True) is False:
            return run(*args, standalone_mode=False, **kwargs)
        _exit_cleanly_when_terminated()
        if sys.stdout is None:  # started with it closed (>&-): nothing said would be seen
            click.echo("Error: standard output is closed: run it with an output", err=True)
            sys.exit(1)
        try:
            rv = run(*args, standalone_mode=False, **kwargs)
        except click.UsageError as e:
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            _error(f"{e.format_message()}{where}")
            sys.exit(e.exit_code)
        except click.ClickException as e:
            _error(e.format_message())
            sys.exit(e.exit_code)
        except click.Abort as e:
            click.echo("Aborted!", err=True)
            if _OWN_PROCESS and isinstance(e.__cause__, KeyboardInterrupt):
                _end_at_once_if_interrupted_again()
            sys.exit(1)
        except OSError as e:
            if e.errno not in _CANNOT_WRITE or e.filename is not None:
                raise  # a named file's error is the command's to say
            _quiet_stdout()  # what could not be written is not tried again at exit
            if e.errno != errno.EPIPE:  # a reader that stopped (| head) is no error
                _error(f"standard output: cannot write ({e.strerror}): free some space")
            sys.exit(1)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
        return rv


def _error(message: str) -> None:
    """The one ``Error:`` line, its control characters shown, not obeyed: it names files
    the user gave, and a name can hold an escape sequence (OSC 52 sets the clipboard) or a
    newline (the error ran on to a second line). No message is meant to be two lines."""
    click.echo(f"Error: {one_line(message)}", err=True)


# writing the output failed (standard output: a full disk, a closed pipe), not the command
_CANNOT_WRITE = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, errno.EDQUOT}


def _quiet_stdout() -> None:
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout)
        pass


def _end_at_once_if_interrupted_again() -> None:
    """After Ctrl-C, threads still at work (files being heard) end before the process
    does; a second Ctrl-C in that wait ends it at once, quietly. What is stored is
    committed or not, as after a power cut."""
    import os
    import signal
    import threading

    here = threading.current_thread()
    if here is not threading.main_thread():
        return
    if any(t is not here and not t.daemon and t.is_alive() for t in threading.enumerate()):
        signal.signal(signal.SIGINT, lambda signum, frame: os._exit(1))


def _exit_cleanly_when_terminated() -> None:
    """SIGTERM (``kill``) unwinds like Ctrl-C: a report, export or import being written
    removes its temporary file instead of leaving it behind."""
    import signal
    import threading

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminated)


@click.group(name="mockint", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockint")
def cli() -> None:
    """Rehearse job interviews aloud: hear a question, answer it, see your grade.

    Everything runs offline. Data lives in one directory (MOCKINT_HOME).

    Example: mockint grade --question Q1 --audio answer.wav
    """


for _module in (banks, hardware, answers, rehearse, history, serve):
    for _command in _module.COMMANDS:
        cli.add_command(_command)

# True in mockint's own process (main()), not where a caller runs cli (a test runner): the
# process may then change how it handles signals as it ends
_OWN_PROCESS = False


def main() -> None:
    """The ``mockint`` program: :data:`cli` as a process of its own."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    cli(prog_name="mockint")


__all__ = ["cli", "main"]
