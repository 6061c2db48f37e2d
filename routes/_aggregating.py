"""Completing an aggregate whose timeout passed: the same on the bus and in the test kit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from bus import Aggregates
from routes._flow import AggregateStep, combined
from routes._message import Completed, Message
from schemas import Envelope

if TYPE_CHECKING:
    import sqlalchemy as sa

    from routes._message import Runtime
    from routes._pipeline import CompiledRoute

_GROUP_NAMESPACE = uuid.UUID("a4f0e2b8-1c6d-4e3a-9b75-0d8c2f6e1a39")


def aggregate_owner(route: str, step: str) -> str:
    """Whose groups they are in the state database: one aggregate step of one route."""
    return f"{route}/{step}"


def expired(
    connection: sa.Connection, route: str, step: AggregateStep, *, fast_forward: bool = False
) -> list[str]:
    """Keys of the groups of `step` past its timeout (all of them when `fast_forward`)."""
    assert step.timeout is not None
    age = timedelta(0) if fast_forward else timedelta(seconds=step.timeout)
    return Aggregates.expired_keys(connection, aggregate_owner(route, step.label), age)


def complete_by_timeout(
    connection: sa.Connection,
    compiled: CompiledRoute,
    step: AggregateStep,
    key: str,
    runtime: Runtime,
) -> int | None:
    """Run the group `key` on from the step after `step` and close it, in the transaction of
    `connection`; its number of parts, or None when it was completed meanwhile. The caller
    publishes what the runtime collected before committing."""
    owner = aggregate_owner(compiled.name, step.label)
    group = Aggregates.read_group(connection, owner, key)
    if group is None:
        return None
    group_id = str(uuid.uuid5(_GROUP_NAMESPACE, f"{owner}/{group.opened_by}"))
    origin = Envelope(
        id=group_id, type=step.as_type, source=f"civicbus://route/{compiled.name}", data={}
    )
    # The default key is the correlation id; the parts' own is not kept otherwise.
    correlation = key if step.key.source == "correlationid" else None
    seed = Message(type=step.as_type, data={}, origin=origin, correlationid=correlation)
    message = combined(seed, step.as_type, key, Completed(group.opened_by, group.parts))
    try:
        compiled.pipeline.run([message], runtime, start=compiled.after(step.label))
    finally:
        runtime.finish()
    # Closed after the run: a crash before the commit completes it again with the same ids.
    Aggregates.close_group(connection, owner, key)
    return len(group.parts)
