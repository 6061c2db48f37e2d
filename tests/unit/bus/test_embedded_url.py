"""How an embedded:// URL names the broker file."""

from __future__ import annotations

from pathlib import Path

import pytest
from kombu.transport import TRANSPORT_ALIASES

import bus._embedded as embedded
from bus._embedded import EmbeddedUrlError, broker_path


def test_the_public_surface_is_pinned() -> None:
    assert set(embedded.__all__) == {
        "SCHEME",
        "BrokerNotFound",
        "BrokerPreconditionFailed",
        "EmbeddedUrlError",
        "Transport",
        "broker_path",
        "register",
    }


def test_three_slashes_name_a_path_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert broker_path("embedded:///data/broker.db") == tmp_path / "data" / "broker.db"


def test_four_slashes_name_an_absolute_path() -> None:
    assert broker_path("embedded:////srv/bus/broker.db") == Path("/srv/bus/broker.db")


@pytest.mark.parametrize(
    "url",
    ["embedded://", "embedded:///", "embedded:///data/", "embedded:///:memory:"],
)
def test_a_url_without_a_file_path_is_refused_with_an_example(url: str) -> None:
    with pytest.raises(EmbeddedUrlError, match=r"use embedded:///relative/broker\.db"):
        broker_path(url)


def test_a_url_with_a_host_is_refused() -> None:
    with pytest.raises(EmbeddedUrlError, match="names a host"):
        broker_path("embedded://server/broker.db")


def test_register_is_idempotent() -> None:
    embedded.register()
    embedded.register()

    assert TRANSPORT_ALIASES["embedded"] == "bus._embedded._transport:Transport"
