"""Patients' ratings of doctors and their moderation (docs/ratings.md).

A rating is born "pending"; a hospital admin approves it (it counts and shows) or hides it with a reason. The
doctor's approved count and star total live on the doctor row, changed by the same transaction that changes the
rating's status, so search reads them with the doctors it loads anyway; the specialty's availability stamp is noted
so a cached search answer carrying the old average is not served again (docs/availability-index.md).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.models import Appointment, Doctor, DoctorRating, Patient, Role, User
from app.models.base import utcnow
from app.models.rating import APPROVED, HIDDEN, PENDING
from app.scheduling.codes import Status
from app.services import audit
from app.services.availability import stamps
from app.services.ratings import policy
from app.text import text_problem

MAX_REVIEW = 1000  # characters: a short review, not an essay
MAX_REASON = 255
STARS = range(1, 6)
DECISIONS = (APPROVED, HIDDEN)


class RatingError(Exception):
    """A refusal: `status` is the HTTP answer (403, 404, 409, 422), `field` the form field it belongs to."""

    def __init__(self, message: str, status: int, code: str, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.code, self.field = message, status, code, field


def clean_text(value: str | None, limit: int, field: str, *, multiline: bool = True) -> str | None:
    """Stored as typed (pages escape it on output); refused when too long or carrying control characters."""
    value = (value or "").strip()
    if len(value) > limit:
        raise RatingError("This text is too long.", 422, "invalid", field)
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise RatingError(problem, 422, "invalid", field)
    return value or None


def check_stars(value, field: str = "stars") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in STARS:
        raise RatingError("Choose 1 to 5 stars.", 422, "invalid", field)
    return value


def rating_of(appointment_id: int) -> DoctorRating | None:
    return db.session.scalar(select(DoctorRating).where(DoctorRating.appointment_id == appointment_id))


def rated_ids(appointment_ids: list[int]) -> set[int]:
    if not appointment_ids:
        return set()
    return set(db.session.scalars(select(DoctorRating.appointment_id)
                                  .where(DoctorRating.appointment_id.in_(appointment_ids))))


def check_may_rate(user: User, appointment: Appointment) -> None:
    """Why this user may not rate this visit now, as a RatingError; nothing when they may."""
    if user.role != Role.PATIENT:
        raise RatingError("Only the patient of a visit may rate it.", 403, "forbidden")
    if not policy.may_rate(user, appointment):
        raise RatingError("No such appointment.", 404, "not_found")
    if appointment.status != Status.COMPLETED:
        raise RatingError("Only a completed visit can be rated.", 409, "not_completed")
    if rating_of(appointment.id) is not None:
        raise RatingError("This visit is already rated.", 409, "already_rated")


def rate(user: User, appointment: Appointment, stars, review: str | None) -> DoctorRating:
    """The patient's rating of the visit's doctor, pending moderation. A second one for the same visit, even from
    a racing request, fails on the unique appointment id (the caller answers 409)."""
    check_may_rate(user, appointment)
    rating = DoctorRating(appointment_id=appointment.id, doctor_id=appointment.doctor_id,
                          hospital_id=appointment.hospital_id, patient_id=appointment.patient_id,
                          stars=check_stars(stars), review=clean_text(review, MAX_REVIEW, "review"),
                          status=PENDING)
    db.session.add(rating)
    db.session.flush()
    audit.record(user.id, "rating.create", "rating", rating.id, hospital_id=rating.hospital_id,
                 after={"appointment_id": appointment.id, "stars": rating.stars})
    return rating


def moderation_queue(user: User, *, status: str = PENDING, limit: int = 100) -> list[DoctorRating]:
    """Ratings at the hospitals this admin moderates, oldest first."""
    hospitals = policy.moderated_hospital_ids(user)
    if not hospitals:
        return []
    return list(db.session.scalars(
        select(DoctorRating).where(DoctorRating.hospital_id.in_(hospitals), DoctorRating.status == status)
        .order_by(DoctorRating.created_at, DoctorRating.id).limit(limit)))


def moderate(user: User, rating: DoctorRating, decision: str, reason: str | None,
             now: datetime | None = None) -> DoctorRating:
    """Approve or hide (hiding needs a reason). The status changes only from what this admin saw, so two admins
    deciding at once cannot count a rating twice: the second finds it changed (409)."""
    if not policy.may_moderate(user, rating.hospital_id):
        raise RatingError("No such rating.", 404, "not_found")
    if decision not in DECISIONS:
        raise RatingError("Approve or hide.", 422, "invalid", "decision")
    reason = clean_text(reason, MAX_REASON, "reason", multiline=False)
    if decision == HIDDEN and not reason:
        raise RatingError("Say why the review is hidden.", 422, "invalid", "reason")
    before = rating.status
    if before == decision:
        raise RatingError("The rating already has this status.", 409, "unchanged")
    now = now or utcnow()
    changed = db.session.execute(
        update(DoctorRating).where(DoctorRating.id == rating.id, DoctorRating.status == before)
        .values(status=decision, moderation_reason=reason, moderated_by_id=user.id, moderated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise RatingError("Someone else moderated this rating meanwhile.", 409, "conflict")
    sign = 1 if decision == APPROVED else -1 if before == APPROVED else 0
    if sign:
        db.session.execute(update(Doctor).where(Doctor.id == rating.doctor_id).values(
            rating_count=Doctor.rating_count + sign, rating_total=Doctor.rating_total + sign * rating.stars)
            .execution_options(synchronize_session=False))
        specialty_id = db.session.scalar(select(Doctor.specialty_id).where(Doctor.id == rating.doctor_id))
        stamps.note(db.session, [specialty_id])  # cached search answers carry the average (answers.py)
    db.session.refresh(rating)
    audit.record(user.id, "rating.moderate", "rating", rating.id, hospital_id=rating.hospital_id,
                 before={"status": before}, after={"status": decision}, comment=reason)
    return rating


def approved_reviews(doctor_id: int, *, limit: int = 20) -> list[DoctorRating]:
    return list(db.session.scalars(
        select(DoctorRating).where(DoctorRating.doctor_id == doctor_id, DoctorRating.status == APPROVED)
        .order_by(DoctorRating.created_at.desc(), DoctorRating.id.desc()).limit(limit)))


def summaries(doctor_ids: set[int]) -> dict[int, tuple[float | None, int]]:
    """(average, count) of approved ratings per doctor: one query over the doctor rows, whatever their number."""
    if not doctor_ids:
        return {}
    rows = db.session.execute(select(Doctor.id, Doctor.rating_total, Doctor.rating_count)
                              .where(Doctor.id.in_(doctor_ids)))
    return {d: (round(total / count, 1) if count else None, count) for d, total, count in rows}


def ratings_by(patient: Patient) -> list[DoctorRating]:
    return list(db.session.scalars(select(DoctorRating).where(DoctorRating.patient_id == patient.id)
                                   .order_by(DoctorRating.created_at)))
