"""The scheduling domain core of Waitless: pure Python, no Flask, no database.

Weekly availability and exceptions become windows (``availability``), windows become slots and free slots
(``slots``), free slots are ranked (``scoring``), appointments move through a lifecycle (``lifecycle``) and the
front desk orders its queue (``tokens``). Instants are naive UTC datetimes; wall-clock time lives in ``timeutil``.
Services call this core inside their transaction and translate ``SchedulingError`` into responses.
"""

from .availability import (
    AvailabilityException,
    Policy,
    Schedule,
    WeeklyRule,
    Window,
    expand_windows,
    require_valid_schedule,
    validate_schedule,
)
from .errors import (
    BeyondHorizon,
    Blocked,
    DailyLimitReached,
    InPast,
    InvalidTransition,
    OutsideHours,
    PatientOverlap,
    ScheduleInvalid,
    SchedulingError,
    SlotTaken,
    TooShortNotice,
    TypeNotOffered,
)
from .lifecycle import (
    ACTIVE,
    ALLOWED,
    FHIR_STATUS,
    STATUSES,
    TERMINAL,
    can_transition,
    check_transition,
    releases_claims,
)
from .scoring import best_suggestions, score_slot
from .slots import Busy, FreeSlot, Slot, check_bookable, free_slots, generate_slots
from .timeutil import CELL_MINUTES, ceil_cell, cells, floor_cell, local_day, overlaps, to_local, to_utc
from .tokens import QueueItem, effective_time, order_queue, token_label

__all__ = [
    "ACTIVE",
    "ALLOWED",
    "CELL_MINUTES",
    "FHIR_STATUS",
    "STATUSES",
    "TERMINAL",
    "AvailabilityException",
    "BeyondHorizon",
    "Blocked",
    "Busy",
    "DailyLimitReached",
    "FreeSlot",
    "InPast",
    "InvalidTransition",
    "OutsideHours",
    "PatientOverlap",
    "Policy",
    "QueueItem",
    "Schedule",
    "ScheduleInvalid",
    "SchedulingError",
    "Slot",
    "SlotTaken",
    "TooShortNotice",
    "TypeNotOffered",
    "WeeklyRule",
    "Window",
    "best_suggestions",
    "can_transition",
    "ceil_cell",
    "cells",
    "check_bookable",
    "check_transition",
    "effective_time",
    "expand_windows",
    "floor_cell",
    "free_slots",
    "generate_slots",
    "local_day",
    "order_queue",
    "overlaps",
    "releases_claims",
    "require_valid_schedule",
    "score_slot",
    "to_local",
    "to_utc",
    "token_label",
    "validate_schedule",
]
