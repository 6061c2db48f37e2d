"""The throttle's limiter: a token bucket per key for the rate, a semaphore for concurrency.
Time is a fake clock here, so what is checked is how long it asks to wait, not how long a
test took."""

from __future__ import annotations

import pytest

import routes._flow as flow
from routes._model import ThrottleSpec


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(flow, "time", fake)
    return fake


def test_the_rate_spaces_messages_after_the_burst(clock: FakeClock) -> None:
    limiter = flow._Limiter(ThrottleSpec(rate=2, burst=2))
    for _ in range(4):
        limiter.acquire()
    assert clock.slept == [0.5, 0.5]


def test_tokens_come_back_with_time(clock: FakeClock) -> None:
    limiter = flow._Limiter(ThrottleSpec(rate=1, burst=1))
    limiter.acquire()
    clock.now += 5  # idle: the bucket refills, but never beyond its burst
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [1.0]


def test_concurrency_holds_a_slot_until_the_message_is_done(clock: FakeClock) -> None:
    limiter = flow._Limiter(ThrottleSpec(concurrency=1))
    limiter.acquire()
    assert limiter.slots is not None
    held = not limiter.slots.acquire(blocking=False)
    limiter.release()
    free = limiter.slots.acquire(blocking=False)
    assert (held, free) == (True, True)


def test_each_key_has_its_own_limits(clock: FakeClock) -> None:
    step = flow.ThrottleStep("0:throttle", ThrottleSpec(rate=1, burst=1, key="subject"))
    first, other, again = step._limiter("a"), step._limiter("b"), step._limiter("a")
    first.acquire()
    other.acquire()
    again.acquire()
    assert (first is again, first is other, clock.slept) == (True, False, [1.0])
