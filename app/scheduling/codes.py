"""The words the whole system shares, as str-valued enums: statuses, kinds, urgencies, priorities.

Each member equals its string (``Status.SCHEDULED == "scheduled"``), so the database columns, the API and the
templates keep the exact strings they always had, while code compares against a name that a typo cannot silently
miss (docs/architecture.md, "Words").
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """An appointment's place in its lifecycle (app.scheduling.lifecycle)."""

    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    HELD = "held"  # a freed slot kept for waitlist offers


class Kind(StrEnum):
    """How an appointment holds time: cells of a slot, a place in a token session, a room booking, or a team."""

    SLOTS = "slots"
    TOKENS = "tokens"
    LOCATION = "location"
    TEAM = "team"  # a procedure team: several doctors and a room hold their cells together (docs/teams.md)


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class Priority(StrEnum):
    """The front-desk queue's tiers (app.scheduling.tokens)."""

    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"
    VIP = "vip"


class EntryStatus(StrEnum):
    """A queue entry's way from the waiting room to the doctor."""

    WAITING = "waiting"
    CALLED = "called"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    LEFT = "left"
    NO_SHOW = "no_show"


class WaitStatus(StrEnum):
    """A waitlist entry: waiting, or ended by a booking, by leaving, or by passing its latest date."""

    WAITING = "waiting"
    BOOKED = "booked"
    LEFT = "left"
    EXPIRED = "expired"


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"
