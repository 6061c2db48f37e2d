"""The example adapter kind: an in-memory register of keyed records behind two operations,
`get-record` and `put-record`. It is the model to copy for a new kind (`civicbus adapters new`
scaffolds the same shape) and the kind the contract test kit is first proven against.

    adapters:
      records:
        kind: example
        seed: {"1": "one"}
        timeout: 0.5
"""

from adapters.example._adapter import ExampleAdapter, ExampleConfig, GetRecord, PutRecord, Record
from adapters.example._register import Register, RegisterFault

__all__ = [
    "ExampleAdapter",
    "ExampleConfig",
    "GetRecord",
    "PutRecord",
    "Record",
    "Register",
    "RegisterFault",
]
