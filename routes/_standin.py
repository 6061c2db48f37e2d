"""Stand-in operations for route tests: they record each call and answer as told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

Reply = dict[str, Any] | Exception


class AnyObject(BaseModel):
    """The schema of a stand-in declared without models: any JSON object."""

    model_config = ConfigDict(extra="allow")


class StandInFault(Exception):
    """What a legacy system answers when it refuses a call; becomes an OperationError."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "legacy_fault",
        retryable: bool = False,
        fault_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.fault_code = fault_code


class StandIn:
    """The operation `adapter.operation`, answering with `reply` (a dict, or a function of the
    request), or with `replies` in turn (the last one repeats); an Exception among them is
    raised, as a legacy system's fault. `calls` holds every request it received."""

    def __init__(
        self,
        name: str,
        *,
        reply: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        replies: list[Reply] | None = None,
        request: type[BaseModel] = AnyObject,
        response: type[BaseModel] = AnyObject,
        description: str = "",
    ) -> None:
        adapter, dot, operation = name.partition(".")
        if not dot or not adapter or not operation:
            raise ValueError(f"a stand-in is named adapter.operation, got {name!r}")
        self.name = name
        self.adapter = adapter
        self.operation = operation
        self.request = request
        self.response = response
        self.description = description
        self._reply = reply
        self._replies = list(replies or [])
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(request)
            if self._replies:
                reply: Any = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
            elif callable(self._reply):
                reply = self._reply(request)
            else:
                reply = self._reply if self._reply is not None else {}
        if isinstance(reply, Exception):
            raise reply
        return dict(reply)
