"""The `civicbus` command line: the composition root that wires runtime, adapters and routes."""

from __future__ import annotations

# Importing a command module registers its commands on `app`.
from bus.cli import (  # noqa: F401
    _adapters,
    _clients,
    _console,
    _dlq,
    _doctor,
    _gateway,
    _messages,
    _publish,
    _routes,
    _run,
    _schemas,
    _status,
    _tail,
)
from bus.cli._app import CliState, app, cli_settings, fail

__all__ = ["CliState", "app", "cli_settings", "fail", "main"]


def main() -> None:
    """Entry point of the `civicbus` console script."""
    app()
