"""Where kept replies live: the state database, or on SQLite a file of their own."""

from __future__ import annotations

from bus._replies import replies_url


def test_a_replies_database_of_its_own_only_on_sqlite() -> None:
    assert replies_url("sqlite:///.civicbus/state.db") == "sqlite:///.civicbus/state-replies.db"
    assert replies_url("sqlite:////srv/bus/state") == "sqlite:////srv/bus/state-replies.db"
    assert replies_url("sqlite://") == "sqlite://"
    postgres = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert replies_url(postgres) == postgres
