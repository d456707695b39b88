"""Recurring series: the dates a recurrence gives, and where each occurrence fits (docs/series.md).

A recurrence is "every N days or weeks, K times or until a date, between two wall-clock times". The core expands
it into local dates, refuses one that reaches past the booking horizon, and places each occurrence on the earliest
free start inside the time window of its date, or says why it cannot. Wall-clock windows are turned into UTC per
date, so a 09:00-12:00 window stays 09:00-12:00 local across a daylight-saving change. Nothing here reads a
database: the service passes in the free starts and the patient's own bookings.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import tzinfo as TzInfo  # noqa: N812

from .errors import BeyondHorizon, SchedulingError
from .timeutil import to_utc
from .words import Text

MAX_COUNT = 52  # at most a year of weekly visits in one series
MAX_EVERY = 365
UNITS = ("days", "weeks")
# why an occurrence cannot be placed (stable codes; the pages and the API translate or show them)
NO_FREE_TIME = "no_free_time"
PATIENT_BUSY = "patient_busy"


class SeriesInvalid(SchedulingError):  # noqa: N818 (named like the core's other refusals)
    """The recurrence itself cannot be honoured (no end, both ends, an empty window, too many occurrences)."""

    code, http_status = "invalid_series", 422


@dataclass(frozen=True)
class Recurrence:
    """Every `every` `unit` from `first_day`, `count` times or until `until` (inclusive), between two local times."""

    first_day: date
    every: int
    unit: str
    window_start: time
    window_end: time
    count: int | None = None
    until: date | None = None


@dataclass(frozen=True)
class FreeStart:
    """A bookable appointment [start, end) (naive UTC) of one doctor at one hospital."""

    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Occurrence:
    """One date of the series: placed (`start`, `doctor_id`, `hospital_id`) or not (`reason`)."""

    day: date
    start: datetime | None = None
    doctor_id: int | None = None
    hospital_id: int | None = None
    reason: str | None = None

    @property
    def placed(self) -> bool:
        return self.start is not None


def occurrence_days(rule: Recurrence) -> list[date]:
    """The local dates of the series, checked: exactly one end, at most MAX_COUNT dates, a non-empty window."""
    if not 1 <= rule.every <= MAX_EVERY:
        raise SeriesInvalid(Text("Repeat every 1 to %(most)s days or weeks.", most=MAX_EVERY), "every")
    if rule.unit not in UNITS:
        raise SeriesInvalid(Text("Repeat in days or weeks."), "unit")
    if rule.window_end <= rule.window_start:
        raise SeriesInvalid(Text("The time window must end after it starts."), "window_end")
    if (rule.count is None) == (rule.until is None):
        raise SeriesInvalid(Text("Give either a number of appointments or an end date, not both."), "count")
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        raise SeriesInvalid(Text("A series has 1 to %(most)s appointments.", most=MAX_COUNT), "count")
    if rule.until is not None and rule.until < rule.first_day:
        raise SeriesInvalid(Text("The end date must not be before the first date."), "until")
    step = timedelta(days=rule.every * (7 if rule.unit == "weeks" else 1))
    days, day = [], rule.first_day
    while (rule.count is None or len(days) < rule.count) and (rule.until is None or day <= rule.until):
        if len(days) == MAX_COUNT:
            raise SeriesInvalid(Text("A series has at most %(most)s appointments: choose an earlier end date.",
                                     most=MAX_COUNT), "until")
        days.append(day)
        day += step
    return days


def check_horizon(days: Sequence[date], last_bookable: date) -> None:
    """Refuse the whole series when its last date lies past the last bookable day: nothing is booked in part."""
    if days and days[-1] > last_bookable:
        raise BeyondHorizon(Text("The series runs until %(last)s, past the booking horizon (the last bookable day is "
                                 "%(limit)s): shorten it. Nothing was booked.", last=days[-1].isoformat(),
                                 limit=last_bookable.isoformat()), "count")


def window_utc(day: date, rule: Recurrence, tz: TzInfo) -> tuple[datetime, datetime]:
    """The rule's wall-clock window on `day` as naive UTC instants [from, to)."""
    return to_utc(day, rule.window_start, tz), to_utc(day, rule.window_end, tz)


def place_series(rule: Recurrence, days: Sequence[date], free: Mapping[date, Sequence[FreeStart]], tz: TzInfo,
                 patient_busy: Sequence[tuple[datetime, datetime]] = ()) -> list[Occurrence]:
    """Place each date on the earliest free start inside its window; `free[day]` holds that date's free starts.

    A start the patient is already booked at (`patient_busy`, naive UTC intervals) is skipped; when that leaves
    nothing the reason says so. On a tie the doctor of the previous occurrence is kept, so an "any doctor" series
    stays with one doctor where it can.
    """
    placed: list[Occurrence] = []
    previous: int | None = None
    for day in days:
        lo, hi = window_utc(day, rule, tz)
        inside = [f for f in free.get(day, ()) if lo <= f.start < hi]
        fitting = [f for f in inside if not any(b_start < f.end and f.start < b_end for b_start, b_end in patient_busy)]
        if not fitting:
            placed.append(Occurrence(day, reason=PATIENT_BUSY if inside else NO_FREE_TIME))
            continue
        best = min(fitting, key=lambda f: (f.start, f.doctor_id != previous, f.doctor_id))
        previous = best.doctor_id
        placed.append(Occurrence(day, best.start, best.doctor_id, best.hospital_id))
    return placed
