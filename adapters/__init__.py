"""Adapter SDK and the built-in adapter kinds (SOAP, SQL, file drop).

The SDK lands with its own issue; until then this package exports nothing.
"""

__all__: list[str] = []
