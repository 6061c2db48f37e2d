"""Every legacy fixture file reads as its publisher documents it, or fails with a clear,
record-level error; hostile files are refused before any record is read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.filedrop import (
    CopybookFormat,
    CsvFormat,
    FileFormatError,
    FixedField,
    FixedWidthFormat,
    JsonLinesFormat,
    Record,
    RecordError,
    XmlFormat,
    read_records,
    unpack_decimal,
)


@pytest.fixture
def files(shared_fixtures: Path) -> Path:
    return shared_fixtures / "files"


def records(path: Path, fmt: object) -> list[Record | RecordError]:
    return list(read_records(path, fmt))  # type: ignore[arg-type]


def test_the_cobrix_ebcdic_extract_reproduces_its_expected_output(files: Path):
    folder = files / "cobrix-test3"
    read = records(
        folder / "TRAN2.AUG31.DATA.dat", CopybookFormat(copybook=folder / "copybook.cob")
    )
    expected = [
        json.loads(line, parse_float=Decimal)
        for line in (folder / "expected.txt").read_text().splitlines()
        if line.strip()
    ]
    assert [r.fields for r in read[:60] if isinstance(r, Record)] == expected
    assert len(read) == 1000


def test_a_cp1252_file_is_detected_and_its_footer_row_skipped(files: Path):
    read = records(files / "messy-csv/spanish_chars.csv", CsvFormat(skip_footer_rows=1))
    assert isinstance(read[0], Record)
    assert (list(read[0].fields)[-1], read[-1].fields["SF"][:10]) == (
        "Descripción",
        "Protección",
    )  # type: ignore[union-attr]


def test_a_latin1_file_with_an_unnamed_column_keeps_that_column(files: Path):
    read = records(files / "messy-csv/sparse_with_column_errors.csv", CsvFormat())
    filled = [r for r in read if isinstance(r, Record) and r.fields["column_4"]]
    assert (len(filled), read[0].fields["Bezeichnung"][:5]) == (12, "Träge")  # type: ignore[union-attr]


def test_title_rows_above_the_header_are_skipped(files: Path):
    read = records(files / "messy-csv/begrotingsanalyse-2011.csv", CsvFormat(header_row=6))
    first = read[0]
    assert isinstance(first, Record)
    assert (first.line, first.fields["NR."], first.fields["Cluster"]) == (
        8,
        "0",
        "Inkomstenclusters:",
    )


def test_a_utf8_bom_is_not_part_of_the_first_field(files: Path):
    read = records(
        files / "messy-csv/utf8bom.csv", CsvFormat(header_row=None, columns=["animal", "result"])
    )
    assert [r.fields for r in read if isinstance(r, Record)] == [
        {"animal": "kitten", "result": "win"}
    ]


def test_a_header_repeated_three_times_is_read_from_its_index(files: Path):
    read = records(files / "messy-csv/a_test_file.csv", CsvFormat(delimiter=";", header_row=2))
    first = read[0]
    assert isinstance(first, Record)
    assert (len(read), first.fields["NUMCOM"], json.loads(first.fields["GEO_INFO"])["type"]) == (
        404,
        "01001",
        "Point",
    )


def test_ragged_rows_are_reported_one_by_one_while_the_rest_flows(tmp_path: Path):
    path = tmp_path / "ragged.csv"
    path.write_text('id,name\n1,"multi\nline"\n2\n3,c,extra\n4,d\n')
    read = records(path, CsvFormat())
    assert [(type(r).__name__, r.line) for r in read] == [
        ("Record", 2),
        ("RecordError", 4),
        ("RecordError", 5),
        ("Record", 6),
    ]


def test_a_declared_encoding_the_file_does_not_have_is_refused_with_its_line(files: Path):
    with pytest.raises(FileFormatError, match=r"not valid utf-8: byte 0x.. on line \d+"):
        records(files / "messy-csv/spanish_chars.csv", CsvFormat(encoding="utf-8"))


def test_binary_garbage_is_refused_as_not_text(tmp_path: Path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FileFormatError, match="binary"):
        records(path, CsvFormat())


def test_fixed_width_fields_are_typed_and_short_lines_reported(tmp_path: Path):
    path = tmp_path / "fixed.txt"
    path.write_text("A001  12.50\nB02\nC003    abc\n")
    fmt = FixedWidthFormat(
        fields=[
            FixedField(name="code", start=0, length=4),
            FixedField(name="amount", start=4, length=7, type="decimal"),
        ]
    )
    read = records(path, fmt)
    assert [r.fields if isinstance(r, Record) else r.reason for r in read] == [
        {"code": "A001", "amount": Decimal("12.50")},
        "short_record",
        "invalid_field",
    ]


def test_xml_records_stream_by_element_with_their_line(tmp_path: Path):
    path = tmp_path / "rows.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<rows xmlns="urn:x">\n<row id="1"><a>x</a></row>\n'
        '<row id="2"><a>y</a><a>z</a></row>\n</rows>'
    )
    read = records(path, XmlFormat(record="row"))
    assert [(r.line, r.fields) for r in read] == [
        (3, {"@id": "1", "a": "x"}),
        (4, {"@id": "2", "a": ["y", "z"]}),
    ]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rows><row>&lol3;</row></rows>"""


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<rows><row>&x;</row></rows>",
    ],
    ids=["billion-laughs", "xxe"],
)
def test_entity_tricks_in_xml_are_refused(tmp_path: Path, document: str):
    path = tmp_path / "evil.xml"
    path.write_text(document)
    with pytest.raises(FileFormatError, match="DOCTYPE"):
        records(path, XmlFormat(record="row"))


