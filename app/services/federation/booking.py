"""Booking an external slot through its source (docs/federation.md, "Booking").

A FHIR source with a token: `$hold` the slot, then `$book` the hold; only when the source answers the booked
Appointment is a local record kept. A source that refuses (4xx: taken, unknown, not allowed) makes the slot vanish
here at once. A source that cannot be reached leaves the slot as it is: nothing was confirmed. A source without
booking operations (a SMART Scheduling Links manifest, or no token) is booked through the slot's deep link.

`reserve` talks to the source and writes nothing; `record` and `vanish` write the outcome inside the caller's
transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from app.models import ExternalBooking, ExternalSlot, Patient
from app.models.base import utcnow
from app.services.federation.client import SourceError, request


class RefusedError(Exception):
    """The source said no: the slot is gone."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Target:
    """What booking needs, read before the network is touched."""

    slot_id: int
    source_id: int
    source_name: str
    base: str
    token: str | None
    remote_id: str
    practitioner_ref: str | None
    location_ref: str | None
    deep_link: str | None
    bookable: bool  # through $hold/$book
    start: datetime
    end: datetime
    details: dict  # location, practitioner, specialty_name


def target(slot: ExternalSlot) -> Target:
    source = slot.source
    return Target(slot.id, source.id, source.name, source.url.rstrip("/"), source.token, slot.remote_id,
                  slot.practitioner_ref, slot.location_ref, slot.booking_link,
                  source.kind == "fhir" and bool(source.token), slot.start, slot.end,
                  {"location": slot.location, "practitioner": slot.practitioner,
                   "specialty_name": slot.specialty_name})


def _appointment(t: Target, appointment_id: str | None = None) -> dict:
    actors = [ref for ref in (t.practitioner_ref, t.location_ref) if ref]
    resource = {"resourceType": "Appointment", "status": "pending" if appointment_id else "proposed",
                "participant": [{"actor": {"reference": ref}, "status": "needs-action"} for ref in actors]
                or [{"status": "needs-action", "type": [{"text": "patient"}]}]}
    if appointment_id:
        resource["id"] = appointment_id
    else:
        resource["slot"] = [{"reference": f"Slot/{t.remote_id}"}]
    return {"resourceType": "Parameters", "parameter": [{"name": "appointment", "resource": resource}]}


def _operation(t: Target, name: str, body: dict) -> dict:
    """One $hold or $book; the Appointment the source answered. POSTs are not retried: a retry could hold twice."""
    answer = request("POST", f"{t.base}/Appointment/${name}", body=body, attempts=1,
                     headers={"Authorization": f"Bearer {t.token}"})
    if answer.status in (400, 404, 409, 410, 422):
        raise RefusedError(_diagnostics(answer) or f"The source refused the slot ({answer.status}).")
    if answer.status != 200:
        raise SourceError(f"${name} answered {answer.status}.", answer.status)
    bundle = answer.json()
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    resource = entries[0].get("resource") if isinstance(entries, list) and entries and isinstance(
        entries[0], dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment" or not resource.get("id"):
        raise SourceError(f"${name} did not answer an Appointment.")
    return resource


def _diagnostics(answer) -> str | None:
    try:
        body = answer.json()
    except SourceError:
        return None
    issues = body.get("issue") if isinstance(body, dict) else None
    if isinstance(issues, list) and issues and isinstance(issues[0], dict):
        return str(issues[0].get("diagnostics") or "")[:300] or None
    return None


def reserve(t: Target) -> str:
    """Hold, then book; the source's Appointment id once it answered `booked`. RefusedError or SourceError else."""
    held = _operation(t, "hold", _appointment(t))
    booked = _operation(t, "book", _appointment(t, str(held["id"])[:64]))
    if booked.get("status") != "booked":
        raise SourceError(f"$book answered an Appointment that is {booked.get('status')!r}, not booked.")
    return str(booked["id"])[:64]


def record(t: Target, patient: Patient, remote_id: str, now: datetime | None = None) -> ExternalBooking:
    """The confirmed booking, kept here; the slot is sold, so it leaves the search."""
    made = ExternalBooking(source_id=t.source_id, patient_id=patient.id, remote_id=remote_id, start=t.start,
                           end=t.end, created_at=now or utcnow(), **t.details)
    db.session.add(made)
    vanish(t.slot_id)
    db.session.flush()
    return made


def vanish(slot_id: int) -> None:
    """The source refused: the slot leaves the search at once (the next sync would drop it too)."""
    slot = db.session.get(ExternalSlot, slot_id)
    if slot is not None:
        db.session.delete(slot)
        db.session.flush()


def upcoming_for(patient: Patient, now: datetime | None = None) -> list[ExternalBooking]:
    """The patient's confirmed bookings at partner systems that have not started yet, earliest first."""
    return list(db.session.scalars(db.select(ExternalBooking).where(
        ExternalBooking.patient_id == patient.id, ExternalBooking.start >= (now or utcnow()))
        .order_by(ExternalBooking.start)))
