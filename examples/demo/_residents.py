"""The residents the demo's legacy systems share: the population register knows them all, the
benefits office has a client record for each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Resident:
    person_id: str
    given_name: str
    family_name: str
    birth_date: dt.date
    street: str
    postal_code: str
    city: str
    country: str = "EE"

    @property
    def full_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"


RESIDENTS = [
    Resident("38001085718", "Mart", "Kask", dt.date(1980, 1, 8), "Rüütli 1", "51007", "Tartu"),
    Resident("47503124211", "Liis", "Saar", dt.date(1975, 3, 12), "Pikk 12", "10123", "Tallinn"),
    Resident("39207304225", "Andres", "Mets", dt.date(1992, 7, 30), "Riia 4", "80010", "Pärnu"),
    Resident(
        "60105220036", "Mia", "Lepik", dt.date(2001, 5, 22), "Narva mnt 5", "10117", "Tallinn"
    ),
    Resident("35811190313", "Jüri", "Ilves", dt.date(1958, 11, 19), "Puiestee 7", "20308", "Narva"),
    Resident(
        "48807075721", "Kadri", "Tamm", dt.date(1988, 7, 7), "Vallikraavi 2", "51003", "Tartu"
    ),
]

# An id no register knows: the portal sends it now and then, so a refused change shows how a
# legacy fault ends as a dead letter the console can show, replay or discard.
UNKNOWN_PERSON = "39912319999"

STREETS = ["Lai", "Vene", "Rataskaevu", "Suur-Karja", "Tähe", "Kalevi", "Mere pst", "Jõe"]
CITIES = {"Tallinn": "101", "Tartu": "510", "Pärnu": "800", "Narva": "203", "Viljandi": "710"}
