"""Read-only pages: flows, adapters, message search and one message's journey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import REGISTRY
from starlette.responses import Response

from bus._console._app import Console
from bus._console._flows import flows
from schemas import Envelope, InvalidMessage, mask

router = APIRouter(include_in_schema=False)

MAX_PAGE = 200  # rows per search page: a page stays quick on a journal of millions
SEARCH_KEYS = ("message_id", "correlation_id", "subject", "type", "consumer", "status")


def _console(request: Request) -> Console:
    console = request.app.state.console
    assert isinstance(console, Console)
    return console


@router.get("/")
def flows_page(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    return console.page(
        request, "flows.html", session, flows=_flows(console), minutes=console.settings.flow_minutes
    )


@router.get("/flows/table")
def flows_table(request: Request) -> Response:
    """The flows table alone, for the page's live refresh."""
    console = _console(request)
    session = console.session(request)
    return console.page(
        request,
        "_flows_table.html",
        session,
        flows=_flows(console),
        minutes=console.settings.flow_minutes,
    )


def _flows(console: Console) -> list[Any]:
    return flows(console.bus, console.journal_engine, minutes=console.settings.flow_minutes)


@dataclass(frozen=True)
class CatalogRow:
    adapter: str
    operation: str
    last_seen: datetime
    stale: bool
    calls: int
    mean_ms: float | None


@router.get("/adapters")
def adapters_page(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    statuses = list(console.adapter_status()) if console.adapter_status else []
    stale_after = console.bus.settings.catalog.stale_after
    latency = _operation_latency()
    now = datetime.now(UTC)
    catalog = [
        CatalogRow(
            op.adapter,
            op.operation,
            op.last_seen,
            (now - op.last_seen).total_seconds() > stale_after,
            *latency.get((op.adapter, op.operation), (0, None)),
        )
        # A week back: an adapter that went away is shown as stale, not forgotten at once.
        for op in console.bus.catalog_store.live(stale_after=7 * 86400)
    ]
    return console.page(
        request,
        "adapters.html",
        session,
        statuses=statuses,
        catalog=catalog,
        in_process=console.adapter_status is not None,
        latency=latency,
    )


def _operation_latency() -> dict[tuple[str, str], tuple[int, float | None]]:
    """(calls, mean ms) per (adapter, operation) this process timed, from its histogram."""
    sums: dict[tuple[str, str], list[float]] = {}
    for metric in REGISTRY.collect():
        if metric.name != "civicbus_operation_seconds":
            continue
        for sample in metric.samples:
            key = (sample.labels.get("adapter", ""), sample.labels.get("operation", ""))
            total = sums.setdefault(key, [0.0, 0.0])
            if sample.name.endswith("_count"):
                total[0] += sample.value
            elif sample.name.endswith("_sum"):
                total[1] += sample.value
    return {
        key: (int(count), (seconds / count * 1000) if count else None)
        for key, (count, seconds) in sums.items()
    }


@router.get("/messages")
def search_page(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    query = {key: (request.query_params.get(key) or "").strip() for key in SEARCH_KEYS}
    since = _when(request.query_params.get("since"))
    until = _when(request.query_params.get("until"))
    before = _when(request.query_params.get("before"))
    limit = _limit(request.query_params.get("limit"))
    searched = any(query.values()) or since or until or "go" in request.query_params
    found: list[Any] = []
    more = False
    if searched and console.bus.journal is not None:
        # One row past the page tells whether an older page exists.
        upper = min(d for d in (until, before) if d) if (until or before) else None
        found = console.bus.journal.search(
            **{key: value or None for key, value in query.items()},
            since=since,
            until=upper,
            limit=limit + 1,
        )
        more = len(found) > limit
        found = found[:limit]
    older = None
    if more:
        params = {k: v for k, v in request.query_params.items() if k != "before"}
        params["before"] = found[-1].time.isoformat()
        older = params
    return console.page(
        request,
        "messages.html",
        session,
        query=query,
        found=found,
        searched=searched,
        since=request.query_params.get("since", ""),
        until=request.query_params.get("until", ""),
        limit=limit,
        older=older,
        journal_off=console.bus.journal is None,
    )


def _limit(raw: str | None) -> int:
    try:
        wanted = int(raw) if raw else 50
    except ValueError:
        wanted = 50
    return max(1, min(wanted, MAX_PAGE))


def _when(raw: str | None) -> datetime | None:
    """A time from a form (`datetime-local` gives no zone: the console speaks UTC)."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/messages/{message_id}")
def journey_page(request: Request, message_id: str) -> Response:
    console = _console(request)
    session = console.session(request)
    record = console.bus.journal.find(message_id) if console.bus.journal is not None else None
    if record is None:
        return console.page(request, "not_found.html", session, status=404, what=message_id)
    shown = masked(console, record.envelope, reveal=session.sees_personal_data)
    first = record.hops[0].at if record.hops else record.first_seen
    steps = [
        {"hop": hop, "offset_ms": (hop.at - first).total_seconds() * 1000} for hop in record.hops
    ]
    return console.page(
        request,
        "journey.html",
        session,
        record=record,
        steps=steps,
        envelope=shown,
        revealed=session.sees_personal_data,
    )


def masked(console: Console, envelope: dict[str, Any], *, reveal: bool) -> dict[str, Any]:
    """The envelope for display: personal fields masked unless `reveal`; an envelope that no
    longer parses has every string of its data masked."""
    try:
        parsed = Envelope.from_dict(envelope)
    except (InvalidMessage, ValueError, TypeError):
        if reveal:
            return envelope
        return {**envelope, "data": mask(envelope.get("data"), None)}
    return console.bus.registry.mask(parsed, reveal=reveal)
