"""The HTTP gateway: new digital services call legacy operations through one documented,
authenticated interface (FastAPI, served by uvicorn)."""

from bus._gateway._app import Gateway
from bus._gateway._clients import (
    DATA_ACCESS_LOG,
    GRANT_KINDS,
    Client,
    ClientError,
    ClientStore,
    GrantKind,
)
from bus._gateway._problems import PROBLEM_TYPES, Problem
from bus._gateway._server import GatewayServer

__all__ = [
    "DATA_ACCESS_LOG",
    "GRANT_KINDS",
    "PROBLEM_TYPES",
    "Client",
    "ClientError",
    "ClientStore",
    "Gateway",
    "GatewayServer",
    "GrantKind",
    "Problem",
]
