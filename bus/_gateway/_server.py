"""Serving the gateway with uvicorn: in the foreground (`civicbus gateway`) or in a thread
(`civicbus run` with gateway.enabled, tests, benchmarks). The socket is bound before uvicorn
starts, so port 0 picks a free port and `url` says which."""

from __future__ import annotations

import socket
import threading

import uvicorn
from fastapi import FastAPI


class GatewayServer:
    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 8080) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on accepted connections only for
        # sockets that say so, and without it Nagle's algorithm adds ~40 ms to every answer.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            log_config=None,  # civicbus configures logging itself
            access_log=False,  # every call is journaled and logged by the gateway
            lifespan="off",
            timeout_graceful_shutdown=10,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (in the main thread) or `stop()`."""
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 30.0) -> None:
        """Serve in a daemon thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, name="gateway-http", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > timeout:
                raise RuntimeError(f"the gateway did not start on {self.url} within {timeout}s")
            deadline.wait(0.01)
            waited += 0.01

    def request_stop(self) -> None:
        """Ask the server to stop; safe from a signal handler, before or while it runs."""
        self._server.should_exit = True

    def stop(self) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(30)
        self._socket.close()
