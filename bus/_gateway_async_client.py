"""The asyncio twin of `GatewayClient`: the same calls, retries and exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bus._gateway_client import (
    API,
    READY,
    EventParser,
    GatewayEvent,
    RetryPolicy,
    auth_headers,
    call_headers,
    operation_path,
    result,
    wait_before,
)
from bus._gateway_errors import GatewayError


class AsyncEventStream:
    """An open server-sent event stream; `async for` Events, `aclose` when done."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._lines = response.aiter_lines()
        self._parser = EventParser()

    async def wait_ready(self) -> None:
        async for line in self._lines:  # the gateway's first frame says the stream is bound
            if line == READY:
                return

    def __aiter__(self) -> AsyncIterator[GatewayEvent]:
        return self

    async def __anext__(self) -> GatewayEvent:
        async for line in self._lines:
            event = self._parser.feed(line)
            if event is not None:
                return event
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


class AsyncGatewayClient:
    """Asynchronous client of the civicbus gateway (use `async with`)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=auth_headers(api_key, token),
            timeout=timeout,
            transport=transport,
        )
        self._retry = retry or RetryPolicy()

    async def call(
        self,
        operation: str,
        data: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        purpose: str | None = None,
        end_user: str | None = None,
    ) -> Any:
        """Call `<adapter>.<operation>` and return its canonical reply as JSON data."""
        headers = call_headers(idempotency_key, purpose, end_user)
        return await self._send("POST", operation_path(operation), json=data, headers=headers)

    async def services(self) -> list[dict[str, Any]]:
        return list((await self._send("GET", f"{API}/services"))["services"])

    async def subscribe(self, event_type: str, url: str) -> dict[str, Any]:
        body = {"event_type": event_type, "url": url}
        return dict(await self._send("POST", f"{API}/subscriptions", json=body))

    async def unsubscribe(self, subscription_id: str) -> None:
        await self._send("DELETE", f"{API}/subscriptions/{subscription_id}")

    async def events(self, *types: str) -> AsyncEventStream:
        """The live event stream, open once this returns; `async with` and `async for` it."""
        params = httpx.QueryParams([("type", t) for t in types])
        request = self._http.build_request("GET", f"{API}/events", params=params)
        response = await self._http.send(request, stream=True)
        if not response.is_success:
            await response.aread()
            await response.aclose()
            result(response)
        stream = AsyncEventStream(response)
        await stream.wait_ready()
        return stream

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        attempt = 1
        while True:
            try:
                return result(await self._http.request(method, path, **kwargs))
            except (GatewayError, httpx.TransportError) as error:
                wait = wait_before(attempt, self._retry, error)
                if wait is None:
                    raise
            await asyncio.sleep(wait)
            attempt += 1
