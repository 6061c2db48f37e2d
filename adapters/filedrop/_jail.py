"""The outbox path jail: a name from a message can only ever name a file directly inside
the configured folder."""

from __future__ import annotations

import re
from pathlib import Path

from adapters._errors import InvalidRequest

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def jailed(folder: Path, name: str) -> Path:
    """`folder / name`, or InvalidRequest when `name` could leave `folder` or is odd: path
    separators, `..`, an absolute path, NUL or control characters, a leading dot (hidden),
    anything but letters, digits, `.`, `_` and `-`."""
    if not _SAFE.fullmatch(name) or ".." in name:
        raise InvalidRequest(
            f"file name {name!r} is refused: names may hold only letters, digits, '.', '_' "
            "and '-', must not start with '.' or '-', contain '..' or a path, and have at "
            "most 200 characters; send a plain file name",
            detail={"name": name},
        )
    root = folder.resolve()
    target = (root / name).resolve()
    # A symlink planted in the folder could still point outside it.
    if target.parent != root:
        raise InvalidRequest(
            f"file name {name!r} resolves outside the outbox {root}; send a plain file name",
            detail={"name": name},
        )
    return target
