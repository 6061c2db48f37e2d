"""The circuit breaker's states, on a clock the test moves."""

from __future__ import annotations

import threading

import pytest

from adapters._breaker import BreakerOpen, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tripped(clock: Clock) -> CircuitBreaker:
    breaker = CircuitBreaker(2, 10.0, clock=clock)
    for _ in range(2):
        breaker.admit()
        breaker.failed()
    return breaker


def test_failures_in_a_row_open_the_circuit_and_calls_fail_fast():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 4
    with pytest.raises(BreakerOpen) as refused:
        breaker.admit()
    assert (breaker.state, refused.value.retry_after) == ("open", 6.0)


def test_a_success_between_failures_keeps_it_closed():
    breaker = CircuitBreaker(2, 10.0, clock=Clock())
    for outcome in ("failed", "succeeded", "failed"):
        breaker.admit()
        getattr(breaker, outcome)()
    assert breaker.state == "closed"


def test_after_the_reset_timeout_one_probe_goes_through_and_others_wait():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.admit()  # the probe
    with pytest.raises(BreakerOpen):
        breaker.admit()
    assert breaker.state == "half-open"


def test_a_successful_probe_closes_the_circuit():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.admit()
    breaker.succeeded()
    assert breaker.state == "closed"


def test_a_failed_probe_opens_it_again_for_a_full_reset_timeout():
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.admit()
    breaker.failed()
    clock.now += 9
    assert breaker.state == "open"


def test_concurrent_calls_are_not_serialised():
    breaker = CircuitBreaker(5, 10.0)
    inside = threading.Barrier(4, timeout=10)

    def call() -> None:
        breaker.admit()
        inside.wait()  # all four must be inside at once, or this times out
        breaker.succeeded()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert not inside.broken
