"""`civicbus doctor`: check every configured service and say how to fix what is wrong.

Each check returns a `Check`; none raises. The checks run at the same time, each in its own
thread with a deadline, so one hanging service cannot stall the report.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

import sqlalchemy as sa
from kombu.connection import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bus._settings import DEFAULT_CONFIG_FILE, ConfigError, Settings, load_settings
from bus.migrations import current_revision, head_revision, migrate

__all__ = ["DEFAULT_TIMEOUT", "Check", "apply_fixes", "check_config", "run_checks"]

DEFAULT_TIMEOUT: Final = 5.0

FIX_COMMAND: Final = "civicbus doctor --fix"

_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class Check:
    """One verdict: what was checked, whether it passed, what was found, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def check_config(config: Path | None = None) -> tuple[Check, Settings | None]:
    """Load the settings the way every command does, as a check; the settings when they load."""
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        return (
            Check("config", False, str(exc), "correct the setting named above and run again"),
            None,
        )
    return Check("config", True, f"settings read from {_config_source(config)}"), settings


def run_checks(settings: Settings, *, timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    """Check the data folder, the broker, the journal and the state database, in that order.

    Each check gets `timeout` seconds; one that has not answered by then fails.
    """
    probes: list[tuple[str, Callable[[], Check]]] = [
        ("data_dir", lambda: _check_data_dir(settings)),
        ("broker", lambda: _check_broker(settings, timeout)),
    ]
    if settings.journal.enabled:
        probes.append(
            ("journal", lambda: _check_database("journal", settings.journal_url, timeout))
        )
    probes.append(("state", lambda: _check_database("state", settings.state, timeout)))
    return _run_bounded(probes, timeout)


def apply_fixes(settings: Settings) -> list[Check]:
    """Do what `doctor --fix` can do safely: create the data folder and migrate the journal
    and state databases to the newest schema. Returns one Check per action."""
    done: list[Check] = []
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        done.append(Check("fix data_dir", True, f"{settings.data_dir} exists"))
    except OSError as exc:
        done.append(
            Check(
                "fix data_dir",
                False,
                f"cannot create {settings.data_dir}: {exc.strerror}",
                "set CIVICBUS_DATA_DIR to a folder this user may write",
            )
        )
    databases = [("state", settings.state)]
    if settings.journal.enabled:
        databases.insert(0, ("journal", settings.journal_url))
    for name, url in databases:
        try:
            migrate(url)
            done.append(Check(f"fix {name}", True, f"{_shown(url)} migrated to {head_revision()}"))
        except Exception as exc:  # reported as a failed fix, never a traceback
            done.append(
                Check(
                    f"fix {name}",
                    False,
                    f"migrating {_shown(url)} failed: {_first_line(exc)}",
                    "make the database reachable (see its check) and run the fix again",
                )
            )
    return done


def _run_bounded(probes: list[tuple[str, Callable[[], Check]]], timeout: float) -> list[Check]:
    results: dict[str, Check] = {}

    def run(name: str, probe: Callable[[], Check]) -> None:
        try:
            results[name] = probe()
        except Exception as exc:  # a broken check must not hide the others
            results[name] = Check(
                name, False, f"the check itself failed: {exc!r}", "report this civicbus bug"
            )

    # Daemon threads: a service that never answers must not keep the process from exiting.
    threads = [
        threading.Thread(target=run, args=probe, name=f"doctor-{probe[0]}", daemon=True)
        for probe in probes
    ]
    for thread in threads:
        thread.start()
    # The probes' own connect timeouts are `timeout`; the grace lets them report it themselves.
    deadline = time.monotonic() + timeout + 1.0
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [
        results.get(name)
        or Check(
            name,
            False,
            f"no answer within {timeout:g}s",
            "check that the service is up and reachable from here",
        )
        for name, _ in probes
    ]


def _config_source(config: Path | None) -> str:
    if config is not None:
        return str(config)
    explicit = os.environ.get("CIVICBUS_CONFIG")
    if explicit:
        return explicit
    if DEFAULT_CONFIG_FILE.is_file():
        return str(DEFAULT_CONFIG_FILE)
    return "defaults and CIVICBUS_* environment variables (no config file)"


def _check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    if path.exists() and not path.is_dir():
        return Check(
            "data_dir",
            False,
            f"{path} exists but is not a folder",
            "move that file away or set CIVICBUS_DATA_DIR to another folder",
        )
    problem = _write_problem(path)
    if problem is not None:
        return Check(
            "data_dir", False, problem, "make it writable or set CIVICBUS_DATA_DIR elsewhere"
        )
    if not path.exists():
        return Check("data_dir", True, f"{path} will be created on first use")
    return Check("data_dir", True, f"{path} is writable")


def _write_problem(folder: Path) -> str | None:
    """Why this user cannot create files in `folder` (or in the folder that would hold it)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        # A real file says more than os.access, which is always true for root.
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return f"cannot write in {probe.resolve()}: {exc.strerror}"
    return None


def _check_broker(settings: Settings, timeout: float) -> Check:
    if settings.uses_embedded_broker:
        return _check_embedded_broker(settings.broker)
    return _check_remote_broker(settings.broker, timeout)


def _check_embedded_broker(url: str) -> Check:
    try:
        from bus import _embedded  # noqa: PLC0415 -- optional: a slim install may lack it
    except ImportError:
        return Check(
            "broker",
            False,
            "the embedded broker is not available in this installation",
            "set CIVICBUS_BROKER_URL to a RabbitMQ URL (amqp://user:password@host:5672//)",
        )
    try:
        path = _embedded.broker_path(url)
    except _embedded.EmbeddedUrlError as exc:
        return Check("broker", False, str(exc), "correct CIVICBUS_BROKER_URL")
    problem = _write_problem(path.parent)
    if problem is not None:
        return Check(
            "broker",
            False,
            f"embedded broker file {path}: {problem}",
            "make that folder writable or set CIVICBUS_DATA_DIR elsewhere",
        )
    return Check("broker", True, f"embedded broker in {path} (no server needed)")


def _check_remote_broker(url: str, timeout: float) -> Check:
    connection = Connection(url, connect_timeout=timeout)
    where = f"{connection.hostname}:{connection.port}"
    shown = connection.as_uri()  # the password masked
    server = "RabbitMQ" if connection.transport.driver_type == "amqp" else f"broker {shown}"
    try:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=timeout
        )
    except Exception as exc:  # every failure becomes a verdict with a fix
        return _broker_failure(exc, server, where, timeout)
    finally:
        connection.release()
    return Check("broker", True, f"{server} at {where} accepted a connection ({shown})")


def _broker_failure(exc: Exception, server: str, where: str, timeout: float) -> Check:
    refused = _cause(exc, ConnectionRefusedError)
    if refused is not None:
        start = "`rabbitmq-server -detached`" if server == "RabbitMQ" else "the broker"
        return Check(
            "broker",
            False,
            f"{server} at {where} refused the connection",
            f"start it ({start}) or set CIVICBUS_BROKER_URL",
        )
    if "ACCESS_REFUSED" in str(exc) or "403" in str(getattr(exc, "reply_code", "")):
        return Check(
            "broker",
            False,
            f"{server} at {where} refused the login",
            "check the user, password and vhost in CIVICBUS_BROKER_URL",
        )
    if _cause(exc, TimeoutError) is not None:
        return Check(
            "broker",
            False,
            f"{server} at {where} did not answer within {timeout:g}s",
            "check the host, port and firewall, or set CIVICBUS_BROKER_URL",
        )
    unreachable = _cause(exc, OSError)
    if unreachable is not None and unreachable.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        fix = "check the host name and network, or set CIVICBUS_BROKER_URL"
    else:
        fix = "check CIVICBUS_BROKER_URL and that the broker is up"
    return Check("broker", False, f"{server} at {where}: {_first_line(exc)}", fix)


def _check_database(name: str, url: str, timeout: float) -> Check:
    env = "CIVICBUS_JOURNAL__URL" if name == "journal" else "CIVICBUS_STATE_URL"
    shown = _shown(url)
    parsed = make_url(url)
    database = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if is_file and not Path(database).exists():
        # Connecting would create an empty file; say what is missing instead.
        return Check(
            name,
            False,
            f"{shown} does not exist yet",
            f"run `{FIX_COMMAND}` to create it and migrate it to the newest schema",
        )
    try:
        current = _current_revision(url, timeout)
    except SQLAlchemyError as exc:
        return Check(
            name,
            False,
            f"cannot connect to {shown}: {_first_line(exc)}",
            f"start the database server or set {env}",
        )
    head = head_revision()
    if current == head:
        return Check(name, True, f"{shown} is reachable and at the newest schema ({head})")
    found = "has no civicbus tables" if current is None else f"is at revision {current}"
    return Check(
        name,
        False,
        f"{shown} {found}; the newest is {head}",
        f"run `{FIX_COMMAND}` to migrate it",
    )


def _current_revision(url: str, timeout: float) -> str | None:
    # Probe with our own connect timeout first: current_revision would wait as long as the
    # driver likes on a server that does not answer.
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=_timeout_args(url, timeout))
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
    return current_revision(url)


def _timeout_args(url: str, timeout: float) -> dict[str, object]:
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return {"connect_timeout": max(1, round(timeout))}
    if backend == "sqlite":
        return {"timeout": timeout}
    return {}


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of `kind` in the chain of causes, as kombu wraps socket errors."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
