"""The daily statistics of one doctor at one hospital, computed from plain rows (docs/reports.md).

Pure functions: the service reads appointments, queue entries and offers, turns them into the small records below
and stores what ``day_figures`` returns. The same inputs always give the same figures, which is what makes the
statistics tables derived data: rebuilding a day writes the same rows again.

Minutes and counts are stored, ratios never: a week's utilisation is the week's used minutes over its offered
minutes (``ratio``), not an average of daily ratios.
"""
from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .codes import Status
from .errors import PeriodInvalid
from .words import Text

BOOKED = frozenset({Status.SCHEDULED, Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED, Status.NO_SHOW})
USED = frozenset({Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED})
MAX_PERIOD_DAYS = 366  # one rebuild or one dashboard covers at most a year
ACCESS_LOOKAHEAD_DAYS = 28  # how far ahead the third next available appointment is looked for
LONGEST_BOOKING = timedelta(hours=26)  # no appointment is longer (services/availability/calendars.py)


@dataclass(frozen=True, slots=True)
class Booking:
    """An appointment of the doctor starting on the day (any status but "held")."""

    start: datetime
    end: datetime
    created_at: datetime
    status: str
    cancelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A token of the doctor's queue on the day: a walk-in or a booked patient who checked in."""

    walk_in: bool
    arrived_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OfferMade:
    """A waitlist offer made on the day for a freed slot (``hold_id``) of the doctor."""

    hold_id: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class DayFigures:
    offered_minutes: int = 0
    booked_minutes: int = 0
    used_minutes: int = 0
    lost_minutes: int = 0
    appointments: int = 0
    completed: int = 0
    no_shows: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    lead_count: int = 0
    lead_hours_sum: float = 0.0
    lead_hours_median: float | None = None
    offers: int = 0
    offers_accepted: int = 0
    holds: int = 0
    holds_refilled: int = 0
    walk_ins: int = 0
    booked_arrivals: int = 0
    wait_count: int = 0
    wait_minutes_sum: float = 0.0
    wait_median: float | None = None
    wait_p90: float | None = None
    consult_count: int = 0
    consult_minutes_sum: float = 0.0
    consult_median: float | None = None
    consult_p90: float | None = None


def minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile, interpolated between the closest ranks (one value is its own p90)."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=10, method="inclusive")[-1], 2)


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (no offered time is not 0 % utilisation)."""
    return round(part / whole, 4) if whole else None


def is_late_cancellation(booking: Booking, cutoff_hours: int) -> bool:
    """Cancelled after the hospital's online cut-off: too late for anyone else to book the time as usual."""
    return (booking.status == Status.CANCELLED and booking.cancelled_at is not None
            and booking.cancelled_at > booking.start - timedelta(hours=cutoff_hours))


def day_figures(offered: Iterable[tuple[datetime, datetime]], bookings: Iterable[Booking],
                arrivals: Iterable[Arrival], offers: Iterable[OfferMade], cutoff_hours: int) -> DayFigures:
    """The figures of one doctor, hospital and local day.

    ``offered`` are the doctor's availability windows of the day (after leave and added time). Booked minutes count
    every appointment that kept its time (completed, no-show, still open); used minutes those the patient came to;
    lost minutes the no-shows' and the late cancellations'. Lead time is request (booking) to appointment, for the
    appointments that kept their time. Queue waits run from arrival to call, consultations from start to end.
    """
    bookings, arrivals, offers = list(bookings), list(arrivals), list(offers)
    kept = [b for b in bookings if b.status in BOOKED]
    late = [b for b in bookings if is_late_cancellation(b, cutoff_hours)]
    no_shows = [b for b in kept if b.status == Status.NO_SHOW]
    leads = [max(0.0, (b.start - b.created_at).total_seconds() / 3600) for b in kept]
    waits = [minutes(a.arrived_at, a.called_at) for a in arrivals if a.called_at is not None]
    consults = [minutes(a.started_at, a.ended_at) for a in arrivals
                if a.started_at is not None and a.ended_at is not None]
    holds = {o.hold_id for o in offers}
    return DayFigures(
        offered_minutes=round(sum(minutes(s, e) for s, e in offered)),
        booked_minutes=round(sum(minutes(b.start, b.end) for b in kept)),
        used_minutes=round(sum(minutes(b.start, b.end) for b in kept if b.status in USED)),
        lost_minutes=round(sum(minutes(b.start, b.end) for b in [*no_shows, *late])),
        appointments=len(kept),
        completed=sum(1 for b in kept if b.status == Status.COMPLETED),
        no_shows=len(no_shows),
        cancellations=sum(1 for b in bookings if b.status == Status.CANCELLED),
        late_cancellations=len(late),
        lead_count=len(leads), lead_hours_sum=round(sum(leads), 2), lead_hours_median=median(leads),
        offers=len(offers), offers_accepted=sum(1 for o in offers if o.accepted),
        holds=len(holds), holds_refilled=len({o.hold_id for o in offers if o.accepted}),
        walk_ins=sum(1 for a in arrivals if a.walk_in), booked_arrivals=sum(1 for a in arrivals if not a.walk_in),
        wait_count=len(waits), wait_minutes_sum=round(sum(waits), 2), wait_median=median(waits), wait_p90=p90(waits),
        consult_count=len(consults), consult_minutes_sum=round(sum(consults), 2), consult_median=median(consults),
        consult_p90=p90(consults),
    )


def third_next_available(free_starts: Iterable[datetime], since: datetime) -> float | None:
    """Days from ``since`` to the third free slot at or after it, the usual measure of access (the first and
    second free slots are often chance cancellations). None when there are fewer than three."""
    ahead = sorted(s for s in free_starts if s >= since)
    if len(ahead) < 3:
        return None
    return round((ahead[2] - since).total_seconds() / 86400, 2)


def booked_at(booking: Booking, instant: datetime) -> bool:
    """Whether the booking held its time at ``instant``: made by then and not yet cancelled."""
    if booking.created_at > instant:
        return False
    if booking.status == Status.CANCELLED:
        return booking.cancelled_at is not None and booking.cancelled_at > instant
    return True


def first_free(slots: Sequence[tuple[datetime, datetime]], bookings: Sequence[Booking], since: datetime,
               until: datetime, count: int = 3) -> list[datetime]:
    """The first ``count`` slot starts in ``[since, until)`` that no booking held at ``since`` overlaps.

    ``slots`` and ``bookings`` are sorted by start; no booking is longer than ``LONGEST_BOOKING``, so only the
    bookings that start within that much before the slot's end need looking at.
    """
    starts = [b.start for b in bookings]
    found: list[datetime] = []
    for i in range(bisect_left(slots, (since,)), len(slots)):
        start, end = slots[i]
        if start >= until or len(found) >= count:
            break
        j = bisect_left(starts, end) - 1
        taken = False
        while j >= 0 and starts[j] > start - LONGEST_BOOKING:
            b = bookings[j]
            if b.end > start and booked_at(b, since):
                taken = True
                break
            j -= 1
        if not taken:
            found.append(start)
    return found


def check_period(first: date, last: date, today: date, max_days: int = MAX_PERIOD_DAYS) -> None:
    """Refuse a reversed period, one reaching past today, or one longer than ``max_days``."""
    if last < first:
        raise PeriodInvalid(Text("The period ends before it starts."), "to")
    if last > today:
        raise PeriodInvalid(Text("The period reaches into the future."), "to")
    if (last - first).days + 1 > max_days:
        raise PeriodInvalid(Text("The period is longer than %(days)s days.", days=max_days), "from")
