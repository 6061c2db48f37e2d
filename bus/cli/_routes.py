"""`civicbus routes ...`: list the configured routes, check them against the schemas and the
configured adapters before they run, and print the JSON Schema of route files."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters import AdapterConfigError, UnknownAdapterKind, build_adapter
from bus._settings import Settings
from bus.cli._app import app, cli_settings, fail
from routes import (
    LoadedRoute,
    Problem,
    RouteFileError,
    World,
    check_routes,
    load_routes,
    route_file_schema,
)

__all__ = ["routes_app"]

routes_app = typer.Typer(
    name="routes",
    help="The routes that connect adapters: list them, check them before they run, and get "
    "the JSON Schema that editors validate route files with.\n\n"
    "Example: civicbus routes check routes/",
    no_args_is_help=True,
    # Markdown reflows docstring paragraphs to the terminal width (rich mode keeps every
    # source line break) and shows `code` as code.
    rich_markup_mode="markdown",
)
app.add_typer(routes_app)

FilesArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[FILES]...",
        help="Route files or folders of *.yaml files; default: the `routes:` setting.",
        show_default=False,
    ),
]


@dataclass
class RouteRow:
    route: str
    origin: str
    steps: str
    file: str | None


@routes_app.command("list")
def list_routes(
    ctx: typer.Context,
    files: FilesArgument = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for scripts, not a table.")
    ] = False,
) -> None:
    """Show every route: its name, where its messages come from, its steps in order, and the
    file and line it is written at.

    Route files that do not load are reported line by line, with exit code 1.

    Example: civicbus routes list --json
    """
    loaded = _load(_paths(ctx, files))
    rows = [_row(route) for route in loaded]
    if as_json:
        typer.echo(json.dumps([asdict(row) for row in rows], indent=2))
        return
    table = Table("route", "from", "steps", "file", title="Routes")
    for row in rows:
        table.add_row(row.route, escape(row.origin), row.steps, row.file or "-")
    Console().print(table)


@routes_app.command("check")
def check(ctx: typer.Context, files: FilesArgument = None) -> None:
    """Check routes before they run: the files load, route names are unique, every schema,
    operation and source named exists, each step gets the message type it expects, fields
    and expressions are valid, and no route sends messages back round to its own input.

    Operations and sources are learnt from the adapters configured under `adapters:`, each
    started and stopped again in this process (as `adapters list --check` does); nothing is
    sent to the broker. Every problem is printed as `file:line:column: route, step: message`
    and the exit code is 1; with none, a summary and exit code 0.

    Example: civicbus routes check routes/orders.yaml routes/moves.yaml
    """
    settings = cli_settings(ctx)
    loaded = _load(_paths(ctx, files))
    world, problems = _world(settings)
    problems += check_routes(loaded, world)
    if problems:
        _print_problems(problems)
    files_count = len({route.file for route in loaded})
    typer.secho(
        f"{len(loaded)} routes in {files_count} files are ready to run",
        fg=typer.colors.GREEN,
    )


@routes_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of route files. Point an editor at it with a first line
    `# yaml-language-server: $schema=route-file.schema.json` to have route files checked
    and completed as they are typed.

    Example: civicbus routes schema > route-file.schema.json
    """
    typer.echo(json.dumps(route_file_schema(), indent=2, ensure_ascii=False))


def _paths(ctx: typer.Context, files: list[Path] | None) -> list[Path]:
    if files:
        return files
    configured = cli_settings(ctx).routes
    if not configured:
        fail(
            "no route files: name them (civicbus routes check routes/) or set `routes:` in "
            "civicbus.yaml"
        )
    return configured


def _load(paths: list[Path]) -> list[LoadedRoute]:
    try:
        return load_routes(paths)
    except RouteFileError as error:
        _print_problems(error.problems)


def _print_problems(problems: list[Problem]) -> NoReturn:
    for problem in sorted(problems, key=lambda p: (p.file or "", p.line, p.column)):
        typer.echo(str(problem))
    count = len(problems)
    typer.secho(
        f"{count} problem{'s' if count != 1 else ''}; the routes cannot run until "
        f"{'they are' if count != 1 else 'it is'} fixed",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(1)


def _world(settings: Settings) -> tuple[World, list[Problem]]:
    """The configured adapters' operations and sources, learnt by starting each one."""
    world = World()
    problems: list[Problem] = []
    for name, config in settings.adapters.items():
        try:
            adapter = build_adapter(name, config)
            adapter.start()
        except (AdapterConfigError, UnknownAdapterKind, ImportError) as error:
            problems.append(Problem(None, 0, 0, f"adapter {name}", str(error)))
            continue
        except Exception as error:
            message = f"cannot start, so its operations are unknown: {error}"
            problems.append(Problem(None, 0, 0, f"adapter {name}", message))
            continue
        try:
            for operation in adapter.operations():
                world.add_operation(
                    f"{name}.{operation.name}", operation.request, operation.response
                )
            for source in adapter.sources():
                world.add_source(f"{name}.{source.name}", source.event, source.event_type)
        finally:
            adapter.stop()
    return world, problems


def _row(loaded: LoadedRoute) -> RouteRow:
    origin = loaded.route.from_
    where = f"source {origin.source}" if origin.source else f"channel {origin.channel}"
    if origin.type:
        where += f" ({origin.type})"
    file = None
    if loaded.file is not None:
        line, _ = loaded.position()
        file = f"{loaded.file}:{line}"
    return RouteRow(
        route=loaded.name,
        origin=where,
        steps=" > ".join(_summary(step) for step in loaded.route.steps),
        file=file,
    )


# The one option of each step kind that says most about it in a one-line summary.
_SUMMARY = {
    "validate": "schema_",
    "translate": "to",
    "split": "as_",
    "aggregate": "as_",
    "enrich": "operation",
    "call": "operation",
    "wiretap": "channel",
}


def _summary(step: Any) -> str:
    spec = step.spec
    if step.kind == "to":
        detail = spec.channel or spec.operation
    elif step.kind == "choice":
        detail = f"{len(spec.when)} when" + (" + otherwise" if spec.otherwise else "")
    else:
        detail = getattr(spec, _SUMMARY.get(step.kind, ""), None) or ""
    return f"{step.kind} {detail}".strip()
