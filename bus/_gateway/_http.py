"""How every gateway endpoint answers: its blocking work in the thread pool, a `Problem` as
RFC 9457 JSON, and the call journaled (and data-access logged) whatever the outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bus._gateway._audit import END_USER_HEADER, PURPOSE_HEADER, Audit, CallRecord
from bus._gateway._problems import PROBLEM_JSON, Problem
from bus._gateway._service import Answer

T = TypeVar("T")


class Responder:
    def __init__(self, pool: ThreadPoolExecutor, audit: Audit, *, max_body: int) -> None:
        self._pool = pool
        self._audit = audit
        self._max_body = max_body

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    @staticmethod
    def record(request: Request, operation: str | None = None) -> CallRecord:
        return CallRecord(
            method=request.method,
            path=request.url.path,
            operation=operation,
            purpose=request.headers.get(PURPOSE_HEADER),
            end_user=request.headers.get(END_USER_HEADER),
            traceparent=request.headers.get("traceparent"),
        )

    async def answer(
        self, request: Request, record: CallRecord, work: Callable[[], Answer]
    ) -> Response:
        path = request.url.path

        def work_then_audit() -> Answer:
            # One trip to the pool: the audit record is written by the thread that did the
            # work, before the answer leaves.
            started = time.perf_counter()
            try:
                answer = work()
                outcome = "ok" if answer.status < 400 else str(answer.body.get("type"))
            except Problem as problem:
                answer = Answer(problem.status, problem.body(path), problem.headers)
                outcome = problem.type.uri
            elapsed = (time.perf_counter() - started) * 1000
            self._audit.record(record, status=answer.status, outcome=outcome, duration_ms=elapsed)
            return answer

        answer = await self.run(work_then_audit)
        if answer.status == 204:
            return Response(status_code=204, headers=answer.headers)
        return JSONResponse(
            answer.body,
            status_code=answer.status,
            headers=answer.headers,
            media_type=PROBLEM_JSON if answer.status >= 400 else "application/json",
        )

    async def answer_with_body(
        self, request: Request, record: CallRecord, work: Callable[[bytes], Answer]
    ) -> Response:
        raw = await self._read_body(request)

        def checked() -> Answer:
            if isinstance(raw, Problem):
                raise raw
            return work(raw)

        return await self.answer(request, record, checked)

    async def _read_body(self, request: Request) -> bytes | Problem:
        """The body, or a 413 problem as soon as it is known to pass the limit."""
        limit = self._max_body
        too_large = Problem(
            "body-too-large",
            f"the body is larger than {limit} bytes (gateway.max_body_bytes); send less",
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return too_large
            chunks.append(chunk)
        return b"".join(chunks)
