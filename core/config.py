"""Deployment configuration: the cookie-signing secret, the Team page's refresh interval.

Never a literal in code: CAREDESK_SECRET (or Streamlit secrets, passed in by app.py), or
else 32 random bytes generated once into a private file in the data directory.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.errors import ValidationError
from core.i18n import N_
from db.session import data_dir

MIN_SECRET_LENGTH = 32
SECRET_FILE = "secret_key"


def cookie_secret(configured: str | None = None) -> str:
    value = configured or os.environ.get("CAREDESK_SECRET")
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            raise ValidationError(
                N_("CAREDESK_SECRET must be at least {n} characters of random text."),
                n=MIN_SECRET_LENGTH)
        return value
    return _secret_from_file(data_dir() / SECRET_FILE)


def _secret_from_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    # Written whole to a private temporary file, then linked into place: if two processes
    # start at once, exactly one link succeeds and the other reads the winner's key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


TEAM_REFRESH_DEFAULT_SECONDS = 30


def team_refresh_seconds() -> int:
    """CAREDESK_TEAM_REFRESH_SECONDS, kept within 2 s .. 1 h (a bad value means the default:
    a typo must not stop the supervisors' screen)."""
    try:
        seconds = int(os.environ.get("CAREDESK_TEAM_REFRESH_SECONDS",
                                     TEAM_REFRESH_DEFAULT_SECONDS))
    except ValueError:
        seconds = TEAM_REFRESH_DEFAULT_SECONDS
    return min(max(seconds, 2), 3600)
