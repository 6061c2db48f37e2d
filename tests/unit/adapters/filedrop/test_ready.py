"""A file still being written is never offered; a complete one is, by the configured rule."""

from __future__ import annotations

import os
from pathlib import Path

from adapters.filedrop import CsvFormat, Inbox, Readiness
from adapters.filedrop._ready import ReadyFiles


def make_inbox(tmp_path: Path, readiness: Readiness, **extra: object) -> Inbox:
    return Inbox(
        name="in",
        path=tmp_path,
        format=CsvFormat(),
        event_type="test.file.record",
        readiness=readiness,
        **extra,  # type: ignore[arg-type]
    )


def age(path: Path, seconds: float, now: float) -> None:
    os.utime(path, (now - seconds, now - seconds))


def test_a_growing_file_is_not_ready_until_it_stays_unchanged(tmp_path: Path):
    ready = ReadyFiles(make_inbox(tmp_path, Readiness(stable_seconds=5, min_age=1)))
    path = tmp_path / "a.csv"
    path.write_text("id\n1\n")
    age(path, 10, 1000.0)
    first = ready.scan(now=1000.0)
    with path.open("a") as handle:
        handle.write("2\n")
    age(path, 9, 1000.0)
    grown = ready.scan(now=1003.0)
    unchanged_long_enough = ready.scan(now=1008.5)
    assert (first, grown, unchanged_long_enough) == ([], [], [path])


def test_a_fresh_file_waits_for_its_minimum_age(tmp_path: Path):
    ready = ReadyFiles(make_inbox(tmp_path, Readiness(stable_seconds=0, min_age=30)))
    path = tmp_path / "a.csv"
    path.write_text("id\n")
    age(path, 5, 1000.0)
    assert ready.scan(now=1000.0) == []


def test_marker_mode_waits_for_the_marker(tmp_path: Path):
    ready = ReadyFiles(make_inbox(tmp_path, Readiness(mode="marker")))
    path = tmp_path / "a.csv"
    path.write_text("id\n")
    before = ready.scan()
    (tmp_path / "a.csv.done").touch()
    assert (before, ready.scan()) == ([], [path])


def test_rename_mode_ignores_temporary_names_include_and_exclude_globs(tmp_path: Path):
    inbox = make_inbox(tmp_path, Readiness(mode="rename"), include=["*.csv"], exclude=["skip*"])
    for name in ["a.csv.part", "b.tmp", "c.txt", "skip.csv", ".hidden.csv", "d.csv"]:
        (tmp_path / name).write_text("x")
    assert ReadyFiles(inbox).scan() == [tmp_path / "d.csv"]


def test_depth_limits_how_far_subfolders_are_searched(tmp_path: Path):
    (tmp_path / "one" / "two").mkdir(parents=True)
    (tmp_path / "one" / "a.csv").write_text("x")
    (tmp_path / "one" / "two" / "b.csv").write_text("x")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.csv").write_text("x")
    inbox = make_inbox(tmp_path, Readiness(mode="rename"), depth=1)
    assert ReadyFiles(inbox).scan() == [tmp_path / "one" / "a.csv"]
