"""Routes: the enterprise integration patterns that connect adapters.

The route model lands with its own issue; until then this package exports nothing.
"""

__all__: list[str] = []
