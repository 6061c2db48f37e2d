"""The console's FastAPI app: sign-in, the pages, static files and the probes.

Page handlers are plain functions (run in the thread pool) because everything they read — the
journal, the broker, the audit log — is blocking I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from bus._console._auth import COOKIE, Session, Sessions, csrf_ok
from bus._console_settings import Role
from bus._dead_letters import DeadLetters
from bus._health import Readiness, bus_readiness
from bus._ops_routes import add_ops_routes
from bus.migrations import database_engine

if TYPE_CHECKING:
    from bus._runtime import Bus

log = structlog.get_logger("civicbus.console")
_HERE = Path(__file__).parent


class AdapterStatusLike(Protocol):
    """What the adapters page reads of `adapters.AdapterStatus` (bus imports no adapter)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def breaker(self) -> str: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def operations(self) -> list[str]: ...
    @property
    def health(self) -> Any: ...


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in form."""


class NotAllowed(Exception):
    """Signed in, but the role does not allow this: a 403 page."""

    def __init__(self, needed: Role) -> None:
        super().__init__(needed)
        self.needed = needed


class BadForm(Exception):
    """A form without the session's CSRF token: refused with 403."""


class Console:
    """The operations console of one bus; `app` is what a server serves."""

    def __init__(
        self,
        bus: Bus,
        *,
        adapter_status: Callable[[], Sequence[AdapterStatusLike]] | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.bus = bus
        self.settings = bus.settings.console
        self.sessions = Sessions(self.settings)
        if self.sessions.random_secret:
            log.warning(
                "console_secret_unset",
                hint="set console.secret so sign-ins survive a restart and work on every replica",
            )
        self.adapter_status = adapter_status
        self.dead_letters = DeadLetters(bus)
        self.journal_engine: sa.Engine | None = (
            database_engine(bus.settings.journal_url) if bus.journal is not None else None
        )
        self._owns_readiness = readiness is None
        self.readiness = readiness if readiness is not None else bus_readiness(bus)
        self.templates = Jinja2Templates(directory=str(_HERE / "templates"))
        self.app = self._build()

    def close(self) -> None:
        self.dead_letters.close()
        if self.journal_engine is not None:
            self.journal_engine.dispose()
        if self._owns_readiness:
            self.readiness.close()

    # -- used by the page modules ---------------------------------------------------------

    def session(self, request: Request, needed: Role = "viewer") -> Session:
        """The signed-in session, or SignInRequired / NotAllowed."""
        session = self.sessions.read(request.cookies.get(COOKIE))
        if session is None or not session.signed_in:
            raise SignInRequired
        if not session.may(needed):
            raise NotAllowed(needed)
        return session

    async def form(self, request: Request, needed: Role) -> tuple[Session, dict[str, list[str]]]:
        """A posted form from a session with `needed`, its CSRF token checked."""
        session = self.session(request, needed)
        fields = await _form_fields(request)
        if not csrf_ok(session, _first(fields, "csrf")):
            raise BadForm
        return session, fields

    def page(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> Response:
        context |= {
            "session": session,
            "refresh_seconds": self.settings.refresh_seconds,
            "path": request.url.path,
        }
        return self.templates.TemplateResponse(request, template, context, status_code=status)

    # -- the app --------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        from bus._console import _dead_letter_pages, _pages  # noqa: PLC0415 — they import us

        app = FastAPI(title="civicbus console", openapi_url=None, docs_url=None, redoc_url=None)
        app.state.console = self
        app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
        add_ops_routes(app, self.readiness)
        app.include_router(_pages.router)
        app.include_router(_dead_letter_pages.router)
        self._add_sign_in(app)
        self._add_error_pages(app)
        return app

    def _add_sign_in(self, app: FastAPI) -> None:
        @app.get("/login", include_in_schema=False)
        def login_form(request: Request, failed: bool = False) -> Response:
            session = self.sessions.read(request.cookies.get(COOKIE)) or self.sessions.anonymous()
            response = self.page(
                request,
                "login.html",
                None,
                csrf=session.csrf,
                failed=failed,
                no_users=not self.settings.users,
            )
            self._set_cookie(response, session)
            return response

        @app.post("/login", include_in_schema=False)
        async def login(request: Request) -> Response:
            fields = await _form_fields(request)
            before = self.sessions.read(request.cookies.get(COOKIE))
            if not csrf_ok(before, _first(fields, "csrf")):
                raise BadForm
            name = _first(fields, "username") or ""
            signed_in = self.sessions.sign_in(name, _first(fields, "password") or "")
            if signed_in is None:
                log.warning("console_sign_in_refused", user=name)
                return RedirectResponse("/login?failed=true", status_code=303)
            log.info("console_signed_in", user=name, role=signed_in.role)
            response = RedirectResponse("/", status_code=303)
            self._set_cookie(response, signed_in)
            return response

        @app.post("/logout", include_in_schema=False)
        async def logout(request: Request) -> Response:
            await self.form(request, "viewer")
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(COOKIE)
            return response

    def _set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.sessions.dump(session),
            max_age=self.sessions.max_age,
            httponly=True,
            secure=self.sessions.secure,
            samesite="lax",
        )

    def _add_error_pages(self, app: FastAPI) -> None:
        @app.exception_handler(SignInRequired)
        async def sign_in(_request: Request, _error: SignInRequired) -> Response:
            return RedirectResponse("/login", status_code=303)

        @app.exception_handler(NotAllowed)
        async def not_allowed(request: Request, error: NotAllowed) -> Response:
            session = self.sessions.read(request.cookies.get(COOKIE))
            return self.page(
                request,
                "forbidden.html",
                session,
                status=403,
                needed=error.needed,
                reason=f"This needs the {error.needed} role; you are signed in as "
                f"{session.role if session else 'nobody'}.",
            )

        @app.exception_handler(BadForm)
        async def bad_form(request: Request, _error: BadForm) -> Response:
            session = self.sessions.read(request.cookies.get(COOKIE))
            return self.page(
                request,
                "forbidden.html",
                session if session and session.signed_in else None,
                status=403,
                needed=None,
                reason="The form was missing its security token or it was out of date. "
                "Reload the page and try again.",
            )


async def _form_fields(request: Request) -> dict[str, list[str]]:
    # Forms are url-encoded and small; parsing them here spares a multipart dependency.
    body = await request.body()
    if len(body) > 1_000_000:
        raise BadForm
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None
