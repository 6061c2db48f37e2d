"""`civicbus tail [PATTERN]`: watch live events, personal data masked."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import typer
from kombu import Connection, Consumer, Queue
from kombu.message import Message

from bus._topology import Topology
from bus.cli._app import app, cli_registry, cli_settings, fail
from schemas import MASKED, Envelope, InvalidMessage


@app.command()
def tail(
    ctx: typer.Context,
    pattern: Annotated[
        str, typer.Argument(help="Event types to watch: `*` matches one word, `#` any words.")
    ] = "#",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many messages (default: run until Ctrl-C).")
    ] = None,
) -> None:
    """Print events as they are published, with personal fields masked.

    Watching takes nothing away from other consumers: tail reads a private copy that is removed
    when it stops.

    Example: civicbus tail 'civic.person.#' --json
    """
    settings = cli_settings(ctx)
    topology = Topology(settings)
    registry = cli_registry(ctx)
    queue = Queue(
        f"{settings.queue_prefix}.tail.{uuid.uuid4().hex[:12]}",
        exchange=topology.exchange,
        routing_key=pattern,
        durable=False,
        exclusive=True,
        auto_delete=True,
    )
    seen = 0

    def show(message: Message) -> None:
        nonlocal seen
        seen += 1
        typer.echo(_render(message, registry, as_json=as_json))

    try:
        with Connection(settings.broker, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            topology.exchange.declare(channel=channel)
            if not as_json:
                typer.secho(
                    f"watching {pattern!r} on {connection.as_uri()} (Ctrl-C stops)",
                    err=True,
                    dim=True,
                )
            with Consumer(channel, queues=[queue], on_message=show, no_ack=True):
                while limit is None or seen < limit:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        continue
    except KeyboardInterrupt:
        return
    except (ConnectionError, OSError) as exc:
        fail(f"cannot reach the broker: {exc}; check it with `civicbus doctor`", code=1)


def _render(message: Message, registry: Any, *, as_json: bool) -> str:
    body = message.body
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        envelope = Envelope.from_json(raw)
    except InvalidMessage as exc:
        if as_json:
            return json.dumps({"invalid": str(exc)})
        return f"<not a valid envelope: {exc}>"
    masked = registry.mask(envelope)
    if masked.get("subject"):
        # The subject is the business key, often a person's id: shown masked like the data.
        masked["subject"] = MASKED
    if as_json:
        return json.dumps(masked, ensure_ascii=False)
    subject = f" subject={masked.get('subject')}" if masked.get("subject") else ""
    data = json.dumps(masked.get("data"), ensure_ascii=False)
    return f"{masked['time']} {envelope.type} id={envelope.id}{subject} {data}"
