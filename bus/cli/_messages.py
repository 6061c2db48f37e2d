"""`civicbus messages ...`: find messages in the journal and show one's journey, hop by hop.
Personal data in payloads is masked, as everywhere civicbus displays messages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from bus._journal import Journal, MessageRecord
from bus.cli._app import app, cli_registry, cli_settings, fail
from schemas import Envelope, InvalidMessage, SchemaRegistry

messages_app = typer.Typer(
    name="messages",
    help="The journal of every message: search it, and show one message's journey.\n\n"
    "Example: civicbus messages search --correlation-id 6f1c...",
    no_args_is_help=True,
)
app.add_typer(messages_app)


def _journal(ctx: typer.Context) -> Journal:
    settings = cli_settings(ctx)
    if not settings.journal.enabled:
        fail("the journal is disabled in this configuration (journal.enabled: false)")
    return Journal(settings.journal_url)


@messages_app.command("show")
def show(
    ctx: typer.Context,
    message_id: Annotated[str, typer.Argument(help="The message id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """One message's journey: its envelope (personal data masked) and every hop with its
    time, consumer, duration and error — published, delivered, routed, retried,
    dead-lettered, replayed, handled.

    Example: civicbus messages show 0b9f6f8e-5c0e-4a8c-9d64-2d1f3a0c7e51
    """
    journal = _journal(ctx)
    try:
        record = journal.find(message_id)
    finally:
        journal.close()
    if record is None:
        fail(f"the journal has no message {message_id}; search with `civicbus messages search`", 1)
    shown = _shown(record, cli_registry(ctx))
    if as_json:
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    typer.secho(f"{record.id}  {record.type}  [{record.status}]", bold=True)
    typer.echo(f"  correlation {record.correlation_id}   subject {record.subject or '-'}")
    for hop in shown["hops"]:
        took = f" {hop['duration_ms']:.1f} ms" if hop["duration_ms"] is not None else ""
        error = f"  {hop['error']}" if hop["error"] else ""
        typer.echo(f"  {hop['at']}  {hop['hop']:<14} {hop['consumer'] or '-'}{took}{error}")
    typer.echo(json.dumps(shown["envelope"], indent=2, default=str))


@messages_app.command("search")
def search(
    ctx: typer.Context,
    correlation_id: Annotated[str | None, typer.Option(help="All messages of one flow.")] = None,
    subject: Annotated[str | None, typer.Option(help="Business key, e.g. a person id.")] = None,
    type: Annotated[str | None, typer.Option(help="Event type.")] = None,
    consumer: Annotated[str | None, typer.Option(help="A consumer or route.<name>.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Last hop: handled, dead_lettered, published...")
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time (ISO 8601).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Up to this time.")] = None,
    limit: Annotated[int, typer.Option(help="Newest first, at most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Messages matching every key given, newest first.

    Example: civicbus messages search --status dead_lettered --since 2026-11-28T00:00
    """
    journal = _journal(ctx)
    try:
        found = journal.search(
            correlation_id=correlation_id,
            subject=subject,
            type=type,
            consumer=consumer,
            status=status,
            since=since,
            until=until,
            limit=limit,
        )
    finally:
        journal.close()
    if as_json:
        typer.echo(json.dumps([_row(r) for r in found], indent=2, default=str))
        return
    for record in found:
        typer.echo(
            f"{record.first_seen:%Y-%m-%d %H:%M:%S}  {record.id}  {record.type}  "
            f"[{record.status}]  {record.subject or '-'}"
        )
    typer.echo(f"{len(found)} found")


def _row(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.type,
        "subject": record.subject,
        "correlation_id": record.correlation_id,
        "status": record.status,
        "first_seen": record.first_seen.isoformat(),
    }


def _shown(record: MessageRecord, registry: SchemaRegistry) -> dict[str, Any]:
    try:
        envelope = registry.mask(Envelope.from_dict(record.envelope))
    except InvalidMessage:
        envelope = {"note": "the journaled envelope could not be read again"}
    hops = [
        {
            "at": hop.at.isoformat(timespec="milliseconds"),
            "hop": hop.hop.value,
            "consumer": hop.consumer,
            "attempt": hop.attempt,
            "duration_ms": hop.duration_ms,
            "error": hop.error,
            "detail": hop.detail,
        }
        for hop in record.hops
    ]
    return {**_row(record), "envelope": envelope, "hops": hops}
