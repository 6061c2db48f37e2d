"""The `civicbus` Typer app, its global options, and the settings every command reads.

Command modules import `app` from here and register themselves on it; `bus.cli` imports them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bus._logging import configure_logging
from bus._schema_modules import register_configured
from bus._settings import ConfigError, Settings, load_settings
from bus._tracing import enable_tracing_from_environment
from schemas import SchemaRegistry, default_registry

__all__ = ["CliState", "app", "cli_registry", "cli_settings", "fail"]

# Exit code for "the invocation or its configuration is wrong", as click uses for usage errors.
EXIT_USAGE = 2

# Commands that diagnose a broken configuration themselves instead of refusing to start.
CONFIG_TOLERANT_COMMANDS = frozenset({"doctor"})

app = typer.Typer(
    name="civicbus",
    help="civicbus: an integration bus that connects legacy public-sector systems to new "
    "services through canonical, versioned messages.\n\n"
    "Example: civicbus --config civicbus.yaml doctor",
    no_args_is_help=True,
    # Markdown reflows docstring paragraphs to the terminal width (rich mode keeps every
    # source line break) and shows `code` as code.
    rich_markup_mode="markdown",
    # Errors are one-line messages; a local-variable dump could print secrets from settings.
    pretty_exceptions_show_locals=False,
)


@dataclass
class CliState:
    """What the global options decided, shared with every command through the Typer context."""

    config: Path | None
    settings: Settings | None = None
    registry: SchemaRegistry | None = None  # the canonical schemas plus `schemas:`


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `message` as one red line on stderr and exit with `code`, without a traceback."""
    typer.secho(f"error: {' '.join(message.split())}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _state(ctx: typer.Context) -> CliState:
    """The settings and schemas of this invocation, read once; a configuration error (a bad
    `schemas:` entry too) ends it with exit code 2."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        # A command invoked without the app callback (a test calling a sub-typer alone).
        state = CliState(config=None)
        ctx.find_root().obj = state
    if state.settings is None:
        try:
            state.settings = load_settings(state.config)
            state.registry = default_registry()
            register_configured(state.registry, state.settings.schemas)
        except ConfigError as exc:
            fail(str(exc))
        configure_logging(state.settings)
    return state


def cli_settings(ctx: typer.Context) -> Settings:
    """The settings for this invocation."""
    settings = _state(ctx).settings
    assert settings is not None  # read by _state
    return settings


def cli_registry(ctx: typer.Context) -> SchemaRegistry:
    """The canonical schemas plus those the `schemas:` setting registers."""
    registry = _state(ctx).registry
    assert registry is not None  # built by _state
    return registry


def _print_version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"civicbus {version('civicbus')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("civicbus (not installed)")
        raise typer.Exit


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML settings file (default: $CIVICBUS_CONFIG, else ./civicbus.yaml if present). "
            "CIVICBUS_* environment variables override it.",
            dir_okay=False,
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the civicbus version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    ctx.obj = CliState(config=config)
    # Like `python -m`, the current folder comes first, so a project's own modules named in
    # the configuration (schemas, intake models, route functions) import.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    configure_logging()
    enable_tracing_from_environment()  # only when OTEL_* variables ask for it
    # The callback runs before the command parses its own options, and Typer does not hand
    # it the rest of the command line, so `--help` is looked for in argv.
    if ctx.invoked_subcommand in CONFIG_TOLERANT_COMMANDS or "--help" in sys.argv[1:]:
        return  # doctor diagnoses a broken config itself; --help must work with one too
    # Fail fast: a typo in the config file is reported before any command starts work.
    cli_settings(ctx)
