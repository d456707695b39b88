"""Booking: place, book, cancel, reschedule and move appointments, holds on slots, and appointment lists."""
from app.services.booking.operations import (
    AUDIT_FIELDS,
    LOCK_ERRORS,
    Placement,
    book,
    cancel,
    insert_claims,
    lost_race,
    place,
    reschedule,
    transition,
)

__all__ = [
    "AUDIT_FIELDS", "LOCK_ERRORS", "Placement", "book", "cancel", "insert_claims", "lost_race", "place",
    "reschedule", "transition"
]
