"""Shared column helpers."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: the database stores instants without offset (docs/architecture.md, "Time")."""
    return datetime.now(UTC).replace(tzinfo=None)
