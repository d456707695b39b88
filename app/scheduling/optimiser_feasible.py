"""Which (request, slot) pairs are feasible, what each placement is worth, and which of them the model keeps.

Only feasible pairs become variables (docs/optimiser.md, "Variables"). ``why_not`` names the first hard
constraint a pair breaks, in a fixed order, so a request that fits nowhere is told which constraint ruled most
slots out. Seats of one slot with the same overbooking penalty are interchangeable and form one *seat class*:
one variable per (request, seat class) instead of one per seat.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .geo import distance_km
from .optimiser_model import Capacity, Request
from .timeutil import local_day, to_utc
from .waitlist import time_of_day

DAY = timedelta(days=1)
# Local days never start more than 14 hours away from UTC days (UTC-12 to UTC+14): a safe first cut before the
# exact local-date check.
MAX_OFFSET = timedelta(hours=14)

# The hard constraints, in the order they are checked, with the words an unplaced request's reason uses.
RULES = {
    "started": "the slot has already started",
    "doctor": "it waits for another doctor",
    "specialty": "it waits for another specialty",
    "type": "the slot does not offer that type of appointment",
    "equipment": "the slot lacks the equipment needed",
    "hospital": "the hospital is not one of those chosen",
    "radius": "the hospital is beyond the patient's radius",
    "latest_date": "the slot is after the latest acceptable date",
    "not_earlier": "the slot is not earlier than the current booking",
    "time_of_day": "the slot is not at a time of day that suits",
    "urgency": "the slot is kept for more urgent patients",
    "no_seats": "the slot has no seat",
}


@dataclass(frozen=True)
class SeatClass:
    """Seats of one slot sharing an overbooking penalty: ``seats`` are their numbers in the slot."""

    slot: int  # index into the capacity list
    alpha: float
    seats: tuple[int, ...]


def seat_classes(capacity: Sequence[Capacity]) -> tuple[list[SeatClass], list[list[int]]]:
    """All seat classes, and per slot the indices of its classes (regular first, then by penalty)."""
    classes: list[SeatClass] = []
    per_slot: list[list[int]] = []
    for j, c in enumerate(capacity):
        by_alpha: dict[float, list[int]] = defaultdict(list)
        for seat in range(c.seat_count):
            by_alpha[c.alpha(seat)].append(seat)
        per_slot.append([])
        for alpha in sorted(by_alpha):
            per_slot[-1].append(len(classes))
            classes.append(SeatClass(j, alpha, tuple(by_alpha[alpha])))
    return classes, per_slot


class Facts:
    """What every check needs of the slots, worked out once: local dates, bands, and where to look.

    ``groups(r)`` hands the optimiser only the slots of the request's doctor (or specialty), grouped by hospital
    and sorted by start, so a whole hospital beyond the radius and everything after the current booking or the
    latest day is skipped without a look (``why_not`` would refuse each of them).
    """

    def __init__(self, capacity: Sequence[Capacity], now: datetime) -> None:
        self.capacity = capacity
        self.now = now
        self.local_date = [local_day(c.start, c.tz) for c in capacity]
        self.band = [time_of_day(c.start, c.tz) for c in capacity]
        self.rows = [(c.start, c.types, c.equipment, self.local_date[j], self.band[j], c.seat_count, c.tz,
                      c.urgencies)
                     for j, c in enumerate(capacity)]
        order = sorted(range(len(capacity)), key=lambda j: (capacity[j].start, j))
        self.by_doctor: dict[int, list[int]] = defaultdict(list)
        self.by_specialty: dict[int | None, list[int]] = defaultdict(list)
        grouped: dict[tuple, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
        for j in order:
            c = capacity[j]
            self.by_doctor[c.doctor_id].append(j)
            self.by_specialty[c.specialty_id].append(j)
            place = (c.hospital_id, c.position)
            for key in (("doctor", c.doctor_id), ("specialty", c.specialty_id), ("any", None)):
                grouped[key][place].append(j)
        self.everything = order
        self._groups = {key: [(hospital, position, js, [capacity[j].start for j in js])
                              for (hospital, position), js in places.items()]
                        for key, places in grouped.items()}
        self._day_ends: dict[tuple[date, tzinfo], datetime] = {}

    def groups(self, r: Request) -> list[tuple[int, tuple[float, float] | None, list[int], list[datetime]]]:
        """``(hospital id, position, slot indices, their starts)`` of the slots of ``r``'s doctor or specialty."""
        if r.doctor_id is not None:
            key: tuple = ("doctor", r.doctor_id)
        elif r.specialty_id is not None:
            key = ("specialty", r.specialty_id)
        else:
            key = ("any", None)
        return self._groups.get(key, [])

    @staticmethod
    def cutoff(r: Request) -> datetime | None:
        """No slot starting at or after this instant fits ``r``: its current booking, or a bound on the end of
        its latest day in any time zone."""
        cutoff = r.current_start
        if r.latest is not None:
            latest_end = datetime.combine(r.latest + DAY, time(0)) + MAX_OFFSET
            cutoff = latest_end if cutoff is None else min(cutoff, latest_end)
        return cutoff

    def day_end(self, day: date, tz: tzinfo) -> datetime:
        """The naive-UTC end of local ``day`` in ``tz``."""
        key = (day, tz)
        end = self._day_ends.get(key)
        if end is None:
            end = self._day_ends[key] = to_utc(day + DAY, time(0), tz)
        return end


