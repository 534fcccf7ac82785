"""``mockint bank``: import, list and show question banks."""

from __future__ import annotations

from pathlib import Path

import click

from mockint import config
from mockint.bank import Bank, Question
from mockint.cli.common import (
    bank_dirs,
    bank_option,
    category_option,
    check_categories,
    emit_json,
    load_bank,
    open_store,
)
from mockint.terminal import printable


@click.group()
def bank() -> None:
    """Import, list and show question banks.

    Example: mockint bank list --category FastAPI
    """


@bank.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Bank name (default: from the file).")
@click.option("--replace", is_flag=True, help="Replace a bank of the same name.")
def bank_import(file: Path, name: str | None, replace: bool) -> None:
    """Validate FILE (plain text or TOML) and add it as a bank.

    Nothing is imported unless the whole file is valid.

    Example: mockint bank import my-questions.txt --name mine
    """
    from mockint.bank import import_bank, load_file
    from mockint.reports.lines import plural

    out = import_bank(file, config.paths().banks, name, replace, bank_dirs())
    b = load_file(out)
    click.echo(
        printable(
            f"Imported bank '{b.name}': {plural(len(b.questions), 'question')} in "
            f"{plural(len(b.categories), 'category', 'categories')} ({out})"
        )
    )


@bank.command(name="list")
@bank_option
@category_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--due", is_flag=True, help="Only questions due for review (weak or old first).")
def bank_list(bank_name: str | None, category: tuple[str, ...], as_json: bool, due: bool) -> None:
    """List the questions of a bank, by category.

    With --due, what the review schedule brings back now, most overdue first.

    Example: mockint bank list --category "Celery and Redis" --json
    """
    from mockint.bank import bank_files
    from mockint.reports.lines import plural

    b = load_bank(bank_name)
    check_categories(b, category)
    qs = b.select(category)
    if due:
        _list_due(b, qs, as_json)
        return
    cats = [c for c in b.categories if any(q.category == c for q in qs)]
    if as_json:
        emit_json(
            {
                "bank": b.name,
                "banks": sorted(bank_files(bank_dirs())),
                "categories": [
                    {"name": c, "questions": [q.id for q in qs if q.category == c]} for c in cats
                ],
                "questions": [
                    {
                        "id": q.id,
                        "category": q.category,
                        "text": q.text,
                        "model_answer": q.model_answer,
                    }
                    for q in qs
                ],
            }
        )
        return
    what = f"{plural(len(qs), 'question')} in {plural(len(cats), 'category', 'categories')}"
    click.echo(f"Bank '{b.name}': {what}")
    for c in cats:
        click.echo(f"\n{c}")
        for q in qs:
            if q.category == c:
                click.echo(f"  {q.id:>5}  {q.text}")


def _list_due(b: Bank, qs: list[Question], as_json: bool) -> None:
    """What the review schedule brings back now, most overdue first."""
    from datetime import datetime, timezone

    from mockint.rehearsal.schedule import due as due_now

    store = open_store()
    if store is None:
        items = due_now(qs, (), datetime.now(timezone.utc))
    else:
        with store:  # the history walked from the store, not read whole
            items = due_now(qs, store.answered(b.name), datetime.now(timezone.utc))
    if as_json:
        emit_json(
            {
                "bank": b.name,
                "due": [
                    {
                        "id": d.question.id,
                        "category": d.question.category,
                        "text": d.question.text,
                        "box": d.box,
                        "last_score": d.last_score,
                        "due_at": d.due_at.isoformat() if d.due_at else None,
                    }
                    for d in items
                ],
            }
        )
        return
    click.echo(f"Bank '{b.name}': {len(items)} of {len(qs)} questions due")
    for d in items:
        last = f"{d.last_score:>3.0f}" if d.last_score is not None else "new"
        click.echo(f"  {d.question.id:>5}  {last:>3}  box {d.box}  {d.question.text}")


@bank.command(name="show")
@click.argument("qid", metavar="ID")
@bank_option
def bank_show(qid: str, bank_name: str | None) -> None:
    """Show one question and its model answer.

    Example: mockint bank show Q12
    """
    b = load_bank(bank_name)
    try:
        q = b.get(qid)
    except KeyError:
        raise click.ClickException(
            f"no question '{qid}' in bank '{b.name}': see 'mockint bank list'"
        ) from None
    click.echo(f"{q.id} [{q.category}]\n{q.text}\n\nModel answer:\n{q.model_answer}")


COMMANDS = [bank]
