"""Best suggestions: rank free slots (across doctors) so the first few shown are the ones most worth taking.

A lower score is better. ``score_slot`` adds these terms:

| term                  | points                                                     | why                         |
|-----------------------|------------------------------------------------------------|-----------------------------|
| earliness             | +10 per day from ``now`` to the start (fractional)         | the earliest slot is the    |
|                       |                                                            | usual wish                  |
| preferred time of day | -15 when the local start is in the band                    | worth 1.5 days of waiting   |
| compactness           | -5 within 5 minutes of one of the doctor's bookings that   | packed days keep long free  |
|                       | day; else +1 per 30 minutes of gap to the nearest, at most | stretches for others and    |
|                       | +6; 0 when the doctor has no booking that day              | fewer idle gaps for doctors |
| room switch           | +4 when the slot's room differs from the previous room     | walking between rooms costs |
| overbooked seat       | +1,000,000                                                 | always offered last         |

Bands of local start time: morning before 12:00, afternoon 12:00 to 17:00, evening from 17:00. An unknown band
gives no bonus rather than an error: suggestions must never fail a search. Ties go to the earlier start, then to
the earlier candidate, so the result is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from .slots import Busy, FreeSlot
from .timeutil import to_local

PER_DAY = 10.0
PREFERRED_BONUS = -15.0
ADJACENT_BONUS = -5.0
ADJACENT_WITHIN = timedelta(minutes=5)
GAP_PER_30_MIN = 1.0
GAP_CAP = 6.0
ROOM_SWITCH = 4.0
OVERBOOKED = 1_000_000.0

BANDS = {"morning": (time(0), time(12)), "afternoon": (time(12), time(17)), "evening": (time(17), time.max)}
_PER_CANDIDATE = ("day_busy", "previous_room", "slot_room", "overbooked")


def score_slot(
    slot: FreeSlot,
    *,
    preferred: str | None = None,
    tz: tzinfo,
    day_busy: Sequence[Busy] = (),
    previous_room: str | None = None,
    slot_room: str | None = None,
    overbooked: bool = False,
    now: datetime,
) -> float:
    """Return the score of ``slot`` (lower is better); the module docstring lists the weights."""
    score = PER_DAY * max((slot.start - now) / timedelta(days=1), 0.0)
    band = BANDS.get(preferred or "")
    if band and band[0] <= to_local(slot.start, tz).time() < band[1]:
        score += PREFERRED_BONUS
    score += _compactness(slot, day_busy)
    if previous_room and slot_room and previous_room != slot_room:
        score += ROOM_SWITCH
    if overbooked:
        score += OVERBOOKED
    return score


def _compactness(slot: FreeSlot, day_busy: Sequence[Busy]) -> float:
    if not day_busy:
        return 0.0
    gap = min(max(b.start - slot.end, slot.start - b.end, timedelta(0)) for b in day_busy)
    if gap <= ADJACENT_WITHIN:
        return ADJACENT_BONUS
    return min(GAP_PER_30_MIN * (gap / timedelta(minutes=30)), GAP_CAP)


def best_suggestions(
    candidates: Sequence[tuple[FreeSlot, dict[str, Any]]], n: int, **kw: Any
) -> list[tuple[FreeSlot, dict[str, Any]]]:
    """Return the ``n`` best ``(slot, info)`` candidates, best first, as the same tuples that came in.

    ``kw`` holds the arguments common to every candidate (``tz``, ``now``, ``preferred``). Each ``info`` dict may
    carry the per-candidate ones (``day_busy``, ``previous_room``, ``slot_room``, ``overbooked``); any other keys
    (a doctor id, a hospital name) are the caller's and pass through untouched.
    """
    if n <= 0:
        return []
    scored = (
        (score_slot(slot, **{**kw, **{k: info[k] for k in _PER_CANDIDATE if k in info}}), slot.start, i)
        for i, (slot, info) in enumerate(candidates)
    )
    return [candidates[i] for _, _, i in heapq.nsmallest(n, scored)]