def why_not(r: Request, c: Capacity, day: date, band: str, now: datetime, dist: float | None) -> str | None:
    """The first hard constraint (a key of ``RULES``) that slot ``c`` breaks for ``r``, or None: feasible.

    ``day`` and ``band`` are the slot's local date and time of day, ``dist`` the km from the patient's place.
    """
    if c.start < now:
        return "started"
    if r.doctor_id is not None:
        if r.doctor_id != c.doctor_id:
            return "doctor"
    elif r.specialty_id is not None and r.specialty_id != c.specialty_id:
        return "specialty"
    if r.appointment_type is not None and c.types and r.appointment_type not in c.types:
        return "type"
    if r.equipment and not r.equipment <= c.equipment:
        return "equipment"
    if r.hospital_ids and c.hospital_id not in r.hospital_ids:
        return "hospital"
    if r.radius_km is not None and dist is not None and dist > r.radius_km:
        return "radius"
    if r.latest is not None and day > r.latest:
        return "latest_date"
    if r.current_start is not None and c.start >= r.current_start:
        return "not_earlier"
    if r.times_of_day and band not in r.times_of_day:
        return "time_of_day"
    if c.urgencies and r.urgency not in c.urgencies:
        return "urgency"
    if c.seat_count == 0:
        return "no_seats"
    return None


def distance(r: Request, c: Capacity) -> float | None:
    """Km from the patient's place to the slot's hospital, None when either is unknown."""
    if r.home is None or c.position is None:
        return None
    return distance_km(r.home, c.position)


def blocking_rules(r: Request, capacity: Sequence[Capacity], facts: Facts, now: datetime) -> Counter[str]:
    """For a request with no feasible slot: how many slots each constraint ruled out (the first it breaks).

    Among the slots of its doctor or specialty when there are any (that ten dermatology slots are not cardiology
    slots tells nobody anything), else among all.
    """
    pool = facts.everything
    if r.doctor_id is not None and facts.by_doctor.get(r.doctor_id):
        pool = facts.by_doctor[r.doctor_id]
    elif r.doctor_id is None and r.specialty_id is not None and facts.by_specialty.get(r.specialty_id):
        pool = facts.by_specialty[r.specialty_id]
    counts: Counter[str] = Counter()
    dists: dict[tuple[float, float] | None, float | None] = {}
    for j in pool:
        c = capacity[j]
        if c.position not in dists:
            dists[c.position] = distance(r, c)
        counts[why_not(r, c, facts.local_date[j], facts.band[j], now, dists[c.position]) or "no_seats"] += 1
    return counts


def earliest_start(capacity: Sequence[Capacity]) -> datetime:
    """The default ``now``: the first slot's start (nothing has started then), or the epoch without slots."""
    return min((c.start for c in capacity), default=datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None))
