"""Turn an ``embedded://`` URL into the path of its SQLite file.

The URL follows SQLAlchemy's sqlite URLs: three slashes then a path relative to the working
directory (``embedded:///var/broker.db``), four slashes for an absolute path
(``embedded:////srv/civicbus/broker.db``).
"""

from __future__ import annotations

from pathlib import Path

from ._errors import EmbeddedUrlError

SCHEME = "embedded"

_EXAMPLES = "use embedded:///relative/broker.db or embedded:////absolute/path/broker.db"


def broker_path(url: str) -> Path:
    """Return the broker file a URL names; relative paths resolve against the cwd."""
    prefix = f"{SCHEME}://"
    if not url.startswith(prefix):
        raise EmbeddedUrlError(f"broker URL {url!r} is not an {SCHEME}:// URL; {_EXAMPLES}")
    rest = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
    host, slash, path = rest.partition("/")
    if host:
        raise EmbeddedUrlError(
            f"broker URL {url!r} names a host ({host!r}) but the embedded broker is a local "
            f"file; {_EXAMPLES}"
        )
    if not slash or not path or path.endswith("/"):
        raise EmbeddedUrlError(f"broker URL {url!r} has no file path; {_EXAMPLES}")
    if path == ":memory:":
        raise EmbeddedUrlError(
            f"broker URL {url!r} asks for an in-memory database, which is neither durable nor "
            f"shared between processes; {_EXAMPLES}"
        )
    return Path(path).absolute()
