"""Claim check: a big file is stored once, by content hash, and one message refers to it.

Consumers get the location and the hash instead of a million record messages; `open_claim`
hands them the stored bytes after checking they are still the bytes that were announced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel


class FileClaim(BaseModel):
    """One dropped file, stored for consumers to fetch; its records were read and checked."""

    file: str
    sha256: str
    size: int
    records: int
    format: str
    location: str


class ClaimMismatch(Exception):
    """The stored file is not the one the claim announced (changed or damaged since)."""


def claim_path(store: Path, sha256: str) -> Path:
    # Two hex digits of fan-out keep a folder of many claims listable on any filesystem.
    return store / sha256[:2] / sha256


def store_claim(path: Path, store: Path, sha256: str) -> Path:
    """Copy `path` into the store under its hash: temp file, fsync, atomic rename. Storing the
    same bytes again (a resumed file) keeps the copy already there."""
    target = claim_path(store, sha256)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{sha256}.part")
    with path.open("rb") as source, temporary.open("wb") as copy:
        shutil.copyfileobj(source, copy, 1 << 20)
        copy.flush()
        os.fsync(copy.fileno())
    os.replace(temporary, target)
    target.chmod(0o440)  # claims are immutable: their name is their content
    return target


def open_claim(claim: FileClaim) -> BinaryIO:
    """The stored bytes of `claim`, verified against its hash before they are handed out."""
    path = Path(claim.location.removeprefix("file://"))
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != claim.sha256:
        raise ClaimMismatch(
            f"{path} no longer holds {claim.file} (sha256 {claim.sha256}); the claim store was "
            "changed by hand — restore the file or ask the sender to drop it again"
        )
    return path.open("rb")
