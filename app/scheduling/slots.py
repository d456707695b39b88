"""Slots: cutting windows into bookable slots, finding the free ones, and validating one booking.

Call these per resource (one doctor, one room): slots of one resource never overlap, because its windows do not.
A slot is free for a request when it passes, in order: notice (and past), horizon, the daily limit, the
appointment type, the urgent hold-back, and seats. ``check_bookable`` applies the same rules as ``free_slots`` to a
single start and names the first rule that fails, so a page that offered a slot and the booking that takes it agree.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from . import errors
from .availability import Policy, Window
from .timeutil import CELL_MINUTES, local_day, overlaps, to_utc

_PPM = 1_000_000  # urgent_share in parts per million: integer maths keeps the hold pattern free of float noise


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable interval (naive UTC); ``capacity`` is the token count for kind "tokens", else 1.

    ``window_start`` names the window the slot was cut from: a long appointment only runs on through slots of the
    same window, never across a leave or into a neighbouring rule. None (hand-built slots) skips that check.
    """

    start: datetime
    end: datetime
    local_date: date
    kind: str
    capacity: int
    appointment_types: frozenset[str]
    urgent_hold: bool = False
    window_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class Busy:
    """An interval already held on the resource (an active appointment or claim) using ``seats`` seats."""

    start: datetime
    end: datetime
    seats: int = 1


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A start a request can book: ``[start, end)`` with ``seats_left`` seats (or tokens) still open."""

    start: datetime
    end: datetime
    local_date: date
    kind: str
    seats_left: int
    urgent_hold: bool


def generate_slots(windows: Sequence[Window], tz: tzinfo, policy: Policy) -> list[Slot]:
    """Cut windows into slots of ``rule.slot_minutes``, stepping by slot plus ``policy.buffer_minutes``.

    The grid is aligned to the window's origin (the rule's original start), so the slots are the same whatever
    exceptions cut the window; a slot that does not lie wholly inside the window is dropped. Slots are sorted by
    start, and on each local day slot i of n is held for urgent cases when
    ``floor((i + 1) * urgent_share) > floor(i * urgent_share)``: an even, deterministic spread.
    """
    buffer = timedelta(minutes=policy.buffer_minutes)
    result: list[Slot] = []
    for w in windows:
        rule = w.rule
        length = timedelta(minutes=rule.slot_minutes)
        if length <= timedelta(0):
            continue
        step = length + buffer
        origin = w.origin if w.origin is not None else to_utc(w.local_date, rule.start, tz)
        start = origin - ((origin - w.start) // step) * step  # first grid point at or after w.start
        capacity, types = (rule.tokens_per_slot if rule.kind == "tokens" else 1), rule.appointment_types
        while start + length <= w.end:
            result.append(Slot(start, start + length, w.local_date, rule.kind, capacity, types, False, w.start))
            start += step
    result.sort(key=_start)
    return _hold_urgent(result, round(policy.urgent_share * _PPM))


def _hold_urgent(slots: list[Slot], ppm: int) -> list[Slot]:
    if ppm <= 0:
        return slots
    day, i, result = None, 0, []
    for slot in slots:
        if slot.local_date != day:
            day, i = slot.local_date, 0
        held = (i + 1) * ppm // _PPM > i * ppm // _PPM
        result.append(replace(slot, urgent_hold=True) if held else slot)
        i += 1
    return result


def free_slots(
    slots: Sequence[Slot], busy: Sequence[Busy], now: datetime, policy: Policy, tz: tzinfo, *,
    appointment_type: str | None = None, duration_minutes: int | None = None, urgency: str = "routine",
    day_counts: Mapping[date, int] | None = None, seats_per_slot: int = 1,
) -> list[FreeSlot]:
    """Return the bookable starts among ``slots``, earliest first.

    A longer ``duration_minutes`` than the slot spans consecutive slots of the same window (next start = previous
    end + buffer), all of which must offer the type and be free; its end is start + duration. Token slots ignore the
    duration: a token is a place in the slot's queue. Seats: a "slots" slot has ``seats_per_slot`` seats minus the
    peak of busy seats at any instant of ``[start, end)``; a "tokens" slot has ``capacity`` minus every busy seat
    overlapping it. Urgent-held slots are offered to urgent requests, or to anyone within
    ``urgent_release_hours`` of their start. ``day_counts`` maps a local day to its bookings, for the daily limit.
    Runs in O((slots + busy) log busy): busy intervals are swept once with a heap, never rescanned per slot.
    """
    ordered = sorted(slots, key=_start)
    rules = _Rules(now, policy, tz, urgency)
    sweep = _Sweep(busy)
    counts = day_counts or {}
    limit = policy.daily_limit
    result = []
    for i, slot in enumerate(ordered):
        if slot.start < rules.earliest or slot.local_date > rules.last_day:
            continue
        if limit is not None and counts.get(slot.local_date, 0) >= limit:
            continue
        span = _span(ordered, i, duration_minutes, policy.buffer_minutes)
        if span is None or not _offers(span[0], appointment_type) or not rules.released(span[0]):
            continue
        end = span[1]
        seats = _seats_left(slot, sweep.overlapping(slot.start, end), slot.start, end, seats_per_slot)
        if seats > 0:
            result.append(FreeSlot(slot.start, end, slot.local_date, slot.kind, seats, _held(span[0])))
    return result


def check_bookable(
    slots: Sequence[Slot], busy: Sequence[Busy], now: datetime, policy: Policy, tz: tzinfo, start: datetime, *,
    appointment_type: str | None = None, duration_minutes: int | None = None, urgency: str = "routine",
    day_count: int = 0, blocked: Sequence[tuple[datetime, datetime]] = (), seats_per_slot: int = 1,
) -> FreeSlot:
    """Validate booking ``start`` and return its ``FreeSlot``, or raise the first rule it breaks.

    Order: InPast, TooShortNotice, BeyondHorizon, Blocked / OutsideHours, TypeNotOffered, DailyLimitReached,
    SlotTaken. When no slot starts at ``start`` (or a longer appointment would run out of contiguous slots), the
    error is Blocked if the wanted time touches one of ``blocked`` (the removing exceptions), else OutsideHours.
    ``day_count`` is the bookings already on that local day. SlotTaken also covers an urgent-held slot asked for
    by a routine request before its release.
    """
    rules = _Rules(now, policy, tz, urgency)
    if start < now:
        raise errors.InPast("That time has already passed.", "start")
    if start < rules.earliest:
        raise errors.TooShortNotice(f"Appointments need at least {policy.min_notice_minutes} minutes' notice.", "start")
    if local_day(start, tz) > rules.last_day:
        raise errors.BeyondHorizon(f"Appointments can be booked at most {policy.horizon_days} days ahead.", "start")
    ordered = sorted(slots, key=_start)
    i = bisect_left(ordered, start, key=_start)
    if i == len(ordered) or ordered[i].start != start:
        near = ordered[i] if i < len(ordered) else ordered[-1] if ordered else None
        length = duration_minutes or (near and (near.end - near.start) // timedelta(minutes=1)) or CELL_MINUTES
        raise _not_open(start, start + timedelta(minutes=length), blocked, "No appointment starts at that time.")
    span = _span(ordered, i, duration_minutes, policy.buffer_minutes)
    if span is None:
        wanted = start + timedelta(minutes=duration_minutes or 0)
        raise _not_open(start, wanted, blocked, "The appointment would run past the end of the session.")
    slot, (run, end) = ordered[i], span
    if not _offers(run, appointment_type):
        raise errors.TypeNotOffered("This time is not offered for that type of appointment.", "appointment_type")
    if policy.daily_limit is not None and day_count >= policy.daily_limit:
        raise errors.DailyLimitReached("No more appointments can be booked on that day.", "start")
    if not rules.released(run):
        raise errors.SlotTaken("This time is held for urgent cases.", "start")
    overlapping = [b for b in busy if overlaps(b.start, b.end, start, end)]
    seats = _seats_left(slot, overlapping, start, end, seats_per_slot)
    if seats <= 0:
        raise errors.SlotTaken("This time has just been taken. Please choose another.", "start")
    return FreeSlot(start, end, slot.local_date, slot.kind, seats, _held(run))


def _start(item: Slot | Busy) -> datetime:
    return item.start


class _Rules:
    """The per-request limits shared by ``free_slots`` and ``check_bookable``."""

    __slots__ = ("earliest", "last_day", "now", "release", "urgent")

    def __init__(self, now: datetime, policy: Policy, tz: tzinfo, urgency: str) -> None:
        self.now = now
        self.earliest = now + timedelta(minutes=policy.min_notice_minutes)
        self.last_day = local_day(now, tz) + timedelta(days=policy.horizon_days)
        self.urgent = urgency == "urgent"
        self.release = timedelta(hours=policy.urgent_release_hours)

    def released(self, run: list[Slot]) -> bool:
        """Tell whether the run may be offered: no held slot in it, or urgent, or within the release time."""
        return self.urgent or not _held(run) or run[0].start - self.now <= self.release


def _held(run: list[Slot]) -> bool:
    return any(s.urgent_hold for s in run)


def _offers(run: list[Slot], appointment_type: str | None) -> bool:
    return appointment_type is None or all(not s.appointment_types or appointment_type in s.appointment_types
                                           for s in run)


def _span(ordered: Sequence[Slot], i: int, duration_minutes: int | None, buffer_minutes: int):
    """Return ``(slots, end)`` an appointment at ``ordered[i]`` uses, or None when its window's slots run out."""
    first = ordered[i]
    if duration_minutes is None or first.kind == "tokens":
        return [first], first.end
    need = first.start + timedelta(minutes=duration_minutes)
    run, buffer = [first], timedelta(minutes=buffer_minutes)
    while run[-1].end < need:
        j = i + len(run)
        nxt = ordered[j] if j < len(ordered) else None
        if nxt is None or nxt.window_start != first.window_start or nxt.start != run[-1].end + buffer:
            return None
        run.append(ordered[j])
    return run, max(need, first.end)


