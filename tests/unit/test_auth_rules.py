"""Usernames, passwords and login cookies: the rules that need no database."""
from datetime import datetime, timedelta

import jwt
import pytest

from core import auth
from core.errors import ValidationError

SECRET = "k" * 64


def cookie(claims: dict, secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def future() -> float:
    return (datetime.now() + timedelta(hours=1)).timestamp()


@pytest.mark.parametrize("raw, expected", [
    ("Agent", "agent"), ("  agent  ", "agent"), ("ＡＧＥＮＴ", "agent"),  # full-width folds
])
def test_usernames_are_normalised(raw, expected):
    assert auth.validate_username(raw) == expected


@pytest.mark.parametrize("raw", ["", "a", "аgent",  # Cyrillic а looks like a Latin a
                                 "agent one", "<script>", "-agent", "a" * 65])
def test_bad_or_look_alike_usernames_are_refused(raw):
    with pytest.raises(ValidationError):
        auth.validate_username(raw)


@pytest.mark.parametrize("password", ["short", " leading-space-pw", "aaaaaaaaaaaa",
                                      "my-agent-password", "é" * 40])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        auth.validate_password(password, "agent")


def test_password_hash_round_trip_and_hash_is_not_a_password():
    hashed = auth.hash_password("Service-desk-2026")
    assert auth.check_password("Service-desk-2026", hashed)
    assert not auth.check_password("service-desk-2026", hashed)
    assert not auth.check_password(hashed, hashed)  # the stored hash submitted as password
    assert not auth.check_password("x", "not a bcrypt hash")


def test_a_sound_cookie_names_its_session():
    exp = future()
    key = auth.session_key_from_cookie(cookie({"username": "agent", "exp_date": exp}), SECRET)
    assert key == auth.session_key("agent", exp)


@pytest.mark.parametrize("token", [
    cookie({"username": "agent", "exp_date": future()}, secret="another-key" * 4),
    cookie({"username": "agent"}),
    cookie({"username": "agent", "exp_date": "tomorrow"}),
    cookie({"username": "agent", "exp_date": True}),
    cookie({"username": "agent", "exp_date": (datetime.now() - timedelta(1)).timestamp()}),
    cookie({"exp_date": future()}),
    cookie({"username": ["agent"], "exp_date": future()}),
    "not.a.jwt", "", None,
])
def test_unsound_cookies_name_no_session(token):
    assert auth.session_key_from_cookie(token, SECRET) is None


def test_unsigned_cookie_is_refused():
    token = jwt.encode({"username": "agent", "exp_date": future()}, None, algorithm="none")
    assert auth.session_key_from_cookie(token, SECRET) is None
