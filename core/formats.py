"""How amounts and times are written for people, on screen and on paper."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


def money(cents: int | None) -> str:
    return "—" if cents is None else f"¥{cents / 100:,.2f}"


def local_time(value: datetime, tz: ZoneInfo) -> datetime:
    """A stored (naive UTC) time as the shop's wall-clock time."""
    return value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def utc_time(local: datetime, tz: ZoneInfo) -> datetime:
    """The shop's wall-clock time as the naive UTC the database stores."""
    return local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def stamp(value: datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else local_time(value, tz).strftime("%Y-%m-%d %H:%M")
