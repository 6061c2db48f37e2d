"""Logging: structlog lines (JSON off a terminal, readable on one) that never leak personal data.

structlog and the stdlib `logging` records of kombu, SQLAlchemy and alembic go through one handler
on the root logger, so every line has the same shape, timestamp and context whoever wrote it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, TextIO

import structlog
from pydantic import BaseModel
from structlog.types import EventDict, Processor, WrappedLogger

from bus._settings import Settings
from schemas import Envelope, SchemaRegistry, default_registry, mask, trace_id

__all__ = ["bind_message", "configure_logging", "mask_personal_data"]

# These libraries narrate every connection, statement, file event (watchfiles) or request
# (httpx: webhooks, the gateway client) at INFO; only their warnings help an operator unless
# civicbus itself runs at debug level.
_CHATTY_LIBRARIES: Final = ("kombu", "amqp", "sqlalchemy", "alembic", "watchfiles", "httpx")

# Marks the handler configure_logging installs, so a second call replaces it instead of
# printing every line twice.
_HANDLER_MARK: Final = "_civicbus_handler"


class _Masking:
    # The registry whose models say which payload fields are personal. Building the default
    # one registers every schema, too slow to repeat for each log line, so it is kept here.
    registry: SchemaRegistry | None = None


def configure_logging(
    settings: Settings | None = None,
    *,
    stream: TextIO | None = None,
    registry: SchemaRegistry | None = None,
) -> None:
    """Route structlog and stdlib logging to `stream` (default stderr) in one format.

    JSON lines when `stream` is not a terminal or `log_format` is "json", structlog's console
    renderer on a terminal or with "console". Envelopes in log calls are masked by the models
    of `registry` (default: `schemas.default_registry()`); pass the runtime's registry once
    adapters have added their types. Calling it again replaces the earlier set-up.
    """
    _Masking.registry = registry
    # Plain defaults: the environment and config file are only read through load_settings.
    settings = settings if settings is not None else Settings.model_construct()
    out = stream if stream is not None else sys.stderr
    level = logging.getLevelNamesMapping()[settings.log_level.upper()]
    as_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not _is_terminal(out)
    )

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_personal_data,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a logger used before configure_logging would otherwise keep the defaults.
        cache_logger_on_first_use=False,
    )

    renderer: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if as_json
        else [structlog.dev.ConsoleRenderer(colors=_is_terminal(out))]
    )
    handler: logging.StreamHandler[TextIO] = (
        logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
    )
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    setattr(handler, _HANDLER_MARK, True)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(min(max(level, logging.WARNING), logging.ERROR))


@contextmanager
def bind_message(envelope: Envelope, *, consumer: str | None = None) -> Iterator[None]:
    """Within the block every log line carries the message's id, correlation id and type, and
    the consumer handling it.

    `consumer` is bound only when given, so a message published while handling another keeps
    the outer consumer's name in its lines.
    """
    fields: dict[str, Any] = {
        "message_id": envelope.id,
        "correlation_id": envelope.correlationid,
        "type": envelope.type,
    }
    if envelope.traceparent is not None:
        fields["trace_id"] = trace_id(envelope.traceparent)
    if consumer is not None:
        fields["consumer"] = consumer
    with structlog.contextvars.bound_contextvars(**fields):
        yield


def mask_personal_data(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: envelopes and pydantic models in a log call are logged masked."""
    for key, value in event_dict.items():
        event_dict[key] = _masked(value)
    return event_dict


def _masked(value: Any) -> Any:
    if isinstance(value, Envelope):
        return _masked_envelope(value)
    if isinstance(value, BaseModel):
        dumped = value.model_dump(mode="json")
        try:
            return mask(dumped, type(value))
        except Exception:  # a log line must never fail; hide all text instead
            return mask(dumped, None)
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def _masked_envelope(envelope: Envelope) -> dict[str, Any]:
    if _Masking.registry is None:
        _Masking.registry = default_registry()
    try:
        return _Masking.registry.mask(envelope)
    except Exception:  # unknown type or bad payload: hide all text, keep logging
        body = dict(envelope.to_dict())
        body["data"] = mask(body.get("data"), None)
        return body


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at each line, as `logging.lastResort` does, so a CLI
    runner or test that swaps stderr captures the lines and never meets a closed stream."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    # A property over the attribute StreamHandler stores, read from sys.stderr at each line.
    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or bare stream is no terminal
        return False
