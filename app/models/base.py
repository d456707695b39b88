"""Shared column helpers."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: the database stores instants without offset (DESIGN.md section 3)."""
    return datetime.now(UTC).replace(tzinfo=None)
