"""A worker process for the aggregator crash test: one route that throttles payments (so a
SIGKILL lands mid-aggregation) and aggregates them by subject. Run with the settings as JSON:

    python -m tests.integration.routes.aggregate_worker '{"broker_url": ...}' PARTS
"""

from __future__ import annotations

import json
import sys

from bus import Bus, Settings
from routes import Route, RouteHost
from tests.integration.routes.models import PAYMENT, SUMMARY, payments_registry

SUMS = "payments.sums"


def aggregating_route(parts: int) -> Route:
    return Route.model_validate(
        {
            "route": "sum-payments",
            "from": {"channel": PAYMENT},
            "steps": [
                {"throttle": {"rate": 25}},
                {"aggregate": {"key": "subject", "as": SUMMARY, "size": parts}},
                {"to": {"channel": SUMS}},
            ],
        }
    )


def main() -> None:
    bus = Bus(Settings(**json.loads(sys.argv[1])), registry=payments_registry())
    RouteHost(bus, [aggregating_route(int(sys.argv[2]))]).start()
    bus.run_until_stopped()


if __name__ == "__main__":
    main()
