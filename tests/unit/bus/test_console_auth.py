"""Console sign-in: scrypt hashes, signed session cookies that refuse tampering, CSRF tokens."""

from __future__ import annotations

from bus._console import hash_password, verify_password
from bus._console._auth import Sessions, csrf_ok, role_allows
from bus._console_settings import ConsoleSettings


def settings() -> ConsoleSettings:
    return ConsoleSettings.model_validate(
        {
            "secret": "a shared secret",
            "users": {"mari": {"password_hash": hash_password("right"), "role": "operator"}},
        }
    )


def test_a_hash_verifies_its_password_only():
    stored = hash_password("correct horse")
    assert (verify_password("correct horse", stored), verify_password("wrong", stored)) == (
        True,
        False,
    )


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("same") != hash_password("same")


def test_a_hash_in_an_unknown_form_never_verifies():
    assert verify_password("x", "md5$abc") is False


def test_a_wrong_password_or_unknown_user_does_not_sign_in():
    sessions = Sessions(settings())
    assert (sessions.sign_in("mari", "wrong"), sessions.sign_in("nobody", "right")) == (None, None)


def test_a_signed_cookie_reads_back_with_the_role_from_the_settings():
    sessions = Sessions(settings())
    signed_in = sessions.sign_in("mari", "right")
    assert signed_in is not None
    read = sessions.read(sessions.dump(signed_in))
    assert read is not None
    assert (read.user, read.role, read.csrf) == ("mari", "operator", signed_in.csrf)


def test_a_tampered_cookie_is_no_session():
    sessions = Sessions(settings())
    signed_in = sessions.sign_in("mari", "right")
    assert signed_in is not None
    cookie = sessions.dump(signed_in)
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert sessions.read(tampered) is None


def test_a_cookie_signed_with_another_secret_is_no_session():
    other = Sessions(ConsoleSettings.model_validate({**settings().model_dump(), "secret": "x"}))
    signed_in = other.sign_in("mari", "right")
    assert signed_in is not None
    assert Sessions(settings()).read(other.dump(signed_in)) is None


def test_a_user_removed_from_the_settings_is_signed_out():
    sessions = Sessions(settings())
    signed_in = sessions.sign_in("mari", "right")
    assert signed_in is not None
    cookie = sessions.dump(signed_in)
    read = Sessions(ConsoleSettings(secret="a shared secret")).read(cookie)  # type: ignore[arg-type]
    assert read is not None
    assert read.signed_in is False


def test_csrf_needs_the_session_token():
    session = Sessions(settings()).anonymous()
    assert (csrf_ok(session, session.csrf), csrf_ok(session, "forged"), csrf_ok(session, None)) == (
        True,
        False,
        False,
    )


def test_roles_are_ordered_viewer_operator_admin():
    assert [role_allows(r, "operator") for r in ("viewer", "operator", "admin")] == [
        False,
        True,
        True,
    ]
