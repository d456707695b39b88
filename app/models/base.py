"""Shared column helpers."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Naive UTC: the database stores instants without offset (DESIGN.md section 3)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
