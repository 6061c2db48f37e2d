"""`civicbus clients ...`: the new services allowed through the gateway, and what each may
do. Deny by default: a new client may do nothing until granted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from bus._gateway import DATA_ACCESS_LOG, ClientError, ClientStore, GrantKind
from bus.cli._app import app, cli_settings, fail
from bus.migrations import migrate

__all__ = ["clients_app"]

T = TypeVar("T")

clients_app = typer.Typer(
    name="clients",
    help="Clients of the HTTP gateway: add one (its API key is printed once), grant or revoke "
    "operations, event types and privileges, list them.\n\n"
    "Example: civicbus clients add citizen-portal",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(clients_app)

OperationOption = Annotated[
    str | None,
    typer.Option("--operation", help="An operation, <adapter>.<operation>."),
]
EventOption = Annotated[str | None, typer.Option("--event", help="An event type.")]
PrivilegeOption = Annotated[
    str | None,
    typer.Option("--privilege", help=f"A privilege: {DATA_ACCESS_LOG}."),
]


def _with_store(ctx: typer.Context, change: Callable[[ClientStore], T]) -> T:
    """Run `change` on the client table; a refused change ends the command (exit 2)."""
    settings = cli_settings(ctx)
    migrate(settings.state)
    store = ClientStore(settings.state)
    try:
        return change(store)
    except ClientError as exc:
        fail(str(exc))
    finally:
        store.close()


def _one_grant(
    operation: str | None, event: str | None, privilege: str | None
) -> tuple[GrantKind, str]:
    given: list[tuple[GrantKind, str | None]] = [
        ("operation", operation),
        ("event", event),
        ("privilege", privilege),
    ]
    chosen = [(kind, name) for kind, name in given if name]
    if len(chosen) != 1:
        fail("name exactly one of --operation, --event or --privilege")
    kind, name = chosen[0]
    assert name is not None
    return kind, name


@clients_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The client's name, e.g. citizen-portal.")],
    description: Annotated[str, typer.Option(help="Who runs it and why.")] = "",
    rate_per_minute: Annotated[
        int | None,
        typer.Option(help="Its own rate limit (default: gateway.rate_limit.per_minute)."),
    ] = None,
    calls_per_day: Annotated[
        int | None,
        typer.Option(help="Its daily quota of calls (default: gateway.rate_limit.calls_per_day)."),
    ] = None,
) -> None:
    """Add a client and print its API key — once: only a hash of it is kept.

    Example: civicbus clients add citizen-portal --description "Portal team, ext. 1234"
    """
    key = _with_store(
        ctx,
        lambda store: store.add(
            name,
            description=description,
            rate_per_minute=rate_per_minute,
            calls_per_day=calls_per_day,
        ),
    )
    typer.echo(key)
    typer.echo(
        f"client {name} added; the line above is its API key (send it as X-API-Key). It is "
        "not stored and cannot be shown again. The client may do nothing until granted: "
        f"civicbus clients grant {name} --operation <adapter>.<operation>",
        err=True,
    )


@clients_app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The client whose key is replaced.")],
) -> None:
    """Replace a client's API key and print the new one — once. The old key stops working
    within a few seconds; grants, limits and quotas stay as they are.

    Example: civicbus clients rotate-key citizen-portal
    """
    key = _with_store(ctx, lambda store: store.rotate_key(name))
    typer.echo(key)
    typer.echo(
        f"client {name} has a new API key (the line above, shown once); the old one no "
        "longer works",
        err=True,
    )


@clients_app.command("grant")
def grant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The client.")],
    operation: OperationOption = None,
    event: EventOption = None,
    privilege: PrivilegeOption = None,
) -> None:
    """Allow a client one operation, one event type, or one privilege.

    Example: civicbus clients grant citizen-portal --operation population-register.get-person
    """
    kind, target = _one_grant(operation, event, privilege)
    added = _with_store(ctx, lambda store: store.grant(name, kind, target))
    typer.echo(f"{name} may use {kind} {target}" + ("" if added else " (already granted)"))


@clients_app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The client.")],
    operation: OperationOption = None,
    event: EventOption = None,
    privilege: PrivilegeOption = None,
) -> None:
    """Take back one grant (running gateways apply it within a few seconds).

    Example: civicbus clients revoke citizen-portal --operation population-register.get-person
    """
    kind, target = _one_grant(operation, event, privilege)
    removed = _with_store(ctx, lambda store: store.revoke(name, kind, target))
    if not removed:
        fail(f"{name} had no grant of {kind} {target}; `civicbus clients list` shows grants")
    typer.echo(f"{name} may no longer use {kind} {target}")


@clients_app.command("list")
def list_clients(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The clients and their grants (never their keys).

    Example: civicbus clients list --json
    """
    clients = _with_store(ctx, lambda store: store.all())
    rows: list[dict[str, object]] = [
        {
            "name": c.name,
            "description": c.description,
            "rate_per_minute": c.rate_per_minute,
            "calls_per_day": c.calls_per_day,
            "operations": sorted(c.operations),
            "events": sorted(c.events),
            "privileges": sorted(c.privileges),
        }
        for c in clients
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no clients; add one with `civicbus clients add <name>`")
    for client in clients:
        granted = [f"operation {o}" for o in sorted(client.operations)]
        granted += [f"event {e}" for e in sorted(client.events)]
        granted += [f"privilege {p}" for p in sorted(client.privileges)]
        typer.echo(f"{client.name}: {', '.join(granted) or 'nothing granted'}")
