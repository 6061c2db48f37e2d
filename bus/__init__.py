"""The civicbus runtime."""

__all__: list[str] = []
