"""Log lines: one JSON shape for structlog and stdlib, message context, no personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import structlog
from pydantic import BaseModel

from bus._logging import bind_message, configure_logging
from bus._settings import Settings
from schemas import Envelope, Personal, default_registry

Lines = Callable[[], list[dict[str, Any]]]


class Citizen(BaseModel):
    name: Annotated[str, Personal()]
    municipality: str


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the next test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in ("kombu", "sqlalchemy")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, previous in libraries.items():
        logging.getLogger(name).setLevel(previous)
    structlog.reset_defaults()


def parsed(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.fixture
def json_lines(tmp_path: Path) -> Lines:
    """Configure JSON logging into a buffer; the returned callable parses what was written."""
    buffer = io.StringIO()
    configure_logging(Settings(data_dir=tmp_path, log_format="json"), stream=buffer)
    return lambda: parsed(buffer)


def an_envelope(**data: Any) -> Envelope:
    return Envelope(source="civicbus://test", type="test.unregistered", data=data)


def test_a_logged_model_never_shows_its_personal_fields(json_lines: Lines) -> None:
    envelope = an_envelope()
    with bind_message(envelope):
        structlog.get_logger().info(
            "citizen_seen", citizen=Citizen(name="Maria Tamm", municipality="Tartu")
        )

    (line,) = json_lines()
    assert "Maria Tamm" not in json.dumps(line)
    assert line["message_id"] == envelope.id
    assert line["citizen"]["municipality"] == "Tartu"


def test_a_logged_envelope_of_a_registered_type_hides_the_persons_name(
    json_lines: Lines,
) -> None:
    envelope = default_registry().build(
        "civic.person",
        {
            "person_id": "900101-1234",
            "given_name": "Maria",
            "family_name": "Tamm",
            "birth_date": "1990-01-01",
            "address": {"street": "Rüütli 1", "postal_code": "51007", "city": "Tartu"},
        },
        source="civicbus://test",
    )

    structlog.get_logger().info("message_received", envelope=envelope)

    (line,) = json_lines()
    assert "Tamm" not in json.dumps(line)
    assert line["envelope"]["id"] == envelope.id
    assert line["envelope"]["data"]["address"]["city"] == "Tartu"


def test_a_logged_envelope_of_an_unknown_type_hides_every_string(json_lines: Lines) -> None:
    envelope = an_envelope(name="Maria Tamm", children=[{"name": "Jaan Tamm"}])

    structlog.get_logger().info("message_received", envelope=envelope)

    (line,) = json_lines()
    assert "Tamm" not in json.dumps(line)
    assert line["envelope"]["id"] == envelope.id


def test_lines_inside_bind_message_carry_the_message_context(json_lines: Lines) -> None:
    envelope = an_envelope()

    with bind_message(envelope, consumer="population-register"):
        structlog.get_logger().info("message_handled")
    structlog.get_logger().info("idle")

    inside, after = json_lines()
    assert {k: inside[k] for k in ("message_id", "correlation_id", "type", "consumer")} == {
        "message_id": envelope.id,
        "correlation_id": envelope.correlationid,
        "type": "test.unregistered",
        "consumer": "population-register",
    }
    assert "message_id" not in after


def test_a_nested_bind_without_consumer_keeps_the_outer_consumer(json_lines: Lines) -> None:
    with bind_message(an_envelope(), consumer="outer"), bind_message(an_envelope()):
        structlog.get_logger().info("reply_published")

    assert json_lines()[0]["consumer"] == "outer"


def test_stdlib_warnings_of_libraries_come_out_as_the_same_json(json_lines: Lines) -> None:
    logging.getLogger("kombu.connection").warning("broker connection lost")

    (line,) = json_lines()
    assert (line["event"], line["level"], line["logger"]) == (
        "broker connection lost",
        "warning",
        "kombu.connection",
    )


def test_library_info_chatter_is_left_out(json_lines: Lines) -> None:
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")

    assert json_lines() == []


def test_timestamps_are_iso_utc(json_lines: Lines) -> None:
    structlog.get_logger().info("tick")

    assert json_lines()[0]["timestamp"].endswith("Z")


def test_configuring_twice_still_writes_each_line_once(tmp_path: Path) -> None:
    buffer = io.StringIO()
    settings = Settings(data_dir=tmp_path, log_format="json")
    configure_logging(settings, stream=buffer)
    configure_logging(settings, stream=buffer)
    structlog.get_logger().info("started")

    assert len(buffer.getvalue().splitlines()) == 1


def test_lines_below_the_configured_level_are_dropped(tmp_path: Path) -> None:
    buffer = io.StringIO()
    configure_logging(
        Settings(data_dir=tmp_path, log_format="json", log_level="warning"), stream=buffer
    )
    structlog.get_logger().info("routine")
    structlog.get_logger().warning("unusual")

    assert [line["event"] for line in parsed(buffer)] == ["unusual"]


def test_a_stream_that_is_not_a_terminal_gets_json_by_default(tmp_path: Path) -> None:
    buffer = io.StringIO()
    configure_logging(Settings(data_dir=tmp_path), stream=buffer)
    structlog.get_logger().info("started", port=8080)

    assert json.loads(buffer.getvalue())["port"] == 8080


def test_the_console_format_is_readable_text(tmp_path: Path) -> None:
    buffer = io.StringIO()
    configure_logging(Settings(data_dir=tmp_path, log_format="console"), stream=buffer)
    structlog.get_logger().info("started", port=8080)

    assert "started" in buffer.getvalue()
    assert not buffer.getvalue().lstrip().startswith("{")
