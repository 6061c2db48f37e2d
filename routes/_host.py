"""Running a set of routes on a bus: one consumer each, and one sweeper that completes the
aggregates whose timeout has passed."""

from __future__ import annotations

import threading

import structlog

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
        if any(a.timeout for c in self.consumers for a in c.compiled.aggregators()):
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
        for consumer in self.consumers:
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
