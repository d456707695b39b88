"""Best fit, not only the earliest: a weighted quality score of a free slot for one patient, in [0, 1].

Each part is a number in [0, 1] (1 is best); the score is their weighted mean (``FitWeights``, set per region;
docs/optimiser.md, "Best fit", has the table):

| part        | default weight | 1.0 when                                   | how it falls                             |
|-------------|----------------|--------------------------------------------|------------------------------------------|
| preference  | 40 %           | the slot is at a chosen time of day, at a  | the mean of the stated wishes: a band or |
|             |                | chosen hospital, and at the patient's door | hospital not chosen counts 0; distance   |
|             |                | (only the wishes the patient stated count) | 1 - km / radius (or / 50 km), at least 0 |
| compactness | 35 %           | the slot touches (5 minutes or less) one   | 1 - gap / 3 h, at least 0; a doctor with |
|             |                | of the doctor's bookings that day          | no booking that day: 0.5                 |
| room        | 15 %           | no room change from the doctor's booking   | 0.5 per change (before and after the     |
|             |                | before the slot or to the one after it     | slot); an unknown room changes nothing   |
| overbooking | 10 %           | a regular seat                             | 1 - alpha on an overbooking seat         |

Why: the patient's own wishes matter most; a compact day gives the doctor fewer idle gaps and keeps long free
stretches for others; walking between rooms costs minutes; overbooked seats mean a longer wait in the room.
Bands of local start time are the waitlist's: morning before 12:00, afternoon to 17:00, evening from 17:00.
Ties go to the earlier start, then to the earlier candidate, so the ranking is deterministic.

``score_slot`` and ``best_suggestions`` keep their old signatures for existing callers: ``score_slot`` answers
``1 - score`` (lower is better, as before).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, tzinfo
from typing import Any

from .errors import WeightsInvalid
from .geo import distance_km
from .slots import Busy, FreeSlot
from .timeutil import local_day
from .waitlist import TIMES_OF_DAY, time_of_day

ADJACENT_WITHIN = timedelta(minutes=5)  # a buffer between appointments still counts as "next to"
GAP_SCALE = timedelta(hours=3)  # a gap this long or longer scores 0 for compactness
EMPTY_DAY = 0.5  # a slot on a day the doctor has no booking yet: neither packs nor fragments a day
DISTANCE_SCALE_KM = 50.0  # without a radius: a hospital this far or farther scores 0 for distance
ROOM_CHANGE = 0.5  # what each room change (before, after) takes off the room part


@dataclass(frozen=True)
class FitWeights:
    """The parts' weights (any scale: the score divides by their sum); validated, set per region."""

    preference: float = 0.40
    compactness: float = 0.35
    room: float = 0.15
    overbooking: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise WeightsInvalid(f"The weight {f.name} must be a number.", f.name)
            if value < 0:
                raise WeightsInvalid(f"The weight {f.name} must not be negative.", f.name)
        if self.total <= 0:
            raise WeightsInvalid("At least one weight must be above 0.", "preference")

    @classmethod
    def from_setting(cls, given: Any, name: str = "BEST_FIT_WEIGHTS") -> FitWeights:
        """The defaults with a region's setting (a mapping of part names to numbers) over them; WeightsInvalid
        for anything else, an unknown name, or a weight negative or not a number."""
        if not given:
            return cls()
        if not isinstance(given, Mapping):
            raise WeightsInvalid(f"{name} must map weight names to numbers.", None)
        unknown = sorted(set(given) - {f.name for f in fields(cls)})
        if unknown:
            raise WeightsInvalid(f"Unknown weight in {name}: {', '.join(map(str, unknown))}.", str(unknown[0]))
        return cls(**given)

    @property
    def total(self) -> float:
        return self.preference + self.compactness + self.room + self.overbooking


@dataclass(frozen=True)
class PatientWishes:
    """What the patient chose; empty or None: no wish, which the score then ignores."""

    times_of_day: frozenset[str] = frozenset()
    hospital_ids: frozenset[int] = frozenset()
    home: tuple[float, float] | None = None
    radius_km: float | None = None


@dataclass(frozen=True)
class DayBooking:
    """An existing booking of a doctor ``[start, end)`` (naive UTC) and the room it is in (None: unknown)."""

    start: datetime
    end: datetime
    room: str | None = None


@dataclass(frozen=True)
class SlotCandidate:
    """A free slot on offer: whose, where, in which room, on which seat (``alpha`` > 0: an overbooking seat).
    ``info`` is the caller's and passes through untouched; ``tz``, when given, is the zone of the slot's
    hospital and wins over the call's."""

    slot: FreeSlot
    doctor_id: int | None = None
    hospital_id: int | None = None
    position: tuple[float, float] | None = None
    room: str | None = None
    alpha: float = 0.0
    info: Any = None
    tz: tzinfo | None = None  # the slot's own zone (a region spans several); None: the caller's


@dataclass(frozen=True)
class SlotFit:
    """A candidate's score in [0, 1] (higher is better) and its four parts."""

    candidate: SlotCandidate
    score: float
    preference: float
    compactness: float
    room: float
    overbooking: float


def preference_part(c: SlotCandidate, prefs: PatientWishes, tz: tzinfo) -> float:
    """The mean of the stated wishes: time of day, hospital, distance; 1.0 when nothing was stated."""
    parts = []
    if prefs.times_of_day & set(TIMES_OF_DAY):
        parts.append(1.0 if time_of_day(c.slot.start, tz) in prefs.times_of_day else 0.0)
    if prefs.hospital_ids and c.hospital_id is not None:
        parts.append(1.0 if c.hospital_id in prefs.hospital_ids else 0.0)
    if prefs.home is not None and c.position is not None:
        scale = prefs.radius_km if prefs.radius_km else DISTANCE_SCALE_KM
        parts.append(max(0.0, 1.0 - distance_km(prefs.home, c.position) / scale))
    return sum(parts) / len(parts) if parts else 1.0


