"""The operations console: a web UI over the journal, dead letters, adapters and flows
(FastAPI with server-rendered pages), with sign-in and roles."""

from bus._console._app import Console
from bus._console._auth import hash_password, verify_password

__all__ = ["Console", "hash_password", "verify_password"]
