"""A deterministic optimiser instance: a region's free slots and its waiting patients, from a seed.

The bench (`flask --app wsgi optimise bench`, benchmarks/optimiser.py) and the tests use it; docs/optimiser.md,
"Bench", says what it holds. One seed gives the same instance on every machine (``random.Random``, no clock).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .optimiser_model import TIMES_OF_DAY, Capacity, Request
from .timeutil import to_utc

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 1, 6, 0)  # a Monday, 07:00 in London: the batch runs before the clinics open
DAYS = 14
# Towns of South East England with a hospital: (lat, lon).
TOWNS = ((51.507, -0.128), (51.454, -0.973), (51.752, -1.258), (51.236, -0.570), (51.879, -0.418),
         (51.736, 0.469), (51.272, 0.522), (50.822, -0.137), (52.041, -0.759), (50.909, -1.404),
         (51.280, 1.080), (51.656, -0.396))
# Specialties (id: the equipment their procedures need, and how often patients wait for them).
SPECIALTIES = {1: ("ecg", 18), 2: ("dermatoscope", 12), 3: ("xray", 16), 4: ("eeg", 8), 5: ("endoscope", 12),
               6: ("audiometer", 10), 7: ("slit_lamp", 12), 8: ("ultrasound", 12)}
SESSIONS = {"morning": (time(9), time(12, 30)), "afternoon": (time(13, 30), time(17)), "evening": (time(17), time(20))}
# What a session offers, and how often: most take both kinds of visit, some add procedures (with the equipment).
SESSION_TYPES = ((frozenset({"consult", "follow_up"}), 50), (frozenset({"consult"}), 15),
                 (frozenset({"follow_up"}), 15), (frozenset({"consult", "follow_up", "procedure"}), 20))
SLOT_MINUTES = 15
FREE_SHARE = 0.4  # of the generated slots, the share still free: the rest is booked already
URGENCY_MIX = (("emergency", 4), ("urgent", 16), ("routine", 80))
TYPE_MIX = (("consult", 55), ("follow_up", 35), ("procedure", 10))
RADII = (20.0, 40.0, 60.0, 80.0, 120.0, None)


@dataclass(frozen=True)
class Instance:
    """The waiting requests, the free capacity and the moment the batch runs."""

    requests: list[Request]
    capacity: list[Capacity]
    now: datetime
    seed: int


def build(n_requests: int, n_slots: int, seed: int) -> Instance:
    """``n_requests`` waiting patients and exactly ``n_slots`` free slots over ``DAYS`` days."""
    rng = random.Random(seed)
    # About 7 sessions of 13 slots a fortnight per doctor; at least one doctor per specialty.
    doctors = max(len(SPECIALTIES), math.ceil(n_slots / (FREE_SHARE * 7 * 13)))
    doctor_specialty, all_slots = {}, []
    for doctor in range(1, doctors + 1):
        specialty = (doctor - 1) % len(SPECIALTIES) + 1
        doctor_specialty[doctor] = specialty
        # A specialty's doctors spread over different hospitals first, as a region plans its clinics.
        hospital = (specialty * 5 + (doctor - 1) // len(SPECIALTIES) * 7) % len(TOWNS)
        all_slots.extend(_doctor_slots(rng, doctor, specialty, hospital))
    free = sorted(rng.sample(all_slots, min(n_slots, len(all_slots))), key=lambda c: (c.start, c.doctor_id))
    capacity = [_seats(rng, c, n) for n, c in enumerate(free, start=1)]
    requests = [_request(rng, n, doctor_specialty) for n in range(1, n_requests + 1)]
    return Instance(requests, capacity, NOW, seed)


def _doctor_slots(rng: random.Random, doctor: int, specialty: int, hospital: int) -> list[Capacity]:
    equipment, _ = SPECIALTIES[specialty]
    slots = []
    for offset in range(DAYS):
        day = NOW.date() + timedelta(days=offset)
        if day.weekday() >= 5 or rng.random() < 0.3:
            continue
        band = rng.choices(TIMES_OF_DAY, weights=(5, 4, 1))[0]
        types = _pick(rng, SESSION_TYPES)
        room = frozenset({equipment}) if "procedure" in types or rng.random() < 0.5 else frozenset()
        slots.extend(_session(doctor, specialty, hospital, day, band, types, room))
    return slots


def _session(doctor, specialty, hospital, day: date, band: str, types, equipment) -> list[Capacity]:
    start_time, end_time = SESSIONS[band]
    start, end = to_utc(day, start_time, LONDON), to_utc(day, end_time, LONDON)
    step = timedelta(minutes=SLOT_MINUTES)
    out = []
    while start + step <= end:
        out.append(Capacity(0, doctor, hospital + 1, start, start + step, TOWNS[hospital], LONDON, specialty,
                            types, equipment))
        start += step
    return out


def _seats(rng: random.Random, c: Capacity, slot_id: int) -> Capacity:
    """Most slots have one seat; some have an overbooking seat (a few two), each with its own penalty."""
    roll = rng.random()
    overbooking: tuple[float, ...] = ()
    if roll < 0.03:
        overbooking = (round(rng.uniform(0.2, 0.6), 2), round(rng.uniform(0.6, 1.0), 2))
    elif roll < 0.23:
        overbooking = (round(rng.uniform(0.1, 0.9), 2),)
    return Capacity(slot_id, c.doctor_id, c.hospital_id, c.start, c.end, c.position, c.tz, c.specialty_id, c.types,
                    c.equipment, 1, overbooking)


def _request(rng: random.Random, n: int, doctor_specialty: dict[int, int]) -> Request:
    urgency = _pick(rng, URGENCY_MIX)
    specialty = rng.choices(list(SPECIALTIES), weights=[w for _, w in SPECIALTIES.values()])[0]
    kind = _pick(rng, TYPE_MIX)
    today = NOW.date()
    if urgency == "emergency":
        waited, latest, current = rng.uniform(0, 0.5), today + timedelta(days=1), None
    elif urgency == "urgent":
        waited, latest, current = rng.uniform(0, 3), today + timedelta(days=2), None
    else:
        waited = min(rng.expovariate(1 / 35), 300.0)
        latest = today + timedelta(days=rng.randint(4, 40))
        current = NOW + timedelta(days=rng.randint(8, 60), hours=rng.randint(2, 10)) if rng.random() < 0.3 else None
    town = TOWNS[rng.randrange(len(TOWNS))]
    home = (round(town[0] + rng.gauss(0, 0.12), 4), round(town[1] + rng.gauss(0, 0.18), 4))
    radius, hospitals = rng.choice(RADII), frozenset()
    if rng.random() < 0.15:  # names its hospitals instead of a radius
        radius, hospitals = None, frozenset(rng.sample(range(1, len(TOWNS) + 1), rng.randint(1, 3)))
    times = frozenset() if rng.random() < 0.55 else frozenset(rng.sample(TIMES_OF_DAY, rng.randint(1, 2)))
    doctor = None
    colleagues = [d for d, s in doctor_specialty.items() if s == specialty]
    if urgency == "routine" and kind == "follow_up" and colleagues and rng.random() < 0.3:
        doctor = rng.choice(colleagues)
    equipment = frozenset({SPECIALTIES[specialty][0]}) if kind == "procedure" else frozenset()
    return Request(n, 10_000 + n, urgency, round(waited, 2), latest, specialty, doctor, hospitals,
                   home, radius, times, kind, equipment, current)


def _pick(rng: random.Random, mix) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def figures(instance: Instance, result) -> dict:
    """The bench's key figures of a result on this instance (urgent means urgent or emergency)."""
    by_id = {r.id: r for r in instance.requests}
    window = instance.now + timedelta(hours=48)
    urgent = [p for p in result.placements if by_id[p.request_id].urgency != "routine"]
    return {
        "placed": len(result.placements),
        "emergency_placed": sum(by_id[p.request_id].urgency == "emergency" for p in result.placements),
        "urgent_placed": len(urgent),
        "urgent_placed_within_48h": sum(p.start <= window for p in urgent),
        "urgent_requests": sum(r.urgency != "routine" for r in instance.requests),
        "overbooking_seats_used": sum(p.overbooked for p in result.placements),
    }