def compactness_part(slot: FreeSlot, day: Sequence[DayBooking | Busy]) -> float:
    """1.0 next to a booking of the day, falling to 0 at a ``GAP_SCALE`` gap; ``EMPTY_DAY`` with none."""
    if not day:
        return EMPTY_DAY
    gap = min(max(b.start - slot.end, slot.start - b.end, timedelta(0)) for b in day)
    if gap <= ADJACENT_WITHIN:
        return 1.0
    return max(0.0, 1.0 - gap / GAP_SCALE)


def room_part(slot: FreeSlot, room: str | None, day: Sequence[DayBooking]) -> float:
    """1.0 less ``ROOM_CHANGE`` for a different room in the booking just before and in the one just after."""
    if room is None:
        return 1.0
    before = max((b for b in day if b.end <= slot.start), key=lambda b: b.end, default=None)
    after = min((b for b in day if b.start >= slot.end), key=lambda b: b.start, default=None)
    changes = sum(1 for b in (before, after) if b is not None and b.room is not None and b.room != room)
    return 1.0 - ROOM_CHANGE * changes


def fit_slot(c: SlotCandidate, *, tz: tzinfo, prefs: PatientWishes = PatientWishes(),
        bookings: Mapping[int | None, Sequence[DayBooking]] | None = None,
        weights: FitWeights = FitWeights(), _days: dict | None = None) -> SlotFit:
    """Score one candidate; ``bookings`` maps a doctor to their existing bookings (any days: the slot's local
    day is picked out). ``_days``: rank_slots's cache of each doctor's bookings by local day."""
    tz = c.tz or tz
    days = {} if _days is None else _days
    if (c.doctor_id, tz) not in days:
        by_day: dict = {}
        for b in (bookings or {}).get(c.doctor_id, ()):
            by_day.setdefault(local_day(b.start, tz), []).append(b)
        days[(c.doctor_id, tz)] = by_day
    day = days[(c.doctor_id, tz)].get(local_day(c.slot.start, tz), [])
    parts = (preference_part(c, prefs, tz), compactness_part(c.slot, day), room_part(c.slot, c.room, day),
             1.0 - min(max(c.alpha, 0.0), 1.0))
    return _fit(c, parts, weights)


def _fit(c: SlotCandidate, parts: tuple[float, float, float, float], w: FitWeights) -> SlotFit:
    score = (w.preference * parts[0] + w.compactness * parts[1] + w.room * parts[2]
             + w.overbooking * parts[3]) / w.total
    return SlotFit(c, round(score, 9), *parts)


def rank_slots(candidates: Sequence[SlotCandidate], *, tz: tzinfo, prefs: PatientWishes = PatientWishes(),
               bookings: Mapping[int | None, Sequence[DayBooking]] | None = None,
               weights: FitWeights = FitWeights(), n: int | None = None) -> list[SlotFit]:
    """The candidates "best for you": highest score first, then the earlier start, then input order; the first
    ``n`` (all when None)."""
    days: dict = {}  # each doctor's bookings by local day, sorted out once for all their candidates
    scored = [(fit_slot(c, tz=tz, prefs=prefs, bookings=bookings, weights=weights, _days=days), i)
              for i, c in enumerate(candidates)]
    scored.sort(key=lambda f: (-f[0].score, f[0].candidate.slot.start, f[1]))
    ranked = [f for f, _ in scored]
    return ranked if n is None else ranked[:max(n, 0)]


def score_slot(slot: FreeSlot, *, tz: tzinfo, now: datetime | None = None, preferred: str | None = None,
               day_busy: Sequence[Busy] = (), previous_room: str | None = None, slot_room: str | None = None,
               overbooked: bool = False, weights: FitWeights = FitWeights()) -> float:
    """The old entry point: ``1 - score`` (lower is better). ``preferred`` is one band (an unknown one is
    ignored), ``day_busy`` the doctor's busy intervals that day, a room change when ``previous_room`` and
    ``slot_room`` differ, ``overbooked`` an overbooking seat with alpha 1. ``now`` is no longer used: the score
    does not favour the earliest slot (ties do)."""
    prefs = PatientWishes(times_of_day=frozenset({preferred}) if preferred in TIMES_OF_DAY else frozenset())
    room = 1.0 - ROOM_CHANGE if previous_room and slot_room and previous_room != slot_room else 1.0
    parts = (preference_part(SlotCandidate(slot), prefs, tz), compactness_part(slot, day_busy), room,
             0.0 if overbooked else 1.0)
    return round(1.0 - _fit(SlotCandidate(slot), parts, weights).score, 9)


_PER_CANDIDATE = ("day_busy", "previous_room", "slot_room", "overbooked")


def best_suggestions(
    candidates: Sequence[tuple[FreeSlot, dict[str, Any]]], n: int, **kw: Any
) -> list[tuple[FreeSlot, dict[str, Any]]]:
    """The old entry point: the ``n`` best ``(slot, info)`` candidates, best first, as the same tuples.

    ``kw`` holds the arguments common to every candidate (``tz``, ``now``, ``preferred``, ``weights``); each
    ``info`` dict may carry the per-candidate ones (``day_busy``, ``previous_room``, ``slot_room``,
    ``overbooked``); any other keys are the caller's and pass through untouched.
    """
    if n <= 0:
        return []
    scored = (
        (score_slot(slot, **{**kw, **{k: info[k] for k in _PER_CANDIDATE if k in info}}), slot.start, i)
        for i, (slot, info) in enumerate(candidates)
    )
    return [candidates[i] for _, _, i in heapq.nsmallest(n, scored)]
