"""Which (request, slot) pairs are feasible, what each placement is worth, and which of them the model keeps.

Only feasible pairs become variables (docs/optimiser.md, "Variables"). ``why_not`` names the first hard
constraint a pair breaks, in a fixed order, so a request that fits nowhere is told which constraint ruled most
slots out. Seats of one slot with the same overbooking penalty are interchangeable and form one *seat class*:
one variable per (request, seat class) instead of one per seat.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .geo import distance_km
from .optimiser_model import Capacity, Request, Weights
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
    "no_seats": "the slot has no seat",
}


@dataclass(frozen=True)
class SeatClass:
    """Seats of one slot sharing an overbooking penalty: ``seats`` are their numbers in the slot."""

    slot: int  # index into the capacity list
    alpha: float
    seats: tuple[int, ...]


@dataclass
class Candidates:
    """The model's raw material: seat classes and, per request, its kept options ``(value, class index)``."""

    classes: list[SeatClass] = field(default_factory=list)
    options: list[list[tuple[float, int]]] = field(default_factory=list)  # per request, best first
    feasible_slots: list[int] = field(default_factory=list)  # per request, before pruning
    feasible_seats: list[int] = field(default_factory=list)  # per request, before pruning
    pairs: int = 0  # feasible (request, slot) pairs with a seat, before pruning

    @property
    def variables(self) -> int:
        return sum(len(o) for o in self.options)


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
    """What every check needs of the slots, worked out once: local dates, bands, and pools to search."""

    def __init__(self, capacity: Sequence[Capacity], now: datetime) -> None:
        self.capacity = capacity
        self.now = now
        self.local_date = [local_day(c.start, c.tz) for c in capacity]
        self.band = [time_of_day(c.start, c.tz) for c in capacity]
        order = sorted(range(len(capacity)), key=lambda j: (capacity[j].start, j))
        self.by_doctor: dict[int, list[int]] = defaultdict(list)
        self.by_specialty: dict[int | None, list[int]] = defaultdict(list)
        for j in order:
            self.by_doctor[capacity[j].doctor_id].append(j)
            self.by_specialty[capacity[j].specialty_id].append(j)
        self.everything = order
        self._starts: dict[int, list[datetime]] = {}
        self._day_ends: dict[tuple[date, tzinfo], datetime] = {}

    def pool(self, r: Request) -> list[int]:
        """The slots worth checking for ``r``, earliest first: its doctor's or specialty's, up to its cut-off.

        Slots outside the pool fail the doctor or specialty rule, or start after the current booking or (by more
        than any UTC offset) after the latest day: ``why_not`` would refuse each of them anyway.
        """
        if r.doctor_id is not None:
            pool = self.by_doctor.get(r.doctor_id, [])
        elif r.specialty_id is not None:
            pool = self.by_specialty.get(r.specialty_id, [])
        else:
            pool = self.everything
        cutoff = r.current_start
        if r.latest is not None:
            latest_end = datetime.combine(r.latest + DAY, time(0)) + MAX_OFFSET
            cutoff = latest_end if cutoff is None else min(cutoff, latest_end)
        if cutoff is None:
            return pool
        starts = self._starts.get(id(pool))
        if starts is None:
            starts = self._starts[id(pool)] = [self.capacity[j].start for j in pool]
        return pool[:bisect_left(starts, cutoff)]

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
    if c.seat_count == 0:
        return "no_seats"
    return None


def distance(r: Request, c: Capacity) -> float | None:
    """Km from the patient's place to the slot's hospital, None when either is unknown."""
    if r.home is None or c.position is None:
        return None
    return distance_km(r.home, c.position)


def base_value(r: Request, c: Capacity, w: Weights, dist: float | None, horizon: datetime) -> float:
    """The value of placing ``r`` in ``c`` on a regular seat (docs/optimiser.md, "Objective").

    ``horizon`` is what an earlier slot is measured against: the current booking, else the end of the latest day,
    else ``earlier_cap_days`` from now.
    """
    earlier = max((horizon - c.start) / DAY, 0.0)
    value = (w.tier(r.urgency) + w.per_day_waited * min(r.waited_days, w.waited_cap_days)
             + w.per_day_earlier * min(earlier, w.earlier_cap_days))
    if dist is not None:
        value -= w.per_km * min(dist, w.distance_cap_km)
    return value


def seat_value(base: float, alpha: float, w: Weights) -> float:
    """A placement's value on a seat with overbooking penalty ``alpha``."""
    return base * (1.0 - w.overbooking * alpha)


def candidates(requests: Sequence[Request], capacity: Sequence[Capacity], w: Weights, now: datetime,
               facts: Facts | None = None) -> Candidates:
    """Every feasible pair's options, then the exact pruning (``prune``) of each request's list."""
    facts = facts or Facts(capacity, now)
    classes, per_slot = seat_classes(capacity)
    out = Candidates(classes=classes)
    slot_requests: list[set[int]] = [set() for _ in capacity]
    for i, r in enumerate(requests):
        options: list[tuple[float, datetime, int]] = []
        slots = seats = 0
        dists: dict[tuple[float, float] | None, float | None] = {}
        for j in facts.pool(r):
            c = capacity[j]
            if c.position not in dists:
                dists[c.position] = distance(r, c)
            dist = dists[c.position]
            if why_not(r, c, facts.local_date[j], facts.band[j], now, dist) is not None:
                continue
            horizon = _horizon(r, c, facts, now, w)
            base = base_value(r, c, w, dist, horizon)
            slots += 1
            seats += c.seat_count
            slot_requests[j].add(i)
            for g in per_slot[j]:
                options.append((seat_value(base, classes[g].alpha, w), c.start, g))
        options.sort(key=lambda o: (-o[0], o[1], o[2]))
        out.options.append([(value, g) for value, _, g in options])
        out.feasible_slots.append(slots)
        out.feasible_seats.append(seats)
        out.pairs += slots
    prune(out, slot_requests)
    return out


def _horizon(r: Request, c: Capacity, facts: Facts, now: datetime, w: Weights) -> datetime:
    if r.current_start is not None:
        return r.current_start
    if r.latest is not None:
        return facts.day_end(r.latest, c.tz)
    return now + timedelta(days=w.earlier_cap_days)


def prune(cands: Candidates, slot_requests: Sequence[set[int]]) -> None:
    """Keep, per request, the shortest best-first prefix of its options that provably holds an optimum.

    A prefix T whose seats outnumber the other requests that could use any of them always has a free seat, in
    any allocation; a request placed outside T can move into it without losing value (T holds its best options),
    so some optimal allocation uses only the kept options (docs/optimiser.md, "Pruning"). The same holds for the
    greedy: the first request to look always finds its best free seat inside T.
    """
    classes = cands.classes
    for options in cands.options:
        rivals: set[int] = set()
        seats_seen: set[int] = set()
        seats = 0
        for n, (_, g) in enumerate(options):
            slot = classes[g].slot
            if slot not in seats_seen:
                seats_seen.add(slot)
                rivals |= slot_requests[slot]
            seats += len(classes[g].seats)
            if seats >= len(rivals):  # rivals includes request i itself: seats >= other requests + 1
                del options[n + 1:]
                break


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
