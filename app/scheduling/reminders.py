"""Reminder offsets of an appointment type (docs/operations.md, "Reminders"): "7d, 1d" or "2h".

Pure: text in, whole hours out. An offset is a number with a unit, d (days) or h (hours); a bare number is hours.
The stored form is the hours, largest first, comma-separated ("168,24"), like Hospital.reminder_hours.
"""
from __future__ import annotations

import re

MAX_OFFSETS = 4  # more than four messages about one appointment is nagging, not reminding
_PART = re.compile(r"^(\d{1,5})\s*([dh]?)$")


class OffsetError(ValueError):
    """What is wrong with the text: ``code`` names it for the caller's message, ``params`` fill it in."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def parse_offsets(text: str | None, horizon_days: int) -> tuple[int, ...] | None:
    """"7d, 1d" -> (168, 24); blank -> None (the default applies). Each offset must be positive and at most the
    booking horizon (an earlier reminder could never go out), at most MAX_OFFSETS of them, no repeats."""
    if text is None or not text.strip():
        return None
    hours = []
    for part in (p.strip().lower() for p in text.split(",")):
        match = _PART.match(part)
        if match is None:
            raise OffsetError("unreadable", part=part or ",")
        value = int(match.group(1)) * (24 if match.group(2) == "d" else 1)
        if value <= 0:
            raise OffsetError("not_positive", part=part)
        if value > horizon_days * 24:
            raise OffsetError("beyond_horizon", part=part, days=horizon_days)
        if value in hours:
            raise OffsetError("repeated", part=part)
        hours.append(value)
    if len(hours) > MAX_OFFSETS:
        raise OffsetError("too_many", most=MAX_OFFSETS)
    return tuple(sorted(hours, reverse=True))


def format_offsets(hours: tuple[int, ...] | None) -> str:
    """(168, 24, 2) -> "7d, 1d, 2h": whole days in days, the rest in hours."""
    return ", ".join(f"{h // 24}d" if h % 24 == 0 else f"{h}h" for h in hours or ())


def stored(hours: tuple[int, ...] | None) -> str | None:
    return ",".join(str(h) for h in hours) if hours else None


def from_stored(value: str | None) -> tuple[int, ...] | None:
    """The stored "168,24" back to hours; None for nothing stored or anything unreadable (the default applies)."""
    if not value:
        return None
    try:
        return tuple(int(h) for h in value.split(",") if int(h) > 0) or None
    except ValueError:
        return None
