"""The answer to a confirm-or-release link (docs/noshow.md, "Confirm or release"): a high-risk booking's patient
confirms they are coming, or releases the time, which cancels through the ordinary cancel path so the waitlist is
offered the slot. Each link answers once: a conditional UPDATE on the unanswered row, so a replayed or a
double-clicked link finds it answered. The reminders' confirm and cancel links (docs/operations.md, "Reminders")
and the patient's confirm through the API answer the same way."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from app import scheduling as core
from app.extensions import db
from app.models import Appointment
from app.models.base import utcnow
from app.scheduling.codes import Status
from app.services import audit
from app.services.booking.operations import cancel

CONFIRMED, RELEASED = "confirmed", "released"
CANCEL_REASON = "cancelled via the reminder's link"


def answer_attendance(appointment: Appointment, answer: str, *, now: datetime | None = None,
                      actor_id: int | None = None, via: str = "confirm-or-release link") -> Appointment:
    """Record the patient's answer (by a signed link the actor is None; through the API, the patient). Raises
    core.InvalidTransition when it was answered meanwhile; a release past the hospital's online cut-off is
    refused like any cancellation by the patient (core.check_patient_change), and nothing is recorded."""
    if answer not in (CONFIRMED, RELEASED):
        raise core.SchedulingError("Answer confirmed or released.", "answer")
    now = now or utcnow()
    if appointment.status != Status.SCHEDULED or appointment.start <= now:
        raise core.InvalidTransition("This appointment is no longer ahead: there is nothing to confirm.", "status")
    won = db.session.execute(
        update(Appointment).where(Appointment.id == appointment.id, Appointment.attendance_answer.is_(None),
                                  Appointment.status == Status.SCHEDULED)
        .values(attendance_answer=answer).execution_options(synchronize_session=False)).rowcount
    if won == 0:
        raise core.InvalidTransition("This link has already been used.", "status")
    appointment.attendance_answer = answer
    if answer == RELEASED:
        return cancel(actor_id, appointment, f"released via the {via}", comment=f"via {via}", now=now,
                      by_patient=True)
    audit.record(actor_id, "appointment.confirm", "appointment", appointment.id, hospital_id=appointment.hospital_id,
                 comment=f"via {via}")
    return appointment


def cancel_by_link(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """The reminder's cancel link: the ordinary cancellation by the patient (its cut-off, its `slot_freed` signal,
    so the waitlist is offered the time at once), also after a confirmation: plans change."""
    cancel(None, appointment, CANCEL_REASON, comment="via reminder link", now=now, by_patient=True)
    appointment.attendance_answer = RELEASED
    return appointment
