"""Files for a legacy system appear whole (temp, fsync, rename), never overwrite silently,
and nothing in a message can write outside the outbox."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from adapters import InvalidRequest, LegacyFault
from adapters.filedrop import Outbox, OutboxWriter


def make_writer(tmp_path: Path, **overrides: Any) -> OutboxWriter:
    settings: dict[str, Any] = {"path": tmp_path / "out", "columns": ["id", "name"], **overrides}
    outbox = Outbox(**settings)
    outbox.path.mkdir(parents=True, exist_ok=True)
    return OutboxWriter(outbox)


@pytest.mark.parametrize(
    "name",
    [
        "../escape.csv",
        "/etc/passwd",
        "a/b.csv",
        "nul\x00.csv",
        ".hidden",
        "..",
        "a\\b",
        "é.csv",
        "-rf",
        "x" * 201,
        "new\nline.csv",
    ],
)
def test_a_name_that_could_leave_the_outbox_is_refused(tmp_path: Path, name: str):
    writer = make_writer(tmp_path)
    with pytest.raises(InvalidRequest, match="refused"):
        writer.write([{"id": 1}], name=name)
    assert list(tmp_path.rglob("*")) == [tmp_path / "out"]


def test_a_symlink_in_the_outbox_cannot_redirect_a_write(tmp_path: Path):
    writer = make_writer(tmp_path)
    (tmp_path / "out" / "link.csv").symlink_to(tmp_path / "outside.csv")
    with pytest.raises(InvalidRequest, match="outside"):
        writer.write([{"id": 1}], name="link.csv")


def test_an_existing_file_is_never_overwritten(tmp_path: Path):
    writer = make_writer(tmp_path)
    writer.write([{"id": 1, "name": "first"}], name="x.csv")
    with pytest.raises(LegacyFault, match="already exists"):
        writer.write([{"id": 2, "name": "second"}], name="x.csv")
    assert "first" in (tmp_path / "out" / "x.csv").read_text()


def test_the_suffix_policy_finds_a_free_name(tmp_path: Path):
    writer = make_writer(tmp_path, if_exists="suffix")
    names = [writer.write([{"id": i}], name="x.csv")[0] for i in range(3)]
    assert names == ["x.csv", "x-1.csv", "x-2.csv"]


def test_csv_files_have_a_header_and_a_done_marker_follows(tmp_path: Path):
    writer = make_writer(tmp_path, done_marker=".done")
    [name] = writer.write([{"id": 1, "name": "Ann"}, {"id": 2}], prefix="people")
    out = tmp_path / "out"
    assert (
        (out / name).read_bytes().decode(),
        (out / f"{name}.done").exists(),
        name.startswith("people-"),
    ) == (
        "id,name\r\n1,Ann\r\n2,\r\n",
        True,
        True,
    )


def test_fixed_width_refuses_a_value_wider_than_its_column(tmp_path: Path):
    writer = make_writer(tmp_path, format="fixed-width", widths=[3, 4])
    writer.write([{"id": 1, "name": "Ann"}], name="ok.txt")
    with pytest.raises(InvalidRequest, match="4-character column"):
        writer.write([{"id": 1, "name": "Annabel"}], name="bad.txt")
    assert (tmp_path / "out" / "ok.txt").read_bytes().decode() == "1  Ann \r\n"


def test_xml_files_hold_one_element_per_record(tmp_path: Path):
    writer = make_writer(tmp_path, format="xml")
    writer.write([{"id": 1, "name": "<Ann & co>"}], name="r.xml")
    assert (tmp_path / "out" / "r.xml").read_bytes() == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b"<records><record><id>1</id><name>&lt;Ann &amp; co&gt;</name></record></records>"
    )


def test_records_are_split_by_count(tmp_path: Path):
    writer = make_writer(tmp_path, batch_count=2)
    names = writer.write([{"id": i} for i in range(5)])
    assert len(names) == 3


def test_calls_within_the_time_window_share_one_file(tmp_path: Path):
    writer = make_writer(tmp_path, batch_seconds=0.5, batch_count=100)
    results: list[list[str]] = []
    calls = [
        threading.Thread(target=lambda i=i: results.append(writer.write([{"id": i}])))
        for i in range(3)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join(10)
    assert len({tuple(r) for r in results}) == 1
    assert (tmp_path / "out" / results[0][0]).read_bytes().decode().count("\r\n") == 4


def test_no_temporary_file_is_left_behind(tmp_path: Path):
    writer = make_writer(tmp_path)
    writer.write([{"id": 1}], name="x.csv")
    with pytest.raises(LegacyFault):
        writer.write([{"id": 1}], name="x.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.csv"]
