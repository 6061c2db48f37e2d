"""A scripted citizen portal: a new digital service that knows nothing of SOAP, SQL or batch
files. It calls the civicbus gateway with its API key, as any new service would."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import httpx

from bus import GatewayClient, GatewayError, RetryPolicy
from examples.demo._actor import Actor
from examples.demo._residents import CITIES, RESIDENTS, STREETS, UNKNOWN_PERSON

SUBMIT = "portal.submit-address-change"
LOOKUP = "population-register.get-person"


class CitizenPortal(Actor):
    """Every `interval` seconds a citizen submits a change of address; every fourth visit
    someone looks themselves up first; one change in twelve names a person the register does
    not know."""

    name = "citizen-portal"
    tolerated = (GatewayError, httpx.HTTPError)
    join_seconds = 5.0  # a call left in flight is the gateway's to end

    def __init__(
        self, gateway_url: str, api_key: str, interval: float, stopping: threading.Event
    ) -> None:
        super().__init__(interval, stopping)
        # Few, short retries: at Ctrl-C the portal must not outlive the gateway for long.
        self._client = GatewayClient(
            gateway_url,
            api_key=api_key,
            timeout=30,
            retry=RetryPolicy(attempts=2, backoff=0.5, max_wait=2),
        )
        self.visits = 0

    def close(self) -> None:
        self._client.close()

    def act(self) -> None:
        """One citizen's visit: maybe a lookup, then a change of address."""
        self.visits += 1
        resident = self.rng.choice(RESIDENTS)
        if self.visits % 4 == 0:
            self._client.call(
                LOOKUP,
                {"person_id": resident.person_id},
                purpose="show the citizen their registered address",
                end_user=resident.person_id,
            )
        person_id = UNKNOWN_PERSON if self.visits % 12 == 0 else resident.person_id
        city = self.rng.choice(list(CITIES))
        request = {
            "person_id": person_id,
            "street": f"{self.rng.choice(STREETS)} {self.rng.randint(1, 60)}",
            "postal_code": f"{CITIES[city]}{self.rng.randint(0, 99):02d}",
            "city": city,
            "country": "EE",
            "effective_date": (
                dt.date.today() + dt.timedelta(days=self.rng.randint(1, 30))
            ).isoformat(),
        }
        # One key per form submission: a retried POST never files the change twice.
        self._client.call(
            SUBMIT,
            request,
            idempotency_key=str(uuid.uuid4()),
            purpose="change of address",
            end_user=person_id,
        )
