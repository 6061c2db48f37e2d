"""The kombu transport class behind ``embedded://`` URLs."""

from __future__ import annotations

import sqlite3
from typing import Any

from amqp import exceptions as amqp_exceptions
from kombu.transport import virtual

from ._channel import Channel
from ._url import broker_path


class Transport(virtual.Transport):  # type: ignore[misc]  # kombu is untyped to mypy
    """A durable broker in one SQLite file, shared by every process that opens it.

    Transport options (``Connection(url, transport_options={...})``):

    - ``polling_interval`` (s, default 0.05): idle wait between polls of empty queues.
    - ``visibility_timeout`` (s, default 30): an owner whose heartbeat is older than this is
      dead and its reservations are redelivered. Handlers that run longer must raise it.
    - ``synchronous`` (default ``NORMAL``): SQLite's durability level. NORMAL loses nothing to a
      process crash or ``kill -9``; use ``FULL`` to also survive a power loss.
    - ``busy_timeout`` (s, default 30): how long a writer waits for another process's lock.
    - ``max_batch`` (default 64): most messages reserved in one poll when prefetch is unlimited.
    - ``heartbeat_interval`` (s, default 1): how often an owner refreshes its heartbeat and looks
      for dead owners.
    """

    Channel = Channel

    can_parse_url = True  # the whole URL arrives as the hostname; _url.broker_path reads it
    polling_interval = 0.05
    default_port = 0
    driver_type = "sqlite"
    driver_name = "sqlite3"

    connection_errors = (
        *virtual.Transport.connection_errors,
        sqlite3.OperationalError,  # "database is locked" past busy_timeout: retry later
    )
    channel_errors = (*virtual.Transport.channel_errors, amqp_exceptions.ChannelError)

    implements = virtual.Transport.implements.extend(
        exchange_type=frozenset({"direct", "topic", "fanout"}),
    )

    def __init__(self, client: Any, **kwargs: Any) -> None:
        # Parse before the base class opens anything, so a bad URL fails with its own message.
        self.broker_path = broker_path(str(client.hostname or ""))
        super().__init__(client, **kwargs)

    def driver_version(self) -> str:
        return sqlite3.sqlite_version
