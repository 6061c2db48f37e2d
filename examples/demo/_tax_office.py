"""The tax office's side of the folder exchange: its nightly job drops a fixed-width file of
assessed incomes into the inbox (written as .part, renamed when complete, as such jobs do),
and whatever lands in the outbox is what it will load in the morning."""

from __future__ import annotations

import datetime as dt
import random
import threading
from decimal import Decimal
from pathlib import Path

from examples.demo._residents import RESIDENTS


def income_line(person_id: str, year: int, income: Decimal, assessed_on: dt.date) -> str:
    """person id 11 | tax year 4 | income 12, right-aligned, two decimals | assessed YYYYMMDD:
    the layout the demo's `tax-office.incomes` inbox declares."""
    return f"{person_id:<11}{year:04d}{income:>12.2f}{assessed_on:%Y%m%d}"


class NightlyIncomeJob:
    """Writes one income file into `inbox` shortly after the start, then every `interval`
    seconds (the demo's night is short)."""

    def __init__(self, inbox: Path, interval: float, stopping: threading.Event) -> None:
        self.inbox = inbox
        self._interval = interval
        self._stopping = stopping
        self._rng = random.Random()  # noqa: S311 — sample data, not secrets
        self._thread = threading.Thread(target=self._work, name="tax-office-night", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=10)

    def write_file(self) -> Path:
        today = dt.date.today()
        lines = [
            income_line(
                r.person_id,
                today.year - 1,
                Decimal(self._rng.randrange(800_000, 9_000_000)) / 100,
                today,
            )
            for r in self._rng.sample(RESIDENTS, k=4)
        ]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        final = self.inbox / f"INCOME_{stamp}.DAT"
        partial = final.with_name(final.name + ".part")
        partial.write_text("\n".join(lines) + "\n", encoding="latin-1")
        partial.rename(final)
        return final

    def _work(self) -> None:
        wait = min(5.0, self._interval)
        while not self._stopping.wait(wait):
            self.write_file()
            wait = self._interval
