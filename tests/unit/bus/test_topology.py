"""Queue names and arguments the bus declares."""

from __future__ import annotations

from bus import Settings
from bus._topology import Topology


def topology(**overrides: object) -> Topology:
    return Topology(Settings(queue_prefix="gov", **overrides))  # type: ignore[arg-type]


def test_delay_lines_dead_letter_back_into_the_work_queue():
    queues = topology(retry={"redelivery_delays": [1.5, 30]}).consumer_queues("benefits", ["#"])

    arguments = {
        name: q.queue_arguments for name, q in ((q.name, q) for q in queues.delay_lines.values())
    }
    assert arguments == {
        "gov.benefits.retry.1500ms": {
            "x-message-ttl": 1500,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "gov.benefits",
        },
        "gov.benefits.retry.30000ms": {
            "x-message-ttl": 30000,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "gov.benefits",
        },
    }


def test_work_queue_is_bound_by_each_pattern():
    queues = topology().consumer_queues("benefits", ["civic.person.*", "civic.tax.#"])
    assert {b.routing_key for b in queues.work.bindings} == {"civic.person.*", "civic.tax.#"}


def test_quorum_queues_when_asked():
    queues = topology(quorum_queues=True).consumer_queues("benefits", ["#"])
    assert (queues.work.queue_arguments, queues.dead_letters.queue_arguments) == (
        {"x-queue-type": "quorum"},
        {"x-queue-type": "quorum"},
    )
