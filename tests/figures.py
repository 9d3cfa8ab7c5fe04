"""What the analytics figure tests share: November 2026 in Shanghai, and figures compared
rounded, with NaN as None."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.analytics import Filters

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = Filters(date(2026, 11, 1), date(2026, 11, 30))


def utc(local: str) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return (datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
            .astimezone(ZoneInfo("UTC")).replace(tzinfo=None))


def f(**kw) -> Filters:
    """November with these filters."""
    return Filters(NOV.start, NOV.end, **kw)


def r(value):
    """A figure as compared here: None when not measured, else rounded."""
    return None if value is None or value != value else round(float(value), 4)


def none(value):
    """A missing label as None (pandas may hold it as NaN)."""
    return value if value == value else None


def table(frame, key, columns) -> dict:
    """{key value: (columns...)} with floats rounded and NaN as None."""
    return {none(row[key]):
            tuple(r(row[c]) if isinstance(row[c], float) else row[c] for c in columns)
            for row in frame.to_dict("records")}


def add(uow, row):
    """One row written in its own transaction; its id."""
    with uow:
        uow.session.add(row)
        uow.commit()
        return row.id
