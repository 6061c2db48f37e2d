"""`civicbus publish TYPE --data JSON`: validate a payload and publish it as an event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bus._errors import PublishError
from bus._runtime import Bus
from bus.cli._app import app, cli_settings, fail
from schemas import InvalidMessage, new_traceparent

EXIT_REFUSED = 1


@app.command()
def publish(
    ctx: typer.Context,
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="Registered message type.")],
    data: Annotated[
        str, typer.Option("--data", "-d", help="Payload as JSON, or @FILE to read it from a file.")
    ],
    subject: Annotated[
        str | None, typer.Option(help="Business key, e.g. the person's id (CloudEvents subject).")
    ] = None,
    source: Annotated[str, typer.Option(help="CloudEvents source of the event.")] = (
        "civicbus://cli"
    ),
    version: Annotated[
        int | None, typer.Option(help="Schema version of the payload (default: the latest).")
    ] = None,
    correlation_id: Annotated[
        str | None, typer.Option(help="Correlation id to continue (default: the new id).")
    ] = None,
) -> None:
    """Validate a payload against its schema and publish it; prints the message id.

    Nothing is published when the payload is invalid: every offending field is named.

    Example: civicbus publish civic.person.address-changed --subject 38001085718 --data
    '{"person_id": "38001085718", "address": {"street": "Pikk 1", "postal_code": "10123",
    "city": "Tallinn", "country": "EE"}, "effective_date": "2026-12-01"}'
    """
    settings = cli_settings(ctx)
    payload = _read_json(data)
    bus = Bus(settings)
    try:
        try:
            envelope = bus.registry.build(
                type_,
                payload,
                source=source,
                version=version,
                subject=subject,
                correlationid=correlation_id,
                traceparent=new_traceparent(),
            )
            bus.publish(envelope)
        except InvalidMessage as exc:
            fail(f"not published: {exc}", code=EXIT_REFUSED)
        except PublishError as exc:
            fail(f"not published: {exc}", code=EXIT_REFUSED)
    finally:
        bus.close()
    typer.echo(envelope.id)


def _read_json(data: str) -> dict[str, Any]:
    text = data
    if data.startswith("@"):
        path = Path(data[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read the payload file {path}: {exc}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(
            f"--data is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "quote it for the shell, or pass @file.json"
        )
    if not isinstance(value, dict):
        fail("--data must be a JSON object holding the payload's fields")
    return value
