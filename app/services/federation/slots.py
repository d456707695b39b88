"""External slots in the patient's search (docs/federation.md, "In search").

They are read from their own table at each search, beside the cached local answer (answers.py), so a sync never
has to bump the local cache: a slot shows while its source is not paused, it is not hidden, it starts in the future
and its source confirmed it within the source's budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import ExternalSlot, FederationSource, Specialty
from app.models.base import utcnow

MAX_LISTED = 50


@dataclass
class Listed:
    slot: ExternalSlot
    source: str
    age_minutes: int
    stale: bool  # the source's latest sync failed: shown, with its age, until the budget runs out


def _alive(now: datetime):
    # the budget differs per source: it is compared in Python (a few dozen rows), not in dialect-specific SQL
    return (select(ExternalSlot, FederationSource).join(FederationSource)
            .where(FederationSource.paused.is_(False), ExternalSlot.hidden.is_(False), ExternalSlot.start >= now))


def for_specialty(specialty_id: int | None, first: datetime | None = None, last: datetime | None = None,
                  now: datetime | None = None, limit: int = MAX_LISTED) -> list[Listed]:
    """The live external slots of a specialty (matched by code or name), earliest first."""
    now = now or utcnow()
    if specialty_id is None:
        return []
    specialty = db.session.get(Specialty, specialty_id)
    if specialty is None:
        return []
    stmt = _alive(now).where(or_(func.lower(ExternalSlot.specialty_code) == specialty.code.lower(),
                          func.lower(ExternalSlot.specialty_name) == specialty.name.lower()))
    if first is not None:
        stmt = stmt.where(ExternalSlot.start >= first)
    if last is not None:
        stmt = stmt.where(ExternalSlot.start < last)
    listed = []
    for slot, source in db.session.execute(stmt.order_by(ExternalSlot.start, ExternalSlot.id).limit(limit * 4)):
        if slot.fetched_at < now - timedelta(minutes=source.max_age_minutes):
            continue
        # the latest sync failed; counted, not read from the two times (MariaDB keeps whole seconds: a failure in the
        # same second as the success before it would compare equal)
        stale = source.consecutive_failures > 0
        listed.append(Listed(slot, source.name, int((now - slot.fetched_at).total_seconds() // 60), stale))
        if len(listed) == limit:
            break
    return listed


def live(slot_id: int, now: datetime | None = None) -> ExternalSlot | None:
    """One slot a patient may book now, or None (gone, hidden, paused, past or past its budget)."""
    now = now or utcnow()
    slot = db.session.get(ExternalSlot, slot_id)
    if slot is None or slot.hidden or slot.source.paused or slot.start < now \
            or slot.fetched_at < now - timedelta(minutes=slot.source.max_age_minutes):
        return None
    return slot


def for_query(query, now: datetime | None = None) -> list[Listed]:
    """The external slots matching a local slot search (a SlotQuery): only a specialty search reaches them (a
    hospital, doctor or language is one of ours); their days are read in UTC (a source's zone is not known)."""
    if query.specialty_id is None or query.hospital_id or query.doctor_id or query.language:
        return []
    first = datetime.combine(query.first_day, datetime.min.time())
    last = datetime.combine(query.last_day, datetime.min.time()) + timedelta(days=1)
    if query.earliest is not None:
        first = max(first, query.earliest)
    found = for_specialty(query.specialty_id, first, last, now, limit=query.limit)
    if query.appointment_type:
        found = [x for x in found if (x.slot.visit_type or "").lower() == query.appointment_type.lower()]
    return found


def as_api(item: Listed) -> dict:
    """A slot in GET /api/v1/slots (docs/api.md): no doctor or hospital of ours, its source and when it was read."""
    slot = item.slot
    return {"doctor_id": None, "hospital_id": None, "start": _iso(slot.start), "end": _iso(slot.end),
            "appointment_type": slot.visit_type, "seats_left": 1, "distance_km": None,
            "source": {"name": item.source, "fetched_at": _iso(slot.fetched_at)}}


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat()
