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

__all__ = [
    "DISPLACED_REASON", "MAX_MINUTES", "access_role", "book_location", "grant", "grant_candidates", "revoke"
]
