"""``mockint practice``: the session itself lives in :mod:`mockint.rehearsal.practice`."""

from __future__ import annotations

from pathlib import Path

import click

from mockint import config
from mockint.cli.common import (
    LibraryDefault,
    Seconds,
    bank_option,
    category_option,
    check_categories,
    check_model,
    device,
    engine_option,
    load_bank,
    model_option,
    output_device_option,
    threads_option,
)


@click.command()
@bank_option
@category_option
@click.option("--count", "-n", type=click.IntRange(1), help="How many questions.")
@click.option(
    "--order",
    type=click.Choice(["bank", "random", "weakest"]),
    default=LibraryDefault("mockint.rehearsal.practice:PracticeOptions.order"),
    show_default=True,
    help="Question order: as in the bank, shuffled, or weakest first.",
)
@click.option(
    "--max-seconds",
    type=Seconds(10, 3600),
    default=LibraryDefault("mockint.rehearsal.practice:PracticeOptions.max_seconds"),
    show_default=True,
    help="Longest answer, in seconds.",
)
@click.option(
    "--silence",
    type=Seconds(0.5, 30),
    default=LibraryDefault("mockint.rehearsal.practice:PracticeOptions.silence"),
    show_default=True,
    help="Seconds of silence that end an answer.",
)
@click.option(
    "--mode",
    type=click.Choice(["practice", "live"]),
    default=LibraryDefault("mockint.rehearsal.practice:PracticeOptions.mode"),
    show_default=True,
    help="practice: hints (h), the model answer (m), retakes; live: one take per "
    "question, scores only at the end.",
)
@click.option(
    "--tts",
    "tts_engine",
    type=click.Choice(["piper", "pyttsx3"]),
    default=LibraryDefault("mockint.rehearsal.interview:DeviceOptions.tts_engine"),
    show_default=True,
    help="Voice engine: Piper (neural) or pyttsx3 (espeak-ng).",
)
@click.option("--voice", help="Voice for the questions (see 'mockint voices').")
@click.option(
    "--rate",
    type=click.IntRange(80, 400),
    default=LibraryDefault("mockint.rehearsal.interview:DeviceOptions.rate"),
    show_default=True,
    help="Speaking rate, words per minute.",
)
@click.option("--no-tts", is_flag=True, help="Show the questions without speaking them.")
@click.option(
    "--check/--no-check",
    default=None,
    help="Check the microphone first (default: until a check has passed on this device).",
)
@click.option("--input-device", metavar="D", help="Microphone: index or name (mockint devices).")
@output_device_option
@model_option
@threads_option
@engine_option
@click.option("--resume", is_flag=True, help="Continue the last unfinished session.")
@click.option("--seed", type=int, hidden=True)
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
def practice(
    bank_name: str | None,
    category: tuple[str, ...],
    count: int | None,
    order: str,
    max_seconds: float,
    silence: float,
    mode: str,
    tts_engine: str,
    voice: str | None,
    rate: int,
    no_tts: bool,
    check: bool | None,
    input_device: str | None,
    output_device: str | None,
    model: str,
    threads: int,
    engine: str,
    resume: bool,
    seed: int | None,
    events: Path | None,
) -> None:
    """Practise aloud: hear each question, answer it, see your grade.

    The answer ends after --silence seconds of quiet, on Enter, or at
    --max-seconds. Each answer is stored as soon as it is graded.

    Before the first question, a 5-second microphone check runs until one has
    passed on this device (--check to run it again, --no-check to skip it).

    Example: mockint practice --category FastAPI --count 3 --mode live
    """
    # long: twenty options in the signature; the body is short
    from mockint.rehearsal.interview import DeviceOptions, EventLog, practise
    from mockint.rehearsal.practice import Interrupted, PracticeOptions
    from mockint.ui import ConsoleUI

    log = EventLog(events)
    log("start", {})
    b = load_bank(bank_name)
    check_categories(b, category)
    check_model(model)
    ui = ConsoleUI()
    checking = "auto" if check is None else "always" if check else "never"
    try:
        practise(
            b,
            config.paths(),
            ui,
            PracticeOptions(
                category, count, order, max_seconds, silence=silence, seed=seed, mode=mode
            ),
            DeviceOptions(
                device(input_device),
                device(output_device),
                not no_tts,
                voice,
                rate,
                model,
                threads,
                engine,
                tts_engine,
                checking,
            ),
            resume=resume,
            events=log,
        )
    except Interrupted as e:
        ui.close()
        kept = f"; your answer so far is kept as attempt {e.attempt_id}" if e.attempt_id else ""
        if e.by_user:
            click.echo(f"\nInterrupted{kept}. Continue with 'mockint practice --resume'.", err=True)
            raise SystemExit(130) from None
        raise click.ClickException(f"{e}{kept}") from None
    except KeyboardInterrupt:
        ui.close()
        click.echo("\nInterrupted. Continue with 'mockint practice --resume'.", err=True)
        raise SystemExit(130) from None
    finally:
        ui.close()
        log.close()


COMMANDS = [practice]
