"""Who may do what through FHIR, beyond the booking policy it shares with the pages and the REST API.

A FHIR hold ($hold) is a held appointment with no patient yet, kept for the user who asked for it (its
`booked_by_id`); only they see it and turn it into a booking. Waitlist holds (those with offers) are the waitlist's.
"""
from __future__ import annotations

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Offer, User
from app.services.booking import policy as booking_policy

MAX_OPEN_HOLDS = 3  # a caller holding more would keep slots from everyone else (docs/fhir.md, "Booking")


def is_own_hold(user: User, appointment: Appointment) -> bool:
    return (appointment.status == core.HELD and appointment.booked_by_id is not None
            and appointment.booked_by_id == getattr(user, "id", None)
            and db.session.scalar(select(Offer.id).where(Offer.hold_id == appointment.id).limit(1)) is None)


def may_see(user: User, appointment: Appointment) -> bool:
    """The REST API's rule (booking policy), and a caller's own FHIR hold."""
    return booking_policy.may_see(user, appointment) or is_own_hold(user, appointment)


def may_hold(user: User, now) -> bool:
    """Patients, the desk, doctors and admins may hold, up to MAX_OPEN_HOLDS unexpired holds at once."""
    if not (booking_policy.is_patient(user) or booking_policy.may_set_urgency(user)):
        return False
    return open_holds(user, now) < MAX_OPEN_HOLDS


def open_holds(user: User, now) -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.status == core.HELD, Appointment.booked_by_id == user.id, Appointment.hold_until > now,
        ~select(Offer.id).where(Offer.hold_id == Appointment.id).exists())) or 0
