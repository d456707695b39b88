"""The clinical side of a token: vitals at the nurse station, the doctor's notes, and the patient's past visits.

Each visit's Encounter is created with its queue entry (app.services.queue), so these only add to it. Functions
flush and never commit; a refusal (core.VitalsOutOfRange, core.QueueError) leaves nothing stored.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import realtime
from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Encounter, QueueEntry, Vitals
from app.models.base import utcnow
from app.scheduling.codes import EntryStatus
from app.services import audit, booking

NOTES_MAX = 20000


def _encounter(entry: QueueEntry) -> Encounter:
    if entry.encounter is None:  # every entry gets one when issued; rows from before that rule get theirs now
        queue = entry.queue
        entry.encounter = Encounter(entry_id=entry.id, patient_id=entry.patient_id, doctor_id=queue.doctor_id,
                                    hospital_id=queue.hospital_id, appointment_id=entry.appointment_id)
        db.session.flush()
    return entry.encounter


def record_vitals(actor_id: int | None, entry: QueueEntry, values: dict[str, str | float | int | None]) -> Vitals:
    """Check the readings (core.check_vitals: ranges, units, diastolic below systolic) and store one set."""
    if entry.status in (EntryStatus.LEFT, EntryStatus.NO_SHOW):
        raise core.QueueError(f"{entry.label} is closed ({entry.status.replace('_', ' ')}): no vitals can be added.",
                              "status")
    checked = core.check_vitals(values)
    encounter = _encounter(entry)
    vitals = Vitals(encounter_id=encounter.id, recorded_by_id=actor_id, recorded_at=utcnow(), **checked)
    db.session.add(vitals)
    db.session.flush()
    audit.record(actor_id, "queue.vitals", "queue_entry", entry.id, hospital_id=encounter.hospital_id,
                 after={k: str(v) if isinstance(v, Decimal) else v for k, v in checked.items() if v is not None})
    realtime.note_queue_change(encounter.hospital_id, encounter.doctor_id, entry.day)
    return vitals


def save_notes(actor_id: int | None, entry: QueueEntry, notes: str) -> Encounter:
    """Keep the doctor's consult notes on the visit; the audit says that they changed, not what they say."""
    text = (notes or "").strip()
    if len(text) > NOTES_MAX:
        raise core.QueueError(f"Notes are limited to {NOTES_MAX} characters.", "notes", http_status=422)
    encounter = _encounter(entry)
    before = len(encounter.notes or "")
    encounter.notes = text or None
    audit.record(actor_id, "queue.notes", "queue_entry", entry.id, hospital_id=encounter.hospital_id,
                 before={"length": before}, after={"length": len(text)})
    return encounter


def patient_history(patient_id: int, *, limit: int = 10, exclude_entry_id: int | None = None) -> list[Encounter]:
    """The patient's visits, latest first, with their vitals and notes (``exclude_entry_id``: today's own)."""
    query = (select(Encounter).where(Encounter.patient_id == patient_id)
             .options(selectinload(Encounter.vitals), selectinload(Encounter.entry))
             .order_by(Encounter.created_at.desc(), Encounter.id.desc()).limit(limit))
    if exclude_entry_id is not None:
        query = query.where(Encounter.entry_id != exclude_entry_id)
    return list(db.session.scalars(query))


def book_follow_up(actor_id: int | None, entry: QueueEntry, doctor: Doctor, start: datetime, *,
                   appointment_type: str | None, reason: str) -> Appointment:
    """Book the patient's next appointment from the visit and note it on the visit's encounter."""
    appointment = booking.book(actor_id, entry.patient, doctor, start, appointment_type=appointment_type,
                               hospital_id=entry.queue.hospital_id, reason=reason, comment="follow-up")
    if entry.encounter is not None:
        entry.encounter.follow_up_id = appointment.id
    return appointment
