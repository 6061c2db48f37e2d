"""The adapter contract test kit: the tests every adapter kind must pass, written once.

A kind's tests subclass `AdapterContract` (and `BusContract` for the bus round trip), provide
three fixtures — the config, a `LegacyControl` that breaks the legacy system, a `SampleCall` —
and inherit the tests, as kombu's integration tests reuse one class for every broker.
Needs pytest; import it from tests only.
"""

from adapters.testing._bus_contract import BusContract
from adapters.testing._contract import AdapterContract
from adapters.testing._hooks import Hung, LegacyControl, SampleCall, bounded
from adapters.testing._kinds import registered_kind

__all__ = [
    "AdapterContract",
    "BusContract",
    "Hung",
    "LegacyControl",
    "SampleCall",
    "bounded",
    "registered_kind",
]
