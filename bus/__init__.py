"""The civicbus runtime: settings, publishing and consuming on a broker, retries and dead
letters, idempotency, the journal, logging and the CLI.

RabbitMQ is the production broker; the embedded broker (`embedded:///path.db`) needs no server
and is the default.
"""

from bus._aggregates import AggregateGroup, Aggregates
from bus._audit import AuditLog, OperatorAction
from bus._caller import Caller, OperationFailed, OperationTimeout
from bus._catalog import Catalog, OperationEntry, OperationNotFound
from bus._catalog_store import CatalogStore, StoredOperation
from bus._dead_letters import DeadLetter, DeadLetterNotFound, DeadLetters
from bus._delivery import Delivery, Handler
from bus._embedded import register as _register_embedded_transport
from bus._errors import BrokerUnavailable, PermanentError, PublishError, TransientError
from bus._gateway_async_client import AsyncGatewayClient
from bus._gateway_client import GatewayClient, GatewayEvent, RetryPolicy
from bus._gateway_errors import (
    AccessDenied,
    AuthenticationFailed,
    BusError,
    GatewayError,
    LegacySystemError,
    RateLimited,
    RequestRejected,
    UnknownResource,
)
from bus._idempotency import Claim, IdempotencyStore
from bus._journal import Hop, HopRecord, Journal, MessageRecord
from bus._json_schema import CanonicalData
from bus._logging import bind_message, configure_logging
from bus._metrics import register_gauge
from bus._operations import OperationHandler, OperationServer, ServedOperation
from bus._processing import TRANSIENT_ERRORS
from bus._publisher import Publisher
from bus._runtime import Bus
from bus._settings import (
    CatalogSettings,
    ConfigError,
    JournalSettings,
    RetrySettings,
    Settings,
    load_settings,
)
from bus._topology import Topology
from bus._webhook_signature import WEBHOOK_SIGNATURE_HEADER, sign_webhook, verify_webhook

_register_embedded_transport()

__all__ = [
    "TRANSIENT_ERRORS",
    "WEBHOOK_SIGNATURE_HEADER",
    "AccessDenied",
    "AggregateGroup",
    "Aggregates",
    "AsyncGatewayClient",
    "AuditLog",
    "AuthenticationFailed",
    "BrokerUnavailable",
    "Bus",
    "BusError",
    "Caller",
    "CanonicalData",
    "Catalog",
    "CatalogSettings",
    "CatalogStore",
    "Claim",
    "ConfigError",
    "DeadLetter",
    "DeadLetterNotFound",
    "DeadLetters",
    "Delivery",
    "GatewayClient",
    "GatewayError",
    "GatewayEvent",
    "Handler",
    "Hop",
    "HopRecord",
    "IdempotencyStore",
    "Journal",
    "JournalSettings",
    "LegacySystemError",
    "MessageRecord",
    "OperationEntry",
    "OperationFailed",
    "OperationHandler",
    "OperationNotFound",
    "OperationServer",
    "OperationTimeout",
    "OperatorAction",
    "PermanentError",
    "PublishError",
    "Publisher",
    "RateLimited",
    "RequestRejected",
    "RetryPolicy",
    "RetrySettings",
    "ServedOperation",
    "Settings",
    "StoredOperation",
    "Topology",
    "TransientError",
    "UnknownResource",
    "bind_message",
    "configure_logging",
    "load_settings",
    "register_gauge",
    "sign_webhook",
    "verify_webhook",
]