def _seats_left(slot: Slot, overlapping: list[Busy], start: datetime, end: datetime, seats_per_slot: int) -> int:
    if slot.kind == "tokens":
        return slot.capacity - sum(b.seats for b in overlapping)
    if len(overlapping) <= 1:
        return seats_per_slot - sum(b.seats for b in overlapping)
    # Peak concurrency, not the sum: two back-to-back bookings inside a long appointment use one seat at a time.
    events = sorted([(max(b.start, start), b.seats) for b in overlapping]
                    + [(min(b.end, end), -b.seats) for b in overlapping])
    peak = used = 0
    for _, delta in events:  # at equal instants the negative (ending) deltas sort first: half-open intervals
        used += delta
        peak = max(peak, used)
    return seats_per_slot - peak


def _not_open(start: datetime, end: datetime, blocked, message: str) -> errors.SchedulingError:
    if any(overlaps(start, end, b_start, b_end) for b_start, b_end in blocked):
        return errors.Blocked("The doctor is not available at that time.", "start")
    return errors.OutsideHours(message, "start")


class _Sweep:
    """Busy intervals overlapping a query; queries must come with non-decreasing starts."""

    __slots__ = ("_busy", "_heap", "_next")

    def __init__(self, busy: Sequence[Busy]) -> None:
        self._busy = sorted((b for b in busy if b.start < b.end), key=_start)
        self._next = 0
        self._heap: list[tuple[datetime, int]] = []

    def overlapping(self, start: datetime, end: datetime) -> list[Busy]:
        """Return the busy intervals overlapping ``[start, end)``."""
        busy, heap = self._busy, self._heap
        while self._next < len(busy) and busy[self._next].start < end:
            heapq.heappush(heap, (busy[self._next].end, self._next))
            self._next += 1
        while heap and heap[0][0] <= start:  # ended before this start, so before every later start too
            heapq.heappop(heap)
        return [busy[j] for _, j in heap if busy[j].start < end]
