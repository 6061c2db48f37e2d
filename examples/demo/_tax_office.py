"""The tax office's side of the folder exchange: its nightly job drops a fixed-width file of
assessed incomes into the inbox (written as .part, renamed when complete, as such jobs do),
and whatever lands in the outbox is what it will load in the morning."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

from examples.demo._actor import Actor
from examples.demo._residents import RESIDENTS


def income_line(person_id: str, year: int, income: Decimal, assessed_on: dt.date) -> str:
    """person id 11 | tax year 4 | income 12, right-aligned, two decimals | assessed YYYYMMDD:
    the layout the demo's `tax-office.incomes` inbox declares."""
    return f"{person_id:<11}{year:04d}{income:>12.2f}{assessed_on:%Y%m%d}"


class NightlyIncomeJob(Actor):
    """Writes one income file into `inbox` shortly after the start, then every `interval`
    seconds (the demo's night is short)."""

    name = "tax-office-night"

    def __init__(self, inbox: Path, interval: float, stopping: threading.Event) -> None:
        super().__init__(interval, stopping, first_after=min(5.0, interval))
        self.inbox = inbox

    def act(self) -> None:
        self.write_file()

    def write_file(self) -> Path:
        today = dt.date.today()
        lines = [
            income_line(
                r.person_id,
                today.year - 1,
                Decimal(self.rng.randrange(800_000, 9_000_000)) / 100,
                today,
            )
            for r in self.rng.sample(RESIDENTS, k=4)
        ]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        final = self.inbox / f"INCOME_{stamp}.DAT"
        partial = final.with_name(final.name + ".part")
        partial.write_text("\n".join(lines) + "\n", encoding="latin-1")
        partial.rename(final)
        return final
