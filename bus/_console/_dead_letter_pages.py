"""Dead letters (operators and admins only) and the audit log of what they did.

Every replay and discard goes through `DeadLetters`, which writes the audit log and journals
the hop, with the signed-in user as the operator.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bus._console._app import Console
from bus._console._pages import masked
from bus._dead_letters import DeadLetter, DeadLetterNotFound

router = APIRouter(include_in_schema=False)

BROWSE_LIMIT = 100  # letters shown per queue; the rest stay in the queue, counted


def _console(request: Request) -> Console:
    console = request.app.state.console
    assert isinstance(console, Console)
    return console


@router.get("/dead-letters")
def queues_page(request: Request) -> Response:
    console = _console(request)
    session = console.session(request, "operator")
    names = set(console.bus.journal.dead_letter_queues()) if console.bus.journal else set()
    names |= {c.queues.dead_letters.name for c in list(console.bus.consumers)}
    queues = []
    for name in sorted(names):
        try:
            depth: int | None = console.dead_letters.depth(name)
        except Exception:  # deleted since it was journaled, or the broker is away
            depth = None
        queues.append({"name": name, "depth": depth})
    return console.page(request, "dead_letters.html", session, queues=queues)


@router.get("/dead-letters/{queue}")
def queue_page(request: Request, queue: str) -> Response:
    console = _console(request)
    session = console.session(request, "operator")
    try:
        depth = console.dead_letters.depth(queue)
        letters = console.dead_letters.browse(queue, limit=BROWSE_LIMIT)
    except Exception as error:  # no such queue: the broker refuses the passive declare
        return console.page(
            request, "not_found.html", session, status=404, what=queue, detail=str(error)
        )
    reveal = session.sees_personal_data
    note = console.sessions.read_note(request.query_params.get("note"))
    return console.page(
        request,
        "dead_letter_queue.html",
        session,
        queue=queue,
        depth=depth,
        letters=[_shown(console, letter, reveal=reveal) for letter in letters],
        revealed=reveal,
        limit=BROWSE_LIMIT,
        note=note,
        csrf=session.csrf,
    )


def _shown(console: Console, letter: DeadLetter, *, reveal: bool) -> dict[str, Any]:
    if letter.envelope is not None:
        body = json.dumps(
            masked(console, letter.envelope.to_dict(), reveal=reveal), indent=2, default=str
        )
    elif reveal:
        body = letter.body.decode("utf-8", errors="replace")
    else:
        body = (
            f"({len(letter.body)} bytes that are not a civicbus envelope; hidden: only an "
            "admin sees bodies that cannot be masked)"
        )
    return {"letter": letter, "summary": letter.summary(), "body": body}


@router.post("/dead-letters/{queue}/replay")
async def replay(request: Request, queue: str) -> Response:
    return await _act(request, queue, "replay")


@router.post("/dead-letters/{queue}/discard")
async def discard(request: Request, queue: str) -> Response:
    return await _act(request, queue, "discard")


async def _act(request: Request, queue: str, action: str) -> Response:
    console = _console(request)
    session, fields = await console.form(request, "operator")
    ids = [value for value in fields.get("id", []) if value]
    reason = (fields.get("reason") or [""])[0].strip()
    back = f"/dead-letters/{queue}"
    if not ids:
        return _back(console, back, "problem", f"Tick the messages to {action} first.")
    if not reason:
        why = f"Say why you {action} them; the reason goes in the audit log."
        return _back(console, back, "problem", why)
    method = console.dead_letters.replay if action == "replay" else console.dead_letters.discard
    operator = session.user or "unknown"
    try:
        done = await run_in_threadpool(method, queue, ids, operator=operator, reason=reason)
    except (DeadLetterNotFound, ValueError) as error:
        return _back(console, back, "problem", str(error))
    verb = "Replayed" if action == "replay" else "Discarded"
    return _back(console, back, "done", f"{verb} {len(done)} message(s): {', '.join(done)}")


def _back(console: Console, path: str, kind: str, text: str) -> Response:
    note = console.sessions.sign_note(kind, text)
    return RedirectResponse(f"{path}?{urlencode({'note': note})}", status_code=303)


@router.get("/audit")
def audit_page(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    entries = console.dead_letters.audit.entries(limit=200)
    return console.page(request, "audit.html", session, entries=entries)
