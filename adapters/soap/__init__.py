"""The SOAP adapter kind (zeep): a WSDL's operations as typed bus operations, loaded offline
and hardened. Registered as the entry point `soap` in the group `civicbus.adapters`."""

from adapters.soap._adapter import IDEMPOTENT_PREFIXES, SoapAdapter, is_idempotent_name
from adapters.soap._config import (
    BasicAuthConfig,
    CanonicalMapping,
    ClientCertConfig,
    OperationOverride,
    SoapConfig,
    WsseConfig,
)
from adapters.soap._faults import fault_code_class
from adapters.soap._loading import OfflineTransport, SelectedPort
from adapters.soap._models import HEADER_FIELD, python_name

__all__ = [
    "HEADER_FIELD",
    "IDEMPOTENT_PREFIXES",
    "BasicAuthConfig",
    "CanonicalMapping",
    "ClientCertConfig",
    "OfflineTransport",
    "OperationOverride",
    "SelectedPort",
    "SoapAdapter",
    "SoapConfig",
    "WsseConfig",
    "fault_code_class",
    "is_idempotent_name",
    "python_name",
]
