"""`civicbus schemas ...`: list, export and check the canonical message schemas."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from bus.cli._app import app, cli_registry, fail
from schemas import personal_fields

__all__ = ["schemas_app"]

schemas_app = typer.Typer(
    name="schemas",
    help="List, export and check the canonical message schemas.\n\n"
    "Example: civicbus schemas export --out schemas/",
    no_args_is_help=True,
    # Markdown reflows docstring paragraphs to the terminal width (rich mode keeps every
    # source line break) and shows `code` as code.
    rich_markup_mode="markdown",
)
app.add_typer(schemas_app)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts, not a table.")]


@schemas_app.command("list")
def list_schemas(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show every registered message type, its versions, and its personal-data fields.

    Example: civicbus schemas list --json
    """
    registry = cli_registry(ctx)
    rows: list[dict[str, Any]] = []
    for type_ in sorted(registry.types()):
        versions = sorted(registry.versions(type_))
        latest = registry.get(type_)
        rows.append(
            {
                "type": type_,
                "versions": versions,
                "latest": latest.version,
                "personal_fields": sorted(personal_fields(latest.model)),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("type", "versions", "personal fields (latest)", title="Registered schemas")
    for row in rows:
        table.add_row(
            row["type"],
            ", ".join(f"v{v}" for v in row["versions"]),
            ", ".join(row["personal_fields"]) or "-",
        )
    Console().print(table)


@schemas_app.command("export")
def export_schemas(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write one file per schema into, named like civic.person.v1.json "
            "(created if missing). Without it, one JSON object goes to stdout.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Export the JSON Schema of every registered type and version.

    Example: civicbus schemas export --out schemas/
    """
    registry = cli_registry(ctx)
    if out is None:
        typer.echo(json.dumps(registry.export(), indent=2, sort_keys=True))
        return
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for type_ in sorted(registry.types()):
        for version in sorted(registry.versions(type_)):
            schema = registry.get(type_, version).json_schema()
            target = out / f"{type_}.v{version}.json"
            target.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", "utf-8")
            written += 1
    typer.echo(f"wrote {written} schema files to {out}")


@schemas_app.command("check")
def check_schema(
    ctx: typer.Context,
    model_path: Annotated[
        str,
        typer.Argument(
            metavar="MODULE:MODEL",
            help="The pydantic model to check, as an importable module and a class name.",
        ),
    ],
    type_: Annotated[
        str, typer.Option("--type", help="The message type it would be registered under.")
    ],
    version: Annotated[
        int, typer.Option("--version", min=1, help="The version it would be registered as.")
    ],
) -> None:
    """Say whether a model would be accepted as a new version of a message type.

    Lists each way it would break readers of the version before it; exit code 1 when refused.

    Example: civicbus schemas check myproject.models:PersonV2 --type civic.person --version 2
    """
    model = _import_model(model_path)
    problems = cli_registry(ctx).check(model, type=type_, version=version)
    if not problems:
        typer.secho(
            f"accepted: {model_path} can be registered as {type_} v{version}",
            fg=typer.colors.GREEN,
        )
        return
    typer.secho(
        f"refused: {model_path} cannot be registered as {type_} v{version}:",
        fg=typer.colors.RED,
    )
    for problem in problems:
        typer.echo(f"  - {problem}")
    raise typer.Exit(1)


def _import_model(model_path: str) -> type[BaseModel]:
    module_name, sep, attribute = model_path.partition(":")
    if not sep or not module_name or not attribute:
        fail(f"{model_path!r} is not MODULE:MODEL; write it like myadapter.models:PersonV2")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        fail(f"cannot import module {module_name!r} ({exc}); check the name and the folder")
    model = getattr(module, attribute, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        fail(f"{module_name}.{attribute} is not a pydantic model class; name a BaseModel subclass")
    return model
