"""The file-drop adapter kind: legacy batch files in (watched inbox folders, streamed record
readers for CSV, fixed-width, COBOL copybook/EBCDIC, XML and JSON Lines) and out (atomic
writes inside a jailed folder)."""

from adapters.filedrop._adapter import FileDropAdapter, FilesWritten, WriteRecords
from adapters.filedrop._binary import CopybookFormat
from adapters.filedrop._claims import ClaimMismatch, FileClaim, open_claim
from adapters.filedrop._config import FileDropConfig, Inbox, Outbox, Readiness
from adapters.filedrop._copybook import CopybookField, parse_copybook, unpack_decimal
from adapters.filedrop._csv import CsvFormat
from adapters.filedrop._fixed import FixedField, FixedWidthFormat
from adapters.filedrop._formats import FileFormat, read_records
from adapters.filedrop._jail import jailed
from adapters.filedrop._jsonl import JsonLinesFormat
from adapters.filedrop._outbox import OutboxWriter
from adapters.filedrop._records import FileFormatError, Record, RecordError
from adapters.filedrop._source import FileRecord, InboxSource, file_hash
from adapters.filedrop._state import FileProgress
from adapters.filedrop._xml import XmlFormat

__all__ = [
    "ClaimMismatch",
    "CopybookField",
    "CopybookFormat",
    "CsvFormat",
    "FileClaim",
    "FileDropAdapter",
    "FileDropConfig",
    "FileFormat",
    "FileFormatError",
    "FileProgress",
    "FileRecord",
    "FilesWritten",
    "FixedField",
    "FixedWidthFormat",
    "Inbox",
    "InboxSource",
    "JsonLinesFormat",
    "Outbox",
    "OutboxWriter",
    "Readiness",
    "Record",
    "RecordError",
    "WriteRecords",
    "XmlFormat",
    "file_hash",
    "jailed",
    "open_claim",
    "parse_copybook",
    "read_records",
    "unpack_decimal",
]
