"""Errors a handler raises to say what should happen to its message, and errors of the bus."""

from __future__ import annotations


class TransientError(Exception):
    """A failure that can pass (a legacy system briefly down): retry, then dead-letter."""


class PermanentError(Exception):
    """A failure retrying cannot fix (bad data for this handler): dead-letter at once."""


class PublishError(Exception):
    """A message could not be handed to the broker; the caller still owns it."""


class BrokerUnavailable(PublishError):
    """The broker could not be reached within the allowed time."""
