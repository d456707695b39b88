"""SMART Scheduling Links publishing (docs/fhir.md, "Publishing"): a manifest naming three ndjson files, of
Locations, Schedules and free Slots, each slot with a deep link into the portal's booking page.

The files are built from the availability search at each request, so an aggregator polling them never sees a slot
the portal would not sell; the slot file covers PUBLISH_DAYS from today.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Doctor, Hospital, doctor_hospitals
from app.models.base import utcnow
from app.services.availability import SlotQuery, search_slots
from app.services.fhir import resources as fhir
from app.services.fhir.slots import SEARCH_CAP, FreeSlot, LinkMaker

PUBLISH_DAYS = 28
FILES = {"Location": "locations.ndjson", "Schedule": "schedules.ndjson", "Slot": "slots.ndjson"}


def manifest(base: str, request_url: str, now: datetime | None = None) -> dict:
    """The manifest: `base` is the absolute address of /fhir; the files live under $bulk-publish/."""
    now = now or utcnow()
    return {"transactionTime": fhir.instant(now, "UTC").replace("+00:00", "Z"), "request": request_url,
            "output": [{"type": kind, "url": f"{base}/$bulk-publish/{name}"} for kind, name in FILES.items()],
            "error": []}


def _hospitals():
    return db.session.scalars(select(Hospital).where(Hospital.active).order_by(Hospital.id))


def _pairs():
    return db.session.execute(
        select(Doctor, Hospital).join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
        .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
        .where(Doctor.active, Hospital.active).order_by(Doctor.id, Hospital.id)).all()


def locations() -> Iterator[dict]:
    for hospital in _hospitals():
        yield fhir.location(hospital)


def schedules() -> Iterator[dict]:
    for doctor, hospital in _pairs():
        yield fhir.schedule(doctor, hospital)


def slots(link: LinkMaker, now: datetime | None = None) -> Iterator[dict]:
    """Every free slot of the next PUBLISH_DAYS, schedule by schedule, each search read on from where the last
    full answer ended."""
    now = now or utcnow()
    for doctor, hospital in _pairs():
        first, last = (now - timedelta(days=1)).date(), (now + timedelta(days=PUBLISH_DAYS)).date()
        after = None
        while first <= last:
            found = search_slots(SlotQuery(first_day=first, last_day=last, doctor_id=doctor.id,
                                           hospital_id=hospital.id, limit=SEARCH_CAP), now)
            for r in found:
                if after is None or r.start > after:
                    # the schedule's first slot is checked by fhir.resources; the others are built by the same
                    # function from values of the same types (checking each costs a millisecond: docs/fhir.md)
                    yield FreeSlot(r.doctor_id, r.hospital_id, r.start, r.end, hospital.timezone,
                                   r.appointment_type, r.seats_left).resource(link, check=after is None
                                                                             and r is found[0])
            if len(found) < SEARCH_CAP or (after is not None and found[-1].start <= after):
                break
            first, after = found[-1].local_date, found[-1].start


def ndjson(kind: str, link: LinkMaker) -> Iterator[str]:
    """The lines of one file; `kind` is a key of FILES."""
    rows = {"Location": locations, "Schedule": schedules}.get(kind)
    for resource in (rows() if rows else slots(link)):
        yield fhir.compact(resource) + "\n"
