"""`civicbus dlq ...`: dead letters for terminals and scripts — list, show, replay, discard.
Every replay and discard names an operator and a reason, and is written to the audit log."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from bus._dead_letters import DeadLetterNotFound, DeadLetters
from bus._errors import BrokerUnavailable
from bus._runtime import Bus
from bus.cli._app import app, cli_settings, fail

dlq_app = typer.Typer(
    name="dlq",
    help="Dead letters: see why messages were given up on, replay them once the cause is "
    "fixed, or discard them with a reason. Every action is audited.\n\n"
    "Example: civicbus dlq list",
    no_args_is_help=True,
)
app.add_typer(dlq_app)

QueueArgument = Annotated[str, typer.Argument(help="The dead-letter queue, as `dlq list` shows.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OperatorOption = Annotated[
    str | None, typer.Option(help="Who is acting, for the audit log (default: your login).")
]
ReasonOption = Annotated[str, typer.Option(help="Why; kept in the audit log.", show_default=False)]


@contextmanager
def _dead_letters(ctx: typer.Context) -> Iterator[tuple[Bus, DeadLetters]]:
    bus = Bus(cli_settings(ctx))
    letters = DeadLetters(bus)
    try:
        yield bus, letters
    except DeadLetterNotFound as error:
        fail(str(error), code=1)
    except (BrokerUnavailable, ConnectionError, OSError) as error:
        fail(f"the broker did not answer ({error}); `civicbus doctor` checks it", code=1)
    finally:
        letters.close()
        bus.close()


@dlq_app.command("list")
def list_dead_letters(
    ctx: typer.Context,
    queue: Annotated[
        str | None, typer.Argument(help="A queue to list the messages of; default: the queues.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Messages to show at most.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Without QUEUE: the dead-letter queues the journal knows, with how many messages wait
    in each. With QUEUE: its messages, oldest first, with the reason each was given up on.
    Looking takes nothing out of the queue.

    Example: civicbus dlq list civicbus.benefits.dlq --json
    """
    with _dead_letters(ctx) as (bus, letters):
        if queue is None:
            names = bus.journal.dead_letter_queues() if bus.journal is not None else []
            rows = [{"queue": name, "messages": letters.depth(name)} for name in names]
            if as_json:
                typer.echo(json.dumps(rows, indent=2))
            elif not rows:
                typer.echo("no dead letters journaled; nothing has been given up on")
            for row in [] if as_json else rows:
                typer.echo(f"{row['messages']:>7}  {row['queue']}")
            return
        found = [letter.summary() for letter in letters.browse(queue, limit=limit)]
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    for item in found:
        typer.echo(
            f"{item['message_id']}  {item['type'] or '?'}  {item['reason']}: "
            f"{(item['error'] or '')[:100]}"
        )
    typer.echo(f"{len(found)} shown; `civicbus dlq show {queue} ID` for one in full")


@dlq_app.command("show")
def show(
    ctx: typer.Context, queue: QueueArgument, message_id: str, as_json: JsonOption = False
) -> None:
    """One dead letter in full: why it was given up on, where it came from, its original body.

    Example: civicbus dlq show civicbus.benefits.dlq 0b9f...
    """
    with _dead_letters(ctx) as (bus, letters):
        letter = letters.find(queue, message_id)
        body: object = (
            bus.registry.mask(letter.envelope) if letter.envelope is not None else letter.body
        )
    typer.echo(json.dumps({**letter.summary(), "body": body}, indent=2, default=str))


@dlq_app.command("replay")
def replay(
    ctx: typer.Context,
    queue: QueueArgument,
    message_ids: Annotated[list[str] | None, typer.Argument(help="Ids to replay.")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every message.")] = False,
    reason: ReasonOption = ...,  # type: ignore[assignment]
    operator: OperatorOption = None,
) -> None:
    """Send dead letters back to the queue they came from, once their cause is fixed. Each is
    handled once; replaying one already replayed is refused with who did it and when.

    Example: civicbus dlq replay civicbus.benefits.dlq 0b9f... --reason "mapping fixed"
    """
    if not message_ids and not replay_all:
        fail("name the messages to replay, or pass --all")
    with _dead_letters(ctx) as (_bus, letters):
        done = letters.replay(
            queue, None if replay_all else message_ids, operator=_who(operator), reason=reason
        )
    typer.secho(f"replayed {len(done)}: {' '.join(done)}", fg=typer.colors.GREEN)


@dlq_app.command("discard")
def discard(
    ctx: typer.Context,
    queue: QueueArgument,
    message_ids: Annotated[list[str], typer.Argument(help="Ids to discard.")],
    reason: ReasonOption = ...,  # type: ignore[assignment]
    operator: OperatorOption = None,
) -> None:
    """Remove dead letters for good, saying why (kept in the audit log and the journal).

    Example: civicbus dlq discard civicbus.benefits.dlq 0b9f... --reason "sent twice"
    """
    with _dead_letters(ctx) as (_bus, letters):
        done = letters.discard(queue, message_ids, operator=_who(operator), reason=reason)
    typer.secho(f"discarded {len(done)}: {' '.join(done)}", fg=typer.colors.GREEN)


def _who(operator: str | None) -> str:
    return operator or getpass.getuser()
