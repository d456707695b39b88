"""Write audit events; every admin and scheduling action calls record()."""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditEvent


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-safe view of the fields an audit event compares."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (int, float, str, bool, list, dict)):
            value = str(value)
        out[name] = value
    return out


def record(actor_id: int | None, action: str, target_type: str, target_id: int | None, *,
           hospital_id: int | None = None, before: dict | None = None, after: dict | None = None,
           comment: str | None = None, address: str | None = None) -> None:
    """`address`: the client's address, kept for logins and account changes (docs/security.md, "Audit").

    A plain insert, sent at once in the session's transaction, not an ORM object: the object's flush cost a booking
    more than the insert itself (docs/benchmarks.md, "Start-up and plain inserts"). A read in the same transaction
    (the iCalendar sequence counts a booking's events) sees the row, and it commits or rolls back with the change it
    records."""
    db.session.execute(_insert(), dict(
        actor_id=actor_id, action=action, target_type=target_type, target_id=target_id, hospital_id=hospital_id,
        before=before, after=after, comment=comment or None, address=(address or None) and address[:45]))


@cache
def _insert():
    return insert(AuditEvent.__table__)  # built once; each event binds its values (`at` is the column's default)


def recent_audit(hospital_ids: set[int] | None, limit: int = 10) -> list[AuditEvent]:
    query = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(limit)
    if hospital_ids is not None:
        query = query.where(AuditEvent.hospital_id.in_(hospital_ids))
    return list(db.session.scalars(query))
