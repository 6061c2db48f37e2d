"""The journal: every message and every hop, batched off the hot path, searchable."""

from bus._journal._journal import Journal
from bus._journal._records import Hop, HopRecord, MessageRecord

__all__ = ["Hop", "HopRecord", "Journal", "MessageRecord"]
