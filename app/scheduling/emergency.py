"""Where an emergency goes today (docs/optimiser.md, "Emergencies at the desk"): the optimiser's model with one
emergency request, on the day's free slots and on its booked slots at the cost of displacing their bookings.

A free slot is a regular seat. A booked slot is an overbooking seat whose penalty is ``displace_alpha`` of the
bookings it would displace (a routine booking costs less than an urgent one; two cost more than one; at most 1), so
the emergency weight and the ``overbooking`` weight choose a free slot when there is one, else the slot whose
displaced bookings are fewest and least urgent; on equal cost the earlier slot (it is worth more days earlier).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from .optimiser import Result, allocate
from .optimiser_model import Capacity, Request, Weights

DISPLACE_ALPHA = {"routine": 0.4, "urgent": 0.8}  # per displaced booking; an unknown urgency costs as routine


@dataclass(frozen=True)
class DaySeat:
    """A slot of today: ``displaced`` lists the urgencies of the bookings the emergency would displace there
    (empty: a free slot)."""

    doctor_id: int
    hospital_id: int
    start: datetime
    end: datetime
    tz: tzinfo
    specialty_id: int | None = None
    displaced: tuple[str, ...] = ()


def displace_alpha(urgencies: Sequence[str]) -> float:
    return min(1.0, sum(DISPLACE_ALPHA.get(u, DISPLACE_ALPHA["routine"]) for u in urgencies))


def place_emergency(patient_id: int, seats: Sequence[DaySeat], today: date, *, now: datetime,
                    weights: Weights | None = None, specialty_id: int | None = None,
                    doctor_id: int | None = None) -> tuple[int | None, Result]:
    """The index in ``seats`` where the emergency goes (None: nowhere today) and the optimiser's result."""
    capacity = [Capacity(i, s.doctor_id, s.hospital_id, s.start, s.end, tz=s.tz, specialty_id=s.specialty_id,
                         seats=0 if s.displaced else 1,
                         overbooking=(displace_alpha(s.displaced),) if s.displaced else ())
                for i, s in enumerate(seats)]
    request = Request(1, patient_id, "emergency", latest=today, specialty_id=specialty_id, doctor_id=doctor_id)
    result = allocate([request], capacity, weights, now=now)
    return (result.placements[0].capacity_id if result.placements else None), result
