"""Availability and search: doctors' calendars, schedule edits, calendar views and the slot search."""
from app.services.availability import policy, schedules, search  # noqa: F401  (modules of the public face)
from app.services.availability.calendars import (
    LONGEST_BOOKING,
    Calendar,
    Group,
    Request,
    active_types,
    load_busy,
    load_calendars,
    load_doctor_busy,
    load_room_busy,
    others_in_room,
    rooms_with,
    slot_groups,
    type_label,
)
from app.services.availability.query import SlotQuery
from app.services.availability.resources import resource_for_doctor, resource_for_room
from app.services.availability.search import search_slots

__all__ = [
    "Calendar", "Group", "LONGEST_BOOKING", "Request", "SlotQuery", "active_types", "load_busy", "load_calendars",
    "load_doctor_busy", "load_room_busy", "others_in_room", "policy", "resource_for_doctor", "resource_for_room",
    "rooms_with", "schedules", "search", "search_slots", "slot_groups", "type_label"
]
