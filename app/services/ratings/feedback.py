"""The doctor's feedback on a visit (docs/ratings.md, "Doctor feedback"): punctuality and preparation (1-5) and a
short note, once per visit. The hospital's doctors and nurses see it; never search, never another hospital. The
patient reads what was recorded about them in their data export."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Patient, User, VisitFeedback
from app.scheduling.codes import Status
from app.services import audit
from app.services.ratings import policy
from app.services.ratings.reviews import RatingError, check_stars, clean_text

MAX_NOTE = 500


def feedback_of(appointment_id: int) -> VisitFeedback | None:
    return db.session.scalar(select(VisitFeedback).where(VisitFeedback.appointment_id == appointment_id))


def feedback_for_staff(user: User, appointment: Appointment) -> VisitFeedback | None:
    """The visit's feedback if this user may see it; None otherwise (as if there were none)."""
    if not policy.may_see_feedback(user, appointment.hospital_id):
        return None
    return feedback_of(appointment.id)


def visible_feedback(user: User, appointment_ids: list[int]) -> dict[int, VisitFeedback]:
    """The feedback on these visits that this user may see (their hospitals' visits only), by appointment id."""
    ids = [i for i in appointment_ids if i is not None]
    if not ids:
        return {}
    rows = db.session.scalars(select(VisitFeedback).where(VisitFeedback.appointment_id.in_(ids)))
    allowed: dict[int, bool] = {}
    return {row.appointment_id: row for row in rows
            if allowed.setdefault(row.hospital_id, policy.may_see_feedback(user, row.hospital_id))}


def check_may_give(user: User, appointment: Appointment) -> None:
    if not policy.may_give_feedback(user, appointment):
        raise RatingError("No such visit.", 404, "not_found")
    if appointment.status != Status.COMPLETED:
        raise RatingError("Only a completed visit can be rated.", 409, "not_completed")
    if feedback_of(appointment.id) is not None:
        raise RatingError("You have already rated this visit.", 409, "already_rated")


def give_feedback(user: User, appointment: Appointment, punctuality, preparation,
                  note: str | None) -> VisitFeedback:
    check_may_give(user, appointment)
    row = VisitFeedback(appointment_id=appointment.id, doctor_id=appointment.doctor_id,
                        hospital_id=appointment.hospital_id, patient_id=appointment.patient_id,
                        punctuality=check_stars(punctuality, "punctuality"),
                        preparation=check_stars(preparation, "preparation"),
                        note=clean_text(note, MAX_NOTE, "note"))
    db.session.add(row)
    db.session.flush()
    audit.record(user.id, "visit_feedback.create", "appointment", appointment.id,
                 hospital_id=appointment.hospital_id)
    return row


def feedback_about(patient: Patient) -> list[VisitFeedback]:
    return list(db.session.scalars(select(VisitFeedback).where(VisitFeedback.patient_id == patient.id)
                                   .order_by(VisitFeedback.created_at)))
