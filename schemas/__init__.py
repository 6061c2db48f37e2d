"""Canonical messages: the CloudEvents envelope, the schema registry, personal-data masking."""

__all__: list[str] = []
