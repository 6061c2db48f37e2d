"""The embedded durable broker: a kombu transport on one SQLite file.

``register()`` makes ``embedded:///relative/broker.db`` and ``embedded:////abs/broker.db`` usable
as kombu broker URLs. Messages survive a ``kill -9`` of any process: a publish is a committed row,
a delivery reserves the row until it is acked, and a dead consumer's reservations come back.

Behaviour where RabbitMQ leaves a choice, or where this broker differs:

- Publishing to an exchange nobody declared raises :class:`BrokerNotFound` (RabbitMQ closes the
  channel with the same 404). A message that matches no queue is dropped with a
  ``message_unroutable`` warning, as RabbitMQ drops it; ``mandatory`` is not honoured.
- A queue with ``x-message-ttl`` and ``x-dead-letter-exchange`` is a delay line: the message is
  stored straight in the dead-letter destination, visible after the TTL, with RabbitMQ's
  ``x-death`` header. ``x-message-ttl`` without a dead-letter exchange, per-message
  ``expiration``, priorities and queue length limits are not enforced.
- Exclusive and auto-delete queues are deleted, with their messages, when the channel that
  declared them closes or is found dead (not when the last consumer cancels).
- A reservation is given back when its channel's heartbeat is older than ``visibility_timeout``
  (default 30 s) or, on this host, as soon as its process is gone. A handler that runs longer
  than the visibility timeout without polling or acking sees its message redelivered to another
  consumer; raise the option for such handlers.
- ``synchronous=NORMAL`` (default) loses nothing to a process crash; ``synchronous=FULL``
  (transport option) also survives power loss, at a cost in publish rate.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES

from ._errors import BrokerNotFound, BrokerPreconditionFailed, EmbeddedUrlError
from ._transport import Transport
from ._url import SCHEME, broker_path

__all__ = [
    "SCHEME",
    "BrokerNotFound",
    "BrokerPreconditionFailed",
    "EmbeddedUrlError",
    "Transport",
    "broker_path",
    "register",
]


def register() -> None:
    """Make the ``embedded://`` scheme known to kombu (safe to call more than once)."""
    TRANSPORT_ALIASES[SCHEME] = f"{Transport.__module__}:{Transport.__name__}"
