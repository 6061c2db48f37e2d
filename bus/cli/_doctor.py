"""`civicbus doctor`: render the checks of `bus._doctor` as a table or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bus._doctor import DEFAULT_TIMEOUT, Check, apply_fixes, check_config, run_checks
from bus.cli._app import CliState, app

__all__ = ["doctor"]


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for scripts, not a table.")
    ] = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="First create the data folder and migrate the journal and state databases "
            "to the newest schema, then check.",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds each check may take.")
    ] = DEFAULT_TIMEOUT,
) -> None:
    """Check the configuration, broker and databases, and say how to fix what is wrong.

    Checks that the data folder is writable, the broker accepts a connection, and the journal
    and state databases are reachable and migrated; `--fix` creates and migrates what it can.

    Exit code 0 when every check passes, 1 otherwise.

    Example: civicbus doctor --fix
    """
    state = ctx.find_root().obj
    config = state.config if isinstance(state, CliState) else None
    config_check, settings = check_config(config)
    checks = [config_check]
    if settings is not None:
        if fix:
            checks += apply_fixes(settings)
        checks += run_checks(settings, timeout=timeout)
    healthy = all(check.ok for check in checks)
    if as_json:
        typer.echo(json.dumps({"ok": healthy, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        _print_table(checks, healthy)
    raise typer.Exit(0 if healthy else 1)


def _print_table(checks: list[Check], healthy: bool) -> None:
    table = Table(title="civicbus doctor")
    table.add_column("")
    table.add_column("check", no_wrap=True)
    # Fold rather than cut long values: a truncated URL or path is no use to an operator.
    table.add_column("found", overflow="fold")
    table.add_column("fix", overflow="fold")
    for check in checks:
        table.add_row(
            "[green]ok[/]" if check.ok else "[red]FAIL[/]",
            check.name,
            escape(check.detail),
            escape(check.fix or ""),
        )
    console = Console()
    console.print(table)
    failed = sum(not check.ok for check in checks)
    console.print("[green]all checks passed[/]" if healthy else f"[red]{failed} check(s) failed[/]")
