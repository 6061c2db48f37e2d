"""A legacy benefits database as old systems leave them, and a tiny "legacy application" that
changes it with plain SQL — the stand-in the SQL adapter's tests and the demo wrap.

Quirks on purpose: upper-case and mixed-case quoted identifiers, a table without a primary key,
a composite key, CHAR columns (padded), latin-1 text (MariaDB), dates stored as text in two
formats with '0000-00-00' meaning none, and a change-sequence column the application bumps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

# MariaDB keeps this table in latin-1, as many old installations do.
_LATIN1: dict[str, Any] = {"mysql_charset": "latin1", "mariadb_charset": "latin1"}

cases = sa.Table(
    "BEN_CASE",
    metadata,
    sa.Column("CASE_NO", sa.CHAR(10), primary_key=True),
    sa.Column("CLIENT_NAME", sa.String(200), nullable=False),
    sa.Column("STATUS", sa.CHAR(2), nullable=False),
    sa.Column("AMOUNT", sa.Numeric(10, 2), nullable=True),
    sa.Column("START_DT", sa.String(10), nullable=False),  # 'DD.MM.YYYY' or '0000-00-00'
    sa.Column("CHG_SEQ", sa.Integer, nullable=False, index=True),
    **_LATIN1,
)

households = sa.Table(
    "Household",
    metadata,
    sa.Column("REGION", sa.CHAR(3), primary_key=True),
    sa.Column("HH_NO", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("Members", sa.Integer, nullable=False),
    sa.Column("UPDATED_AT", sa.DateTime, nullable=False),
)

payments = sa.Table(  # no primary key: the legacy application only ever appends
    "PAYMENT_LOG",
    metadata,
    sa.Column("CASE_NO", sa.CHAR(10), nullable=False),
    sa.Column("PAID_ON", sa.String(8), nullable=False),  # 'YYYYMMDD'
    sa.Column("AMOUNT", sa.Numeric(10, 2), nullable=False),
)

outbox = sa.Table(
    "CHG_OUTBOX",
    metadata,
    sa.Column("ID", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("CASE_NO", sa.CHAR(10), nullable=False),
    sa.Column("OP", sa.CHAR(1), nullable=False),
    sa.Column("DONE", sa.CHAR(1), nullable=False, server_default="N"),
)

_PROCEDURES = {
    "postgresql": [
        """CREATE FUNCTION "CLOSE_CASE"(p_case_no text) RETURNS TABLE(closed integer)
           LANGUAGE sql AS $$
             UPDATE "BEN_CASE" SET "STATUS" = 'CL',
                    "CHG_SEQ" = (SELECT COALESCE(MAX("CHG_SEQ"), 0) + 1 FROM "BEN_CASE")
              WHERE "CASE_NO" = p_case_no
             RETURNING 1 $$""",
    ],
    "mysql": [
        """CREATE PROCEDURE `CLOSE_CASE`(IN p_case_no VARCHAR(10))
           BEGIN
             DECLARE next_seq INT;
             SELECT COALESCE(MAX(`CHG_SEQ`), 0) + 1 INTO next_seq FROM `BEN_CASE`;
             UPDATE `BEN_CASE` SET `STATUS` = 'CL', `CHG_SEQ` = next_seq
              WHERE `CASE_NO` = p_case_no;
             SELECT ROW_COUNT() AS closed;
           END""",
    ],
}


def create_schema(engine: sa.Engine) -> None:
    """The legacy tables (and, where the backend has them, the CLOSE_CASE procedure)."""
    metadata.create_all(engine)
    dialect = "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name
    with engine.begin() as connection:
        for statement in _PROCEDURES.get(dialect, []):
            connection.exec_driver_sql(statement)


class LegacyApplication:
    """What the old system does to its own database: plain SQL, values bound."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._q = engine.dialect.identifier_preparer.quote_identifier

    def open_case(
        self,
        case_no: str,
        client_name: str,
        *,
        amount: Decimal | None = None,
        start_dt: str = "0000-00-00",
        status: str = "OP",
    ) -> int:
        """Insert a case and its outbox row; returns the change sequence it got."""
        q = self._q
        with self.engine.begin() as connection:
            seq = self._next_seq(connection)
            connection.execute(
                sa.text(
                    f"INSERT INTO {q('BEN_CASE')} ({q('CASE_NO')}, {q('CLIENT_NAME')}, "
                    f"{q('STATUS')}, {q('AMOUNT')}, {q('START_DT')}, {q('CHG_SEQ')}) "
                    "VALUES (:case_no, :name, :status, :amount, :start_dt, :seq)"
                ),
                {
                    "case_no": case_no,
                    "name": client_name,
                    "status": status,
                    "amount": None if amount is None else str(amount),
                    "start_dt": start_dt,
                    "seq": seq,
                },
            )
            self._outbox(connection, case_no, "I")
        return seq

    def change_status(self, case_no: str, status: str) -> int:
        q = self._q
        with self.engine.begin() as connection:
            seq = self._next_seq(connection)
            connection.execute(
                sa.text(
                    f"UPDATE {q('BEN_CASE')} SET {q('STATUS')} = :status, {q('CHG_SEQ')} = :seq "
                    f"WHERE {q('CASE_NO')} = :case_no"
                ),
                {"status": status, "seq": seq, "case_no": case_no},
            )
            self._outbox(connection, case_no, "U")
        return seq

    def record_household(self, region: str, hh_no: int, members: int) -> None:
        q = self._q
        values: dict[str, Any] = {
            "region": region,
            "hh_no": hh_no,
            "members": members,
            "at": datetime.now(UTC).replace(tzinfo=None),
        }
        with self.engine.begin() as connection:
            changed = connection.execute(
                sa.text(
                    f"UPDATE {q('Household')} SET {q('Members')} = :members, "
                    f"{q('UPDATED_AT')} = :at WHERE {q('REGION')} = :region "
                    f"AND {q('HH_NO')} = :hh_no"
                ),
                values,
            ).rowcount
            if not changed:
                connection.execute(
                    sa.text(
                        f"INSERT INTO {q('Household')} ({q('REGION')}, {q('HH_NO')}, "
                        f"{q('Members')}, {q('UPDATED_AT')}) "
                        "VALUES (:region, :hh_no, :members, :at)"
                    ),
                    values,
                )

    def pay(self, case_no: str, paid_on: str, amount: Decimal) -> None:
        q = self._q
        with self.engine.begin() as connection:
            connection.execute(
                sa.text(
                    f"INSERT INTO {q('PAYMENT_LOG')} ({q('CASE_NO')}, {q('PAID_ON')}, "
                    f"{q('AMOUNT')}) VALUES (:case_no, :paid_on, :amount)"
                ),
                {"case_no": case_no, "paid_on": paid_on, "amount": str(amount)},
            )

    def _next_seq(self, connection: sa.Connection) -> int:
        q = self._q
        found = connection.execute(
            sa.text(f"SELECT COALESCE(MAX({q('CHG_SEQ')}), 0) + 1 FROM {q('BEN_CASE')}")
        ).scalar_one()
        return int(found)

    def _outbox(self, connection: sa.Connection, case_no: str, op: str) -> None:
        q = self._q
        connection.execute(
            sa.text(
                f"INSERT INTO {q('CHG_OUTBOX')} ({q('CASE_NO')}, {q('OP')}, {q('DONE')}) "
                "VALUES (:case_no, :op, 'N')"
            ),
            {"case_no": case_no, "op": op},
        )
