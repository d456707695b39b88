"""Idle gaps in a doctor's session when patients book from "earliest" or from "best for you" (docs/optimiser.md,
"Best fit in the simulation").

The region simulation counts slots per clinic day; where in the day a patient sits is decided here, one doctor's
session at a time, the same sessions for both orders:

- a session has ``slots`` slots of ``slot_minutes`` from 10:00 (so morning and afternoon both occur);
- events arrive one by one: a booking request (``1 - cancel_share``) or the cancellation of one of the session's
  bookings; ``events`` of them per session;
- a patient may wish a time of day (a quarter morning, a quarter afternoon, half no wish); shown the free slots in
  the order of the policy (``earliest``: by start, the wished band first; ``best``: ``scoring.rank_slots`` with the
  wish and the session's bookings), they take one of the first ``choice`` listed, each equally likely, as people
  do (the same draw under both orders);
- at the end an idle gap is a run of free slots between the first and the last booking; its minutes are idle time.

Equal ground: each session's events and every patient's wish and pick come from the session's own stream, so the
two orders see the same demand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import fmean

from .scoring import DayBooking, FitWeights, PatientWishes, SlotCandidate, rank_slots
from .simulation_model import stream
from .slots import FreeSlot
from .waitlist import time_of_day

SORTS = ("earliest", "best")
FIRST = datetime(2026, 1, 5, 10, 0)  # a Monday, 10:00 UTC: the session's first slot


@dataclass(frozen=True)
class GapParams:
    slots: int = 14
    slot_minutes: int = 15
    events: int = 16
    cancel_share: float = 0.2
    choice: int = 3  # a patient takes one of the first this many slots listed


@dataclass(frozen=True)
class _Event:
    cancel: bool
    pick: float  # in [0, 1): which booking is cancelled, or which of the first `choice` slots is taken
    band: str | None


def _events(seed: int, n: int, p: GapParams) -> list[_Event]:
    rng = stream(seed, "gaps", n)
    events = []
    for _ in range(p.events):
        cancel = rng.random() < p.cancel_share
        band = rng.choice((None, None, "morning", "afternoon"))
        events.append(_Event(cancel, rng.random(), band))
    return events


def _listed(free: list[int], booked: set[int], band: str | None, sort: str, p: GapParams,
            weights: FitWeights) -> list[int]:
    def slot(i: int) -> FreeSlot:
        start = FIRST + timedelta(minutes=i * p.slot_minutes)
        return FreeSlot(start, start + timedelta(minutes=p.slot_minutes), start.date(), "slots", 1, False)

    if sort == "earliest":
        wished = [i for i in free if band is None or time_of_day(slot(i).start, UTC) == band]
        return wished or free
    bookings = {0: [DayBooking(slot(i).start, slot(i).end) for i in sorted(booked)]}
    prefs = PatientWishes(times_of_day=frozenset({band}) if band else frozenset())
    ranked = rank_slots([SlotCandidate(slot(i), doctor_id=0, info=i) for i in free], tz=UTC, prefs=prefs,
                        bookings=bookings, weights=weights)
    return [f.candidate.info for f in ranked]


def play_session(events: list[_Event], sort: str, p: GapParams, weights: FitWeights) -> set[int]:
    """The slots booked at the end of one session under the order ``sort``."""
    booked: set[int] = set()
    for e in events:
        if e.cancel:
            if booked:
                booked.discard(sorted(booked)[int(e.pick * len(booked))])
            continue
        free = [i for i in range(p.slots) if i not in booked]
        if not free:
            continue
        listed = _listed(free, booked, e.band, sort, p, weights)
        booked.add(listed[int(e.pick * min(p.choice, len(listed)))])
    return booked


def idle_gaps(booked: set[int]) -> tuple[int, int]:
    """(gaps, idle slots) between the first and the last booked slot."""
    if not booked:
        return 0, 0
    inside = range(min(booked), max(booked) + 1)
    idle = [i for i in inside if i not in booked]
    gaps = sum(1 for i in idle if i - 1 in booked)
    return gaps, len(idle)


def gap_figures(seed: int, sessions: int, p: GapParams = GapParams(),
                weights: FitWeights = FitWeights()) -> dict:
    """The ``sim run`` figures: mean idle gaps and idle minutes per session, and the share of sessions without a
    gap, under each order."""
    figures: dict = {"gap_sessions": sessions}
    plays = [_events(seed, n, p) for n in range(sessions)]
    for sort in SORTS:
        results = [idle_gaps(play_session(events, sort, p, weights)) for events in plays]
        figures[f"idle_gaps_per_session_{sort}"] = round(fmean(g for g, _ in results), 3) if results else None
        figures[f"idle_minutes_per_session_{sort}"] = \
            round(fmean(s * p.slot_minutes for _, s in results), 2) if results else None
        figures[f"sessions_without_gap_share_{sort}"] = \
            round(sum(g == 0 for g, _ in results) / len(results), 4) if results else None
    return figures
