"""`civicbus adapters ...`: the installed adapter kinds and configured instances, and a new
kind scaffolded in one command."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterConfig,
    AdapterConfigError,
    Guard,
    UnknownAdapterKind,
    build_adapter,
)
from adapters._scaffold import ScaffoldError, scaffold_kind
from bus.cli._app import app, cli_settings, fail

__all__ = ["adapters_app"]

adapters_app = typer.Typer(
    name="adapters",
    help="The adapter kinds installed and the adapter instances configured; scaffold a new "
    "kind.\n\n"
    "Example: civicbus adapters list --check",
    no_args_is_help=True,
    # Markdown reflows docstring paragraphs to the terminal width (rich mode keeps every
    # source line break) and shows `code` as code.
    rich_markup_mode="markdown",
)
app.add_typer(adapters_app)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts, not a table.")]


@dataclass
class KindRow:
    name: str
    module: str
    config_fields: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class InstanceRow:
    name: str
    kind: str
    health: dict[str, Any] | None = None  # {"ok": ..., "detail": ...} once checked
    circuit: str | None = None
    operations: list[str] | None = None
    error: str | None = None


@adapters_app.command("list")
def list_adapters(
    ctx: typer.Context,
    as_json: JsonOption = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Start each configured instance in this process, ask its legacy system for "
            "health, then stop it. Exit code 1 when one is unhealthy or cannot start.",
        ),
    ] = False,
) -> None:
    """Show the installed adapter kinds (name, module, config fields) and the instances
    configured under `adapters:`.

    Without `--check` nothing is started, so health and circuit state are not known here;
    a running civicbus reports them live.

    Example: civicbus adapters list --check --json
    """
    settings = cli_settings(ctx)
    kinds = _kind_rows()
    instances = [_instance_row(name, config, check) for name, config in settings.adapters.items()]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "kinds": [asdict(row) for row in kinds],
                    "instances": [asdict(row) for row in instances],
                },
                indent=2,
            )
        )
    else:
        _print_tables(kinds, instances, checked=check)
    broken = [row for row in instances if row.error or (row.health and not row.health["ok"])]
    if broken:
        raise typer.Exit(1)


@adapters_app.command("new")
def new_kind(
    name: Annotated[
        str,
        typer.Argument(help="The kind's name: lower-case words joined by hyphens."),
    ],
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            help="Folder to create the package folder civicbus-adapter-NAME in.",
            file_okay=False,
        ),
    ] = Path(),
) -> None:
    """Scaffold a new adapter kind as its own installable package: config model, an adapter
    with one operation, its `civicbus.adapters` entry point, and a contract test that passes.

    Refuses to overwrite a folder that exists.

    Example: civicbus adapters new land-register --dir ~/src
    """
    try:
        root = scaffold_kind(name, directory)
    except ScaffoldError as exc:
        fail(str(exc))
    typer.secho(f"created adapter kind {name!r} in {root}", fg=typer.colors.GREEN)
    typer.echo(f"  next   cd {root}")
    typer.echo("         pip install -e '.[test]'")
    typer.echo("         pytest")


def _kind_rows() -> list[KindRow]:
    rows = []
    # One at a time, so a kind whose package is broken shows as such instead of hiding all.
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        row = KindRow(name=entry.name, module=entry.value)
        try:
            loaded = entry.load()
        except Exception as exc:
            row.error = f"cannot load {entry.value}: {exc}; reinstall the package that declares it"
        else:
            if isinstance(loaded, type) and issubclass(loaded, Adapter):
                row.config_fields = _config_fields(loaded.config_model)
            else:
                row.error = f"{entry.value} is not an Adapter subclass"
        rows.append(row)
    return rows


def _config_fields(model: type[AdapterConfig]) -> list[dict[str, Any]]:
    # The fields every kind shares (timeout, breaker...) are documented once, not per kind.
    shared = set(AdapterConfig.model_fields)
    return [
        {
            "name": name,
            "required": info.is_required(),
            "description": info.description or "",
        }
        for name, info in model.model_fields.items()
        if name not in shared
    ]


def _instance_row(name: str, config: dict[str, Any], check: bool) -> InstanceRow:
    row = InstanceRow(name=name, kind=str(config.get("kind", "?")))
    try:
        adapter = build_adapter(name, config)
    except (AdapterConfigError, UnknownAdapterKind, ImportError) as exc:
        row.error = str(exc)
        return row
    if not check:
        return row
    try:
        adapter.start()
    except Exception as exc:
        row.error = f"failed to start: {exc}"
        return row
    try:
        health = adapter.health()
        row.health = {"ok": health.ok, "detail": health.detail}
        row.circuit = Guard(name, adapter.config).state
        row.operations = [operation.name for operation in adapter.operations()]
    finally:
        adapter.stop()
    return row


def _print_tables(kinds: list[KindRow], instances: list[InstanceRow], *, checked: bool) -> None:
    console = Console()
    kind_table = Table("kind", "module", "config fields", title="Installed adapter kinds")
    for kind in kinds:
        fields = ", ".join(f"{f['name']}{'' if f['required'] else '?'}" for f in kind.config_fields)
        kind_table.add_row(kind.name, kind.module, escape(kind.error or fields or "-"))
    console.print(kind_table)
    instance_table = Table(
        "instance", "kind", "health", "circuit", "operations", title="Configured adapters"
    )
    for row in instances:
        if row.error:
            health = f"[red]error:[/red] {escape(row.error)}"
        elif row.health is None:
            health = "not checked (--check)" if not checked else "-"
        elif row.health["ok"]:
            health = f"[green]ok[/green] {escape(row.health['detail'])}"
        else:
            health = f"[red]down[/red] {escape(row.health['detail'])}"
        instance_table.add_row(
            row.name,
            row.kind,
            health,
            row.circuit or "-",
            ", ".join(row.operations) if row.operations is not None else "-",
        )
    if not instances:
        instance_table.caption = "none: declare instances under `adapters:` in civicbus.yaml"
    console.print(instance_table)
