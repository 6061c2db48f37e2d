"""The benefits office's database as it has been for twenty years: upper-case names, CHAR
codes, dates as 'YYYYMMDD' text, a change-sequence column bumped by a trigger — and the
clerk's application that opens and settles cases in it. civicbus never alters this schema;
it reads changes by the sequence columns and writes through named statements."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from examples.demo._actor import Actor
from examples.demo._residents import RESIDENTS
from examples.legacy.benefits_db import LegacyApplication, create_schema

metadata = sa.MetaData()

clients = sa.Table(
    "BEN_CLIENT",
    metadata,
    sa.Column("PERSON_ID", sa.CHAR(11), primary_key=True),
    sa.Column("FULL_NAME", sa.String(80), nullable=False),
    sa.Column("ADDR_STREET", sa.String(40), nullable=False),
    sa.Column("ADDR_ZIP", sa.CHAR(10), nullable=False),
    sa.Column("ADDR_CITY", sa.String(30), nullable=False),
    sa.Column("ADDR_CTRY", sa.CHAR(2), nullable=False),
    sa.Column("CHG_SEQ", sa.Integer, nullable=False, index=True),
)

incomes = sa.Table(
    "TAX_INCOME",
    metadata,
    sa.Column("PERSON_ID", sa.CHAR(11), primary_key=True),
    sa.Column("TAX_YR", sa.CHAR(4), primary_key=True),
    sa.Column("INCOME", sa.Numeric(12, 2), nullable=False),
    sa.Column("RCVD_DT", sa.CHAR(8), nullable=False),  # 'YYYYMMDD', as the tax file has it
)

# The legacy application never bumped CHG_SEQ on address updates; a DBA added this trigger
# years ago so the nightly extract would see them. civicbus's change capture reads the same.
_ADDRESS_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS BEN_CLIENT_ADDR_SEQ
AFTER UPDATE OF ADDR_STREET, ADDR_ZIP, ADDR_CITY, ADDR_CTRY ON BEN_CLIENT
BEGIN
  UPDATE BEN_CLIENT SET CHG_SEQ = (SELECT MAX(CHG_SEQ) + 1 FROM BEN_CLIENT)
   WHERE PERSON_ID = NEW.PERSON_ID;
END
"""


def benefits_database(path: Path) -> str:
    """Create and seed the database at `path` unless it exists; its SQLAlchemy URL. Kept
    between runs, as the real one would be."""
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    engine = sa.create_engine(url)
    try:
        create_schema(engine)  # BEN_CASE and its neighbours
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(_ADDRESS_TRIGGER)
            connection.execute(
                clients.insert(),
                [
                    {
                        "PERSON_ID": r.person_id,
                        "FULL_NAME": r.full_name,
                        "ADDR_STREET": r.street,
                        "ADDR_ZIP": r.postal_code,
                        "ADDR_CITY": r.city,
                        "ADDR_CTRY": r.country,
                        "CHG_SEQ": number,
                    }
                    for number, r in enumerate(RESIDENTS, start=1)
                ],
            )
    finally:
        engine.dispose()
    return url


class BenefitsClerk(Actor):
    """The legacy application at work: every `interval` seconds it opens a case for a
    resident or settles an open one, in plain SQL, as it always has."""

    name = "benefits-clerk"
    tolerated = (sa.exc.SQLAlchemyError,)  # a locked file: the clerk tries again later

    def __init__(self, url: str, interval: float, stopping: threading.Event) -> None:
        super().__init__(interval, stopping)
        self._engine = sa.create_engine(url)
        self._app = LegacyApplication(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def act(self) -> None:
        with self._engine.connect() as connection:
            open_cases = (
                connection.execute(sa.text("SELECT CASE_NO FROM BEN_CASE WHERE STATUS = 'OP'"))
                .scalars()
                .all()
            )
        if open_cases and self.rng.random() < 0.5:
            case_no = self.rng.choice(open_cases).strip()
            self._app.change_status(case_no, self.rng.choice(["GR", "RJ"]))
            return
        resident = self.rng.choice(RESIDENTS)
        case_no = f"C{self.rng.randrange(10**8, 10**9)}"
        amount = Decimal(self.rng.randrange(5000, 90000)) / 100
        self._app.open_case(case_no, resident.full_name, amount=amount, start_dt="01.12.2026")
