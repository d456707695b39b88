"""The answer to a confirm-or-release link (docs/noshow.md, "Confirm or release"): a high-risk booking's patient
confirms they are coming, or releases the time, which cancels through the ordinary cancel path so the waitlist is
offered the slot. Each link answers once: a conditional UPDATE on the unanswered row, so a replayed or a
double-clicked link finds it answered."""
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
RELEASE_REASON = "released via the confirm-or-release link"


def answer_attendance(appointment: Appointment, answer: str, *, now: datetime | None = None) -> Appointment:
    """Record the patient's answer (no login: the signed link is the credential, the actor is None). Raises
    core.InvalidTransition when the link was answered meanwhile; a release past the hospital's online cut-off is
    refused like any cancellation by the patient (core.check_patient_change), and nothing is recorded."""
    if answer not in (CONFIRMED, RELEASED):
        raise core.SchedulingError("Answer confirmed or released.", "answer")
    now = now or utcnow()
    won = db.session.execute(
        update(Appointment).where(Appointment.id == appointment.id, Appointment.attendance_answer.is_(None),
                                  Appointment.status == Status.SCHEDULED)
        .values(attendance_answer=answer).execution_options(synchronize_session=False)).rowcount
    if won == 0:
        raise core.InvalidTransition("This link has already been used.", "status")
    appointment.attendance_answer = answer
    if answer == RELEASED:
        return cancel(None, appointment, RELEASE_REASON, comment="via confirm-or-release link", now=now,
                      by_patient=True)
    audit.record(None, "appointment.confirm", "appointment", appointment.id, hospital_id=appointment.hospital_id,
                 comment="via confirm-or-release link")
    return appointment
