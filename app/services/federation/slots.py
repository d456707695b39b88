"""External slots in the patient's search (docs/federation.md, "In search").

They are read from their own table at each search, beside the cached local answer (answers.py), so a sync never
has to bump the local cache: a slot shows while its source is not paused, it is not hidden, it starts in the future
and its source confirmed it within the source's budget. A portal with no source that is not paused (most of them)
skips that read: each process knows whether one exists under the `federation` stamp, which every change of a
source bumps in its own transaction (stamps.py).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import ExternalSlot, FederationSource, Specialty
from app.models.base import utcnow
from app.services.availability import stamps

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


_lock = threading.Lock()
_sources_known: dict[str, int | bool] = {"stamp": -1, "any": True}


@event.listens_for(Session, "after_flush")
def _bump_on_source_change(session: Session, _context) -> None:
    if any(isinstance(obj, FederationSource) for obj in chain(session.new, session.dirty, session.deleted)):
        stamps.bump_federation(session)


def _any_live_source() -> bool:
    """Is any source not paused? Known per process under the `federation` stamp, asked again when it moves."""
    seen = stamps.seen_named(stamps.FEDERATION)
    with _lock:
        if _sources_known["stamp"] == seen:
            return bool(_sources_known["any"])
    stamp = stamps.current_named(stamps.FEDERATION)  # first: the read after it is at least as new
    found = db.session.scalar(select(FederationSource.id).where(FederationSource.paused.is_(False)).limit(1))
    with _lock:
        _sources_known.update(stamp=stamp, any=found is not None)
    return found is not None


@stamps.also_forget
def forget() -> None:
    with _lock:
        _sources_known.update(stamp=-1, any=True)


def for_query(query, now: datetime | None = None) -> list[Listed]:
    """The external slots matching a local slot search (a SlotQuery): only a specialty search reaches them (a
    hospital, doctor or language is one of ours); their days are read in UTC (a source's zone is not known)."""
    if query.specialty_id is None or query.hospital_id or query.doctor_id or query.language:
        return []
    if not _any_live_source():
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