def test_json_lines_report_a_bad_line_and_keep_the_rest(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{oops\n[1]\n{"a": 2}\n')
    read = records(path, JsonLinesFormat())
    assert [(r.line, r.fields if isinstance(r, Record) else r.reason) for r in read] == [
        (1, {"a": 1}),
        (3, "invalid_json"),
        (4, "not_an_object"),
        (5, {"a": 2}),
    ]


@pytest.mark.parametrize(
    ("packed", "value"),
    [(b"\x12\x34\x5c", 12345), (b"\x12\x34\x5d", -12345), (b"\x0f", 0), (b"\x00\x1f", 1)],
)
def test_packed_decimals_decode_with_their_sign(packed: bytes, value: int):
    assert unpack_decimal(packed) == value


def test_a_comp3_copybook_item_decodes_with_its_implied_decimals(tmp_path: Path):
    copybook = tmp_path / "rec.cob"
    copybook.write_text(
        "       01 REC.\n          05 NAME PIC X(4).\n          05 BAL  PIC S9(5)V99 COMP-3.\n"
    )
    data = tmp_path / "rec.dat"
    data.write_bytes(
        "ANNA".encode("cp037") + b"\x01\x23\x45\x6d" + "BOB ".encode("cp037") + b"\x00"
    )
    read = records(data, CopybookFormat(copybook=copybook))
    assert [r.fields if isinstance(r, Record) else r.reason for r in read] == [
        {"NAME": "ANNA", "BAL": Decimal("-1234.56")},
        "truncated_record",
    ]


def test_the_cobrix_expected_output_reads_as_json_lines(files: Path):
    read = records(files / "cobrix-test3/expected.txt", JsonLinesFormat())
    assert (len(read), read[0].fields["COMPANY_NAME"]) == (60, "Delta Pivovar")  # type: ignore[union-attr]


def test_the_xroad_xxe_wsdl_is_refused_without_reading_the_entity(shared_fixtures: Path):
    with pytest.raises(FileFormatError, match="DOCTYPE"):
        records(shared_fixtures / "wsdl/negative/xxe.wsdl", XmlFormat(record="definitions"))


def test_a_copybook_with_occurs_is_refused_rather_than_misread(tmp_path: Path):
    copybook = tmp_path / "rec.cob"
    copybook.write_text("       01 REC.\n          05 ITEM PIC X(2) OCCURS 3 TIMES.\n")
    data = tmp_path / "rec.dat"
    data.write_bytes(b"\x00" * 6)
    with pytest.raises(FileFormatError, match="OCCURS"):
        records(data, CopybookFormat(copybook=copybook))
