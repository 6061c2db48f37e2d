"""`civicbus console`: serve the operations console; `civicbus console users add` makes a
sign-in for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from bus._console import Console, hash_password
from bus._settings import DEFAULT_CONFIG_FILE
from bus.cli._app import CliState, app, cli_settings, fail
from bus.cli._serving import open_bus, serve_in_foreground

console_app = typer.Typer(
    no_args_is_help=False,
    invoke_without_command=True,
    rich_markup_mode="markdown",
)
users_app = typer.Typer(
    help="Who may sign in to the console.\n\n"
    "Example: civicbus console users add mari --role operator",
    no_args_is_help=True,
)
console_app.add_typer(users_app, name="users")
app.add_typer(console_app, name="console")


@console_app.callback()
def console(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address (console.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (console.port).")] = None,
) -> None:
    """Serve the operations console until Ctrl-C or SIGTERM.

    It reads the journal, the dead-letter queues and the shared catalog that `civicbus run`
    processes write, so it imports no adapter. Users and roles come from `console.users`;
    add one with `civicbus console users add`. `civicbus run` serves it too when
    `console.enabled` is true.

    Example: civicbus console --port 8090   (then open http://127.0.0.1:8090)
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = cli_settings(ctx)
    bus = open_bus(settings)
    no_users = ["no users yet: civicbus console users add NAME --role operator"]
    serve_in_foreground(
        "console",
        bus,
        Console(bus),
        host=host or settings.console.host,
        port=settings.console.port if port is None else port,
        notes=lambda _url: [] if settings.console.users else no_users,
    )


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[
        str,
        typer.Option(
            help="viewer reads; operator also replays and discards dead letters; "
            "admin also sees personal data unmasked."
        ),
    ] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (for scripts).")
    ] = False,
    save: Annotated[
        bool,
        typer.Option(
            help="Write the user into the config file (--config, $CIVICBUS_CONFIG or "
            "./civicbus.yaml; comments in it are not kept) instead of only printing it."
        ),
    ] = False,
) -> None:
    """Hash a password with scrypt and print the `console.users` entry for it.

    Only the hash is printed or stored, never the password.

    Example: civicbus console users add mari --role operator --save
    """
    if role not in {"viewer", "operator", "admin"}:
        fail(f"--role {role} is not a console role; use viewer, operator or admin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("the password is empty; give one")
    entry: dict[str, Any] = {"password_hash": hash_password(password), "role": role}
    if not save:
        typer.echo(yaml.safe_dump({"console": {"users": {name: entry}}}, sort_keys=False))
        return
    path = _config_path(ctx)
    _save_user(path, name, entry)
    typer.secho(f"{name} ({role}) saved in {path}", fg=typer.colors.GREEN, err=True)


def _config_path(ctx: typer.Context) -> Path:
    state = ctx.find_root().obj
    if isinstance(state, CliState) and state.config is not None:
        return state.config
    return Path(os.environ.get("CIVICBUS_CONFIG") or DEFAULT_CONFIG_FILE)


def _save_user(path: Path, name: str, entry: dict[str, Any]) -> None:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError as exc:
        fail(f"config file {path} is not valid YAML ({exc}); fix it before adding users")
    document: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    console_section = document.setdefault("console", {}) or {}
    document["console"] = console_section
    users = console_section.setdefault("users", {}) or {}
    console_section["users"] = users
    users[name] = entry
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
