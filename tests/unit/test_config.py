"""The cookie key: never a literal; configured, or generated once into a private file."""
import os
import stat

import pytest

from core import config
from core.errors import ValidationError


def test_generated_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CAREDESK_SECRET", raising=False)
    first = config.cookie_secret()
    assert len(first) >= 64
    path = tmp_path / config.SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.cookie_secret() == first
    assert [p.name for p in tmp_path.iterdir()] == [config.SECRET_FILE]  # no temp left


def test_each_installation_gets_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("CAREDESK_SECRET", raising=False)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "a"))
    a = config.cookie_secret()
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path / "b"))
    assert config.cookie_secret() != a


def test_configured_secret_wins_and_must_be_long(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREDESK_SECRET", "s" * 40)
    assert config.cookie_secret() == "s" * 40
    monkeypatch.setenv("CAREDESK_SECRET", "short")
    with pytest.raises(ValidationError):
        config.cookie_secret()
    assert config.cookie_secret("x" * 32) == "x" * 32


@pytest.mark.parametrize("value,seconds", [(None, 30), ("3", 3), ("0", 2), ("99999", 3600),
                                           ("soon", 30)])
def test_team_refresh_interval_stays_within_bounds(monkeypatch, value, seconds):
    from core.config import team_refresh_seconds
    if value is None:
        monkeypatch.delenv("CAREDESK_TEAM_REFRESH_SECONDS", raising=False)
    else:
        monkeypatch.setenv("CAREDESK_TEAM_REFRESH_SECONDS", value)
    assert team_refresh_seconds() == seconds
