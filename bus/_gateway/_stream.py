"""Server-sent events: a client's live stream of the event types it was granted.

Each open stream has a private, auto-deleted queue bound to those types, read by one thread
that hands envelopes to the event loop. A stream is live, not durable: events published
while no stream is open are not kept for it (webhooks are the durable way).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator

import structlog
from kombu import Connection
from kombu import Consumer as KombuConsumer
from kombu.message import Message

from bus._runtime import Bus
from bus._wire import raw_body
from schemas import Envelope, InvalidMessage

log = structlog.get_logger("civicbus.gateway")

_KEEPALIVE_SECONDS = 15.0
_BUFFER = 1000  # events a slow reader may fall behind before its stream is closed


class _StreamReader:
    """The thread that reads one stream's queue; `None` on `frames` means it ended."""

    def __init__(self, bus: Bus, types: list[str], loop: asyncio.AbstractEventLoop) -> None:
        self._bus = bus
        self._queue = bus.topology.stream_queue(uuid.uuid4().hex[:16], types)
        self._loop = loop
        self.frames: asyncio.Queue[Envelope | None] = asyncio.Queue(_BUFFER)
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, name="gateway-stream", daemon=True)

    def _deliver(self, envelope: Envelope | None) -> None:  # on the event loop
        try:
            self.frames.put_nowait(envelope)
        except asyncio.QueueFull:
            self.stop.set()  # the reader cannot keep up: end its stream, it reconnects

    def _on_message(self, message: Message) -> None:
        try:
            envelope = Envelope.from_json(raw_body(message))
        except InvalidMessage as exc:
            log.warning("stream_event_invalid", error=str(exc))
            return
        self._hand_over(envelope)

    def _hand_over(self, envelope: Envelope | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, envelope)
        except RuntimeError:  # the event loop closed (server stopping): no one to tell
            self.stop.set()

    def _read(self) -> None:
        try:
            with Connection(self._bus.settings.broker, connect_timeout=5, heartbeat=20) as conn:
                channel = conn.channel()
                self._bus.topology.exchange(channel).declare()
                with KombuConsumer(
                    channel, [self._queue], on_message=self._on_message, no_ack=True
                ):
                    self.ready.set()
                    while not self.stop.is_set():
                        try:
                            conn.drain_events(timeout=0.5)
                        except TimeoutError:
                            conn.heartbeat_check()
        except Exception as exc:
            log.warning("stream_failed", error=str(exc))
        finally:
            self._hand_over(None)


async def event_stream(bus: Bus, types: list[str]) -> AsyncIterator[bytes]:
    """SSE frames of every event of `types` published while the stream is open; the first
    frame, a `ready` comment, says the stream's queue is bound."""
    reader = _StreamReader(bus, types, asyncio.get_running_loop())
    reader.thread.start()
    try:
        while not reader.ready.is_set():
            if not reader.thread.is_alive():
                return
            await asyncio.sleep(0.01)
        yield b": ready\n\n"
        while True:
            try:
                envelope = await asyncio.wait_for(reader.frames.get(), _KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if envelope is None:
                return
            head = f"id: {envelope.id}\nevent: {envelope.type}\ndata: ".encode()
            yield head + envelope.to_json() + b"\n\n"
    finally:
        reader.stop.set()
