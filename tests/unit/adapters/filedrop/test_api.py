"""The file-drop package's public surface is exactly what its __init__ exports."""

import adapters.filedrop


def test_the_public_names_are_pinned():
    assert sorted(adapters.filedrop.__all__) == [
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
