"""Bookable locations (theatres, rooms): access grants and room bookings."""
from app.services.locations.rooms import (
    DISPLACED_REASON,
    MAX_MINUTES,
    access_role,
    book_location,
    grant,
    grant_candidates,
    revoke,
)
from app.services.locations.sessions import (
    add_session,
    may_publish_sessions,
    remove_session,
    room_exceptions,
    room_schedule,
)

__all__ = [
    "DISPLACED_REASON", "MAX_MINUTES", "access_role", "book_location", "grant", "grant_candidates", "revoke",
    "add_session", "may_publish_sessions", "remove_session", "room_exceptions", "room_schedule",
]
