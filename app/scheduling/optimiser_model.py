"""The optimiser's inputs: who waits (``Request``), what is free (``Capacity``) and what a placement is worth
(``Weights``), each validated before a model is built. docs/optimiser.md has the model and the weight table.

Instants are naive UTC, as everywhere in the core; a slot's ``tz`` gives its local date and time of day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, tzinfo

from .errors import AllocationInvalid, WeightsInvalid
from .waitlist import TIMES_OF_DAY, URGENT_WINDOW_HOURS  # the bands: before 12:00, to 17:00, from 17:00

URGENCIES = ("emergency", "urgent", "routine")  # most urgent first: the greedy's order and the weights' order


@dataclass(frozen=True)
class Request:
    """A patient waiting to be placed, with the hard constraints a slot must meet.

    Empty sets and None mean "no constraint": any hospital, any time of day, any type. ``current_start`` is the
    booking an "earlier slot, please" request keeps: only slots starting before it are feasible.
    """

    id: int
    patient_id: int
    urgency: str = "routine"
    waited_days: float = 0.0
    latest: date | None = None  # the latest acceptable local date of the slot
    specialty_id: int | None = None
    doctor_id: int | None = None  # a named doctor
    hospital_ids: frozenset[int] = frozenset()
    home: tuple[float, float] | None = None  # (lat, lon) of the patient's place
    radius_km: float | None = None  # with ``home``: the farthest acceptable hospital
    times_of_day: frozenset[str] = frozenset()
    appointment_type: str | None = None
    equipment: frozenset[str] = frozenset()
    current_start: datetime | None = None


@dataclass(frozen=True)
class Capacity:
    """A free slot ``[start, end)`` of one doctor at one hospital and its free seats.

    ``seats`` regular seats, then one overbooking seat per entry of ``overbooking``, each with its penalty
    alpha in [0, 1] (0: as good as a regular seat, 1: the least wanted). Seats are numbered 0..seats-1 (regular),
    then seats, seats+1, ... (overbooking, in the order given). Empty ``types``: the slot takes any type.
    ``urgencies`` names who may take it (a slot held back for urgent cases, or inside the waitlist's urgent
    window: {"emergency", "urgent"}); empty: anyone.
    """

    id: int
    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime
    position: tuple[float, float] | None = None  # the hospital's (lat, lon)
    tz: tzinfo = UTC
    specialty_id: int | None = None
    types: frozenset[str] = frozenset()
    equipment: frozenset[str] = frozenset()
    seats: int = 1
    overbooking: tuple[float, ...] = ()
    urgencies: frozenset[str] = frozenset()

    @property
    def seat_count(self) -> int:
        """Every seat, regular and overbooking."""
        return self.seats + len(self.overbooking)

    def alpha(self, seat: int) -> float:
        """The overbooking penalty of seat number ``seat`` (0 for a regular seat)."""
        return 0.0 if seat < self.seats else self.overbooking[seat - self.seats]


@dataclass(frozen=True)
class Weights:
    """What a placement is worth; set per region (docs/optimiser.md, "Weights", has the table and defaults).

    value = (urgency + per_day_waited * min(waited, waited_cap_days) + per_day_earlier * min(earlier,
    earlier_cap_days) + urgent_within_window [an urgent or emergency request on a slot starting within
    urgent_window_hours of now] - per_km * min(distance, distance_cap_km)) * (1 - overbooking * alpha)
    """

    emergency: float = 10_000.0
    urgent: float = 2_000.0
    routine: float = 100.0
    per_day_waited: float = 1.0
    waited_cap_days: float = 365.0
    per_day_earlier: float = 2.0
    earlier_cap_days: float = 30.0
    # Urgent patients are to be seen within 48 hours (the waitlist's urgent window; the simulation measures it):
    # without this bonus the total value would trade an urgent patient's 48 hours for a routine placement.
    urgent_within_window: float = 500.0
    urgent_window_hours: float = float(URGENT_WINDOW_HOURS)
    per_km: float = 0.5
    distance_cap_km: float = 100.0
    overbooking: float = 0.5  # the share of its value a placement loses on an overbooking seat with alpha 1

    def __post_init__(self) -> None:
        validate_weights(self)

    def tier(self, urgency: str) -> float:
        """The urgency term of the value."""
        return getattr(self, urgency)


def validate_weights(weights: object) -> None:
    """Refuse weights a model cannot use, naming the first bad one (``WeightsInvalid``).

    Every weight is a finite number >= 0; ``overbooking`` is below 1, so an overbooking seat keeps some value;
    emergency >= urgent >= routine; and ``routine`` exceeds the largest distance deduction, so every feasible
    placement is worth more than none (otherwise the optimiser would leave a patient out to save points).
    """
    for f in fields(weights):  # type: ignore[arg-type]
        value = getattr(weights, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise WeightsInvalid(f"The weight {f.name} must be a number.", f.name)
        if value < 0:
            raise WeightsInvalid(f"The weight {f.name} must not be negative.", f.name)
    if weights.overbooking >= 1:  # type: ignore[attr-defined]
        raise WeightsInvalid("The weight overbooking must be below 1.", "overbooking")
    if not weights.emergency >= weights.urgent >= weights.routine:  # type: ignore[attr-defined]
        raise WeightsInvalid("Weights must rank emergency >= urgent >= routine.", "urgent")
    if weights.routine <= weights.per_km * weights.distance_cap_km:  # type: ignore[attr-defined]
        raise WeightsInvalid("The weight routine must exceed per_km x distance_cap_km, so every placement counts.",
                             "routine")


def validate_inputs(requests: Sequence[Request], capacity: Sequence[Capacity]) -> None:
    """Refuse input a model cannot use, naming the first bad field (``AllocationInvalid``)."""
    seen: set[int] = set()
    for i, r in enumerate(requests):
        where = f"requests.{i}"
        if not isinstance(r, Request):
            raise AllocationInvalid("Every request must be a Request.", where)
        if r.id in seen:
            raise AllocationInvalid(f"Request id {r.id} appears twice.", f"{where}.id")
        seen.add(r.id)
        if r.urgency not in URGENCIES:
            raise AllocationInvalid(f"Unknown urgency {r.urgency!r}.", f"{where}.urgency")
        if not _number(r.waited_days) or r.waited_days < 0:
            raise AllocationInvalid("Days waited must be a number >= 0.", f"{where}.waited_days")
        if r.radius_km is not None and (not _number(r.radius_km) or r.radius_km < 0):
            raise AllocationInvalid("The radius must be a number >= 0.", f"{where}.radius_km")
        if not set(r.times_of_day) <= set(TIMES_OF_DAY):
            raise AllocationInvalid(f"Times of day are {', '.join(TIMES_OF_DAY)}.", f"{where}.times_of_day")
    seen.clear()
    for j, c in enumerate(capacity):
        where = f"capacity.{j}"
        if not isinstance(c, Capacity):
            raise AllocationInvalid("Every slot must be a Capacity.", where)
        if c.id in seen:
            raise AllocationInvalid(f"Slot id {c.id} appears twice.", f"{where}.id")
        seen.add(c.id)
        if not c.end > c.start:
            raise AllocationInvalid("A slot must end after it starts.", f"{where}.end")
        if isinstance(c.seats, bool) or not isinstance(c.seats, int) or c.seats < 0:
            raise AllocationInvalid("Seats must be a whole number >= 0.", f"{where}.seats")
        if not set(c.urgencies) <= set(URGENCIES):
            raise AllocationInvalid(f"Urgencies are {', '.join(URGENCIES)}.", f"{where}.urgencies")
        if any(not _number(a) or not 0 <= a <= 1 for a in c.overbooking):
            raise AllocationInvalid("Overbooking penalties must lie in [0, 1].", f"{where}.overbooking")


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
