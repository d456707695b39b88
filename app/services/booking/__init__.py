"""Booking: place, book, cancel, reschedule and move appointments, holds on slots, and appointment lists."""
from app.services.booking import noshows, policy, reminders  # noqa: F401  (modules of the public face)
from app.services.booking.attendance import CONFIRMED, RELEASED, answer_attendance, cancel_by_link
from app.services.booking.claims import AUDIT_FIELDS, LOCK_ERRORS, insert_claims, lost_race
from app.services.booking.extra import book_extra, noshow_probability, overbooked_ids
from app.services.booking.operations import book, cancel, reschedule, transition
from app.services.booking.placement import Placement, place

__all__ = [
    "AUDIT_FIELDS", "CONFIRMED", "LOCK_ERRORS", "Placement", "RELEASED", "answer_attendance", "book", "book_extra",
    "cancel", "cancel_by_link", "insert_claims", "lost_race", "noshow_probability", "noshows", "overbooked_ids",
    "place", "policy", "reminders", "reschedule", "transition"
]
