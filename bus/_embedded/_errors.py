"""Errors the embedded broker raises, shaped like the ones py-amqp raises for RabbitMQ.

Each broker error is both the py-amqp class (so bus code that catches ``amqp.exceptions.NotFound``
behaves the same on both brokers) and kombu's ``ChannelError`` (what kombu's virtual transports
raise), so either style of ``except`` works.
"""

from __future__ import annotations

from amqp import exceptions as amqp_exceptions
from kombu import exceptions as kombu_exceptions


class EmbeddedUrlError(ValueError):
    """The ``embedded://`` URL does not name a broker file."""


# mypy sees amqp and kombu as untyped (follow_imports=skip), so their classes are Any.
class BrokerNotFound(amqp_exceptions.NotFound, kombu_exceptions.ChannelError):  # type: ignore[misc]
    """A queue or exchange the caller named does not exist (AMQP 404)."""


class BrokerPreconditionFailed(amqp_exceptions.PreconditionFailed, kombu_exceptions.ChannelError):  # type: ignore[misc]
    """A redeclaration differs from the stored declaration (AMQP 406)."""
