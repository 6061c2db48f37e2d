"""What the demo's actors share: a daemon thread doing one piece of work every `interval`
seconds until the bus stops, a failure the actor expects logged and tried again next time."""

from __future__ import annotations

import random
import threading

import structlog

log = structlog.get_logger("civicbus.demo")


class Actor:
    """Subclasses set `name` and `tolerated`, and do their work in `act`."""

    name = "actor"
    tolerated: tuple[type[Exception], ...] = ()
    join_seconds = 10.0

    def __init__(
        self, interval: float, stopping: threading.Event, *, first_after: float | None = None
    ) -> None:
        self.interval = interval
        self.stopping = stopping
        self.first_after = interval if first_after is None else first_after
        self.rng = random.Random()  # noqa: S311 — sample data, not secrets
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def act(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=self.join_seconds)
        self.close()

    def close(self) -> None:
        """Release what the actor holds, once its thread has ended (or been given up on)."""

    def _run(self) -> None:
        wait = self.first_after
        while not self.stopping.wait(wait):
            wait = self.interval
            try:
                self.act()
            except self.tolerated as exc:
                if self.stopping.is_set():
                    return
                log.warning("demo_actor_failed", actor=self.name, error=str(exc))
