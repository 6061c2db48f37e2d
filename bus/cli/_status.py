"""`civicbus status`: is it up, what is on offer, what is failing — one screen for a terminal
or, with --json, for a script."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from bus._catalog_store import CatalogStore
from bus._dead_letters import DeadLetters
from bus._health import bus_readiness
from bus._runtime import Bus
from bus.cli._app import app, cli_settings

_RECENT = timedelta(hours=1)


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The state of this civicbus: the broker and databases, the operations on offer (from
    every process), the messages of the last hour by status, and the dead letters waiting.
    Exits 1 when something it depends on does not answer.

    Example: civicbus status --json
    """
    bus = Bus(cli_settings(ctx))
    readiness = bus_readiness(bus, timeout=3)
    letters = DeadLetters(bus)
    catalog = CatalogStore(bus.settings.state)
    try:
        ready, checks = readiness.report()
        report: dict[str, Any] = {"ready": ready, "checks": checks["checks"]}
        report["operations"] = [
            {"name": f"{o.adapter}.{o.operation}", "last_seen": o.last_seen.isoformat()}
            for o in catalog.live(stale_after=bus.settings.catalog.stale_after)
        ]
        report["last_hour"] = _by_status(bus)
        report["dead_letters"] = _dead_letters(bus, letters)
    finally:
        catalog.close()
        letters.close()
        readiness.close()
        bus.close()
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        _print(report)
    if not ready:
        raise typer.Exit(1)


def _by_status(bus: Bus) -> dict[str, int]:
    if bus.journal is None:
        return {}
    since = datetime.now(UTC) - _RECENT
    counts: dict[str, int] = {}
    for record in bus.journal.search(since=since, limit=10_000):
        counts[record.status] = counts.get(record.status, 0) + 1
    return counts


def _dead_letters(bus: Bus, letters: DeadLetters) -> dict[str, int | None]:
    names = bus.journal.dead_letter_queues() if bus.journal is not None else []
    depths: dict[str, int | None] = {}
    for name in names:
        try:
            depths[name] = letters.depth(name)
        except Exception:  # a queue deleted since, or the broker away: shown as unknown
            depths[name] = None
    return depths


def _print(report: dict[str, Any]) -> None:
    colour = typer.colors.GREEN if report["ready"] else typer.colors.RED
    typer.secho("ready" if report["ready"] else "NOT READY", fg=colour, bold=True)
    for name, check in report["checks"].items():
        mark = "ok " if check["ok"] else "FAIL"
        typer.echo(f"  {mark} {name:<9} {check['detail']}")
    typer.echo(f"operations on offer: {len(report['operations'])}")
    for operation in report["operations"]:
        typer.echo(f"  {operation['name']}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report["last_hour"].items())) or "none"
    typer.echo(f"messages in the last hour: {counts}")
    waiting = {k: v for k, v in report["dead_letters"].items() if v}
    typer.echo(f"dead letters waiting: {sum(v for v in waiting.values() if v) or 'none'}")
    for name, depth in waiting.items():
        typer.echo(f"  {depth:>6}  {name}   (civicbus dlq list {name})")
