"""Prometheus metrics of the bus, in the process's default registry (what `/metrics` serves).

Counters move where messages move: consumed per consumer (a route's consumer is
`route.<name>`, an adapter's operations `adapter:<name>`) and outcome, published per type,
operation calls per adapter, operation and outcome, with latency histograms. Gauges that are
read off something else (queue depths, circuit state, journal lag) are collected when scraped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONSUMED = Counter(
    "civicbus_messages_consumed_total",
    "Messages a consumer finished with, by outcome: handled, duplicate, retried, dead_lettered.",
    ["consumer", "outcome"],
)
PUBLISHED = Counter(
    "civicbus_messages_published_total", "Messages confirmed by the broker, by type.", ["type"]
)
HANDLER_SECONDS = Histogram(
    "civicbus_handler_seconds",
    "Time a consumer's handler took per message.",
    ["consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPERATION_SECONDS = Histogram(
    "civicbus_operation_seconds",
    "Time an adapter took to answer an operation call, by outcome (ok or the error code).",
    ["adapter", "operation", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class ReadAtScrape(Collector):
    """Gauges read when Prometheus scrapes: each source is a function returning
    (labels, value) pairs, with its answer kept for `cache_seconds` so a busy scraper does not
    hammer the broker, and a failing source leaves its gauge out rather than the scrape."""

    def __init__(self, cache_seconds: float = 5.0) -> None:
        self._sources: dict[str, tuple[str, list[str], Callable[[], Iterable[Any]]]] = {}
        self._cache: dict[str, tuple[float, list[tuple[list[str], float]]]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def add(
        self,
        name: str,
        documentation: str,
        labels: list[str],
        source: Callable[[], Iterable[tuple[list[str], float]]],
    ) -> None:
        with self._lock:
            self._sources[name] = (documentation, labels, source)
            self._cache.pop(name, None)

    def remove(self, name: str) -> None:
        with self._lock:
            self._sources.pop(name, None)
            self._cache.pop(name, None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            sources = dict(self._sources)
        for name, (documentation, labels, source) in sources.items():
            samples = self._read(name, source)
            if samples is None:
                continue
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for values, value in samples:
                family.add_metric(values, value)
            yield family

    def _read(
        self, name: str, source: Callable[[], Iterable[tuple[list[str], float]]]
    ) -> list[tuple[list[str], float]] | None:
        now = time.monotonic()
        cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            samples = list(source())
        except Exception:  # the other metrics still get scraped
            return None
        self._cache[name] = (now, samples)
        return samples


SCRAPED = ReadAtScrape()
REGISTRY.register(SCRAPED)


def register_gauge(
    name: str,
    documentation: str,
    labels: list[str],
    source: Callable[[], Iterable[tuple[list[str], float]]],
) -> None:
    """A gauge whose samples `source` returns when Prometheus scrapes (cached a few seconds)."""
    SCRAPED.add(name, documentation, labels, source)
