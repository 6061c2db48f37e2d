"""Running a set of routes on a bus: one consumer each, and one sweeper that completes the
aggregates whose timeout has passed."""

from __future__ import annotations

import threading

import structlog
from kombu import Connection

from bus import Bus
from routes._aggregating import complete_by_timeout, expired
from routes._flow import AggregateStep
from routes._model import Route
from routes._runtime import BusRuntime, RouteConsumer, Unit, consumer_name

log = structlog.get_logger("civicbus.routes")

_SWEEP_EVERY = 1.0  # seconds; an aggregate timeout is honoured within this much


class RouteHost:
    """Subscribes `routes` on `bus` (call `start` before `bus.start()`). `sources` maps
    `adapter.source` to the event type that source publishes, for routes `from: {source:}`."""

    def __init__(
        self, bus: Bus, routes: list[Route], *, sources: dict[str, str] | None = None
    ) -> None:
        self.bus = bus
        self.consumers = [RouteConsumer(bus, route) for route in routes]
        self._sources = sources or {}
        self._sweeper: threading.Thread | None = None

    def start(self) -> None:
        for consumer in self.consumers:
            consumer.subscribe(self._patterns(consumer.route))
            log.info("route_started", route=consumer.route.name)
        self._start_sweeper()

    def reload(self, routes: list[Route]) -> dict[str, list[str]]:
        """Swap in `routes` on the running bus; what was kept, started and stopped.

        An unchanged route keeps running untouched. A changed or removed route's consumer
        finishes and acknowledges the batch in hand, then stops; its queue keeps every message
        waiting, and a changed route's new consumer takes them up, so nothing in flight is
        lost. Patterns a route no longer reads from are unbound from its queue."""
        wanted = {route.name: route for route in routes}
        # Compile every new route before touching the running ones: a bad one changes nothing.
        fresh = {
            name: RouteConsumer(self.bus, route)
            for name, route in wanted.items()
            if name not in self._by_name() or self._by_name()[name].route != route
        }
        summary: dict[str, list[str]] = {"kept": [], "started": [], "stopped": []}
        for consumer in list(self.consumers):
            name = consumer.route.name
            if name in wanted and name not in fresh:
                summary["kept"].append(name)
                continue
            self.bus.unsubscribe(consumer_name(name))
            self.consumers.remove(consumer)
            old = set(self._patterns(consumer.route))
            new = set(self._patterns(wanted[name])) if name in wanted else set()
            self._unbind(name, old - new)
            summary["stopped"].append(name)
        for name, consumer in fresh.items():
            consumer.subscribe(self._patterns(consumer.route))
            self.consumers.append(consumer)
            summary["started"].append(name)
        self._start_sweeper()
        log.info("routes_reloaded", **summary)
        return summary

    def _by_name(self) -> dict[str, RouteConsumer]:
        return {consumer.route.name: consumer for consumer in self.consumers}

    def _unbind(self, route: str, patterns: set[str]) -> None:
        if not patterns:
            return
        queue = self.bus.topology.queue_name(consumer_name(route))
        exchange = self.bus.topology.exchange
        with Connection(self.bus.settings.broker, connect_timeout=5) as connection:
            channel = connection.channel()
            for pattern in sorted(patterns):
                channel.queue_unbind(queue, exchange.name, pattern)

    def _start_sweeper(self) -> None:
        needed = any(a.timeout for c in self.consumers for a in c.compiled.aggregators())
        if needed and self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep_until_stopped, name="route-aggregates", daemon=True
            )
            self._sweeper.start()

    def _patterns(self, route: Route) -> list[str]:
        origin = route.from_
        if origin.channel is not None:
            return [origin.channel]
        assert origin.source is not None  # the model requires one of the two
        event_type = self._sources.get(origin.source)
        if event_type is None:
            known = ", ".join(sorted(self._sources)) or "none"
            raise LookupError(
                f"route {route.name} reads from source {origin.source}, which no configured "
                f"adapter offers (sources: {known}); check `civicbus adapters list`"
            )
        return [event_type]

    # -- aggregates completed by their timeout -----------------------------------------------

    def _sweep_until_stopped(self) -> None:
        while not self.bus.stopping.wait(_SWEEP_EVERY):
            try:
                self.sweep()
            except Exception as error:  # the next sweep tries again; nothing was committed
                log.warning("route_aggregate_sweep_failed", error=repr(error))

    def sweep(self) -> int:
        """Complete every aggregate whose timeout has passed; how many were completed."""
        completed = 0
        for consumer in list(self.consumers):  # a reload may change the list meanwhile
            for step in consumer.compiled.aggregators():
                if step.timeout is None:
                    continue
                with self.bus.idempotency.unit() as connection:
                    keys = expired(connection, consumer.route.name, step)
                completed += sum(self._complete(consumer, step, key) for key in keys)
        return completed

    def _complete(self, consumer: RouteConsumer, step: AggregateStep, key: str) -> bool:
        route = consumer.route.name
        with self.bus.idempotency.unit() as connection:
            unit = Unit(connection, self.bus.registry)
            runtime = BusRuntime(self.bus, route, unit)
            parts = complete_by_timeout(connection, consumer.compiled, step, key, runtime)
            if parts is None:
                return False  # completed by its last part meanwhile
            self._publish(route, unit)
        log.info("route_aggregate_timed_out", route=route, key=key, parts=parts)
        return True

    def _publish(self, route: str, unit: Unit) -> None:
        if not unit.pending:
            return
        routes: dict[str, tuple[str, str]] = {}
        for envelope, channel, delay in unit.pending:
            if delay is not None:
                line = self.bus.topology.delay_line_name(consumer_name(route), delay)
                routes[envelope.id] = ("", line)
            elif channel is not None:
                routes[envelope.id] = (self.bus.topology.exchange.name, channel)
        with self.bus.publisher() as publisher:
            publisher.publish_many(
                [envelope for envelope, _, _ in unit.pending], validated=True, routes=routes
            )
