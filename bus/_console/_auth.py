"""Who is signed in to the console: scrypt password hashes, a signed session cookie, and a
CSRF token per session that every form posts back.

The cookie holds the user's name and the CSRF token only, signed with `console.secret`; the
role is read from the settings on every request, so a role taken away applies at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bus._console_settings import ConsoleSettings, Role

COOKIE = "civicbus_console"
_ROLE_RANK: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}
# scrypt cost: 16 MiB and ~50 ms per check, enough to make a stolen hash slow to guess.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash`, what `console.users.<name>.password_hash` holds."""
    if not password:
        raise ValueError("a console password must not be empty")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`; False for a hash in a form not understood."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def role_allows(role: str, needed: Role) -> bool:
    return _ROLE_RANK.get(role, -1) >= _ROLE_RANK[needed]


@dataclass(frozen=True)
class Session:
    """What the cookie says: who (None before sign-in) and the token forms must carry."""

    user: str | None
    role: str | None
    csrf: str

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def may(self, needed: Role) -> bool:
        return self.role is not None and role_allows(self.role, needed)

    @property
    def sees_personal_data(self) -> bool:
        return self.may("admin")


class Sessions:
    """Signs and reads session cookies, and checks users' passwords."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        secret = settings.secret.get_secret_value() if settings.secret else None
        self._serializer = URLSafeTimedSerializer(
            secret or secrets.token_urlsafe(32), salt="civicbus-console-session"
        )
        self.max_age = int(settings.session_hours * 3600)
        self.secure = settings.secure_cookie
        self.random_secret = secret is None
        self._decoy = hash_password(secrets.token_urlsafe(16))

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries; None when it is missing, tampered with or expired."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        user = data.get("user")
        configured = self._settings.users.get(user) if isinstance(user, str) else None
        if configured is None:  # signed out, or the user was removed from the settings
            return Session(None, None, data["csrf"])
        return Session(user, configured.role, data["csrf"])

    def anonymous(self) -> Session:
        return Session(None, None, secrets.token_urlsafe(24))

    def sign_in(self, name: str, password: str) -> Session | None:
        """A new session (with a new CSRF token) when the password is right, else None."""
        user = self._settings.users.get(name)
        if user is None:
            # Spend the same time as a real check, so a response time does not tell names.
            verify_password(password, self._decoy)
            return None
        if not verify_password(password, user.password_hash):
            return None
        return Session(name, user.role, secrets.token_urlsafe(24))

    def dump(self, session: Session) -> str:
        return self._serializer.dumps({"user": session.user, "csrf": session.csrf})

    # An outcome shown after a redirect travels signed in the URL, so a crafted link cannot
    # make the console claim that something was replayed.
    def sign_note(self, kind: str, text: str) -> str:
        return self._serializer.dumps({"note": kind, "text": text}, salt="civicbus-console-note")

    def read_note(self, signed: str | None) -> tuple[str, str] | None:
        if not signed:
            return None
        try:
            data = self._serializer.loads(signed, salt="civicbus-console-note", max_age=600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("note") not in {"done", "problem"}:
            return None
        return str(data["note"]), str(data.get("text", ""))


def csrf_ok(session: Session | None, token: str | None) -> bool:
    return (
        session is not None
        and token is not None
        and hmac.compare_digest(session.csrf.encode(), token.encode())
    )
