"""One source of 'now', naive UTC, so that both databases store the same thing."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
