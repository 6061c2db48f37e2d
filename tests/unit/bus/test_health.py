"""Readiness: every check runs with a timeout, answers are cached briefly, draining fails it."""

from __future__ import annotations

import threading

from bus._health import Readiness


def test_a_failing_and_a_hung_check_make_it_not_ready_with_reasons() -> None:
    hang = threading.Event()
    readiness = Readiness(timeout=0.3, cache_seconds=0)
    readiness.add("fine", lambda: "answers")
    readiness.add("broken", lambda: (_ for _ in ()).throw(ConnectionError("refused")))
    readiness.add("hung", lambda: str(hang.wait(30)))
    try:
        ready, body = readiness.report()
    finally:
        hang.set()
        readiness.close()
    checks = {name: (c["ok"], c["detail"]) for name, c in body["checks"].items()}
    assert (ready, body["status"], checks) == (
        False,
        "not ready",
        {
            "fine": (True, "answers"),
            "broken": (False, "ConnectionError: refused"),
            "hung": (False, "no answer within 0.3s"),
        },
    )


def test_answers_are_cached_and_draining_fails_at_once() -> None:
    calls: list[int] = []
    readiness = Readiness(timeout=1, cache_seconds=60)
    readiness.add("counted", lambda: str(calls.append(1) or len(calls)))
    try:
        first, second = readiness.report(), readiness.report()
        readiness.draining.set()
        drained = readiness.report()
    finally:
        readiness.close()
    assert (first[0], second[0], len(calls), drained) == (
        True,
        True,
        1,
        (False, {"status": "draining", "checks": {}}),
    )
