"""The clinic day minute by minute: overbooking policies judged on waits, overtime and attended time.

The region simulation (``simulation``) counts slots per clinic day; overbooking is judged inside a session, so this
module plays each doctor's session of the measured working days on its own (docs/overbooking.md, "Simulation"):

- a session has ``slots`` regular slots of ``slot_minutes``; it is full (the second pass only overbooks full
  sessions; the region keeps a waiting list weeks long, so its near sessions are full);
- every booked patient is a real appointment of the data set, drawn with its predicted no-show probability
  (the trained model, never the outcome) and its real outcome: whether they came is what happened, not a draw;
- patients who come arrive up to ``early_minutes`` before their slot's start; whenever the doctor is free, the
  present patient of the earliest slot goes in, the regular patient before an extra one; a consultation lasts
  ``slot_minutes`` times a lognormal factor (mean 1, ``service_spread``), drawn per patient;
- policies: ``baseline`` books nobody extra; ``overbook-predicted`` gives each session the extras
  ``overbooking.plan_extras`` allows under ``rule`` (where they add the least expected waiting and overtime);
  ``overbook-uniform`` books the same total number of extras, spread evenly over the sessions and over each
  session's slots, whoever is booked there.

Equal ground: each session's regular patients, its would-be extra patients and every consultation length come from
streams of their own, so a policy changes only who is booked extra and where.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .overbooking import OVERTIME_WEIGHT, Rule, plan_extras
from .simulation_model import percentile, stream

OVERBOOK_POLICIES = ("overbook-uniform", "overbook-predicted")


@dataclass(frozen=True)
class SessionParams:
    slots: int = 14
    slot_minutes: int = 15
    service_spread: float = 0.25  # sigma of the consultation length's lognormal factor
    rule: Rule = field(default_factory=lambda: Rule(max_extra=3, alpha=0.0, low_risk=0.15))
    candidates: int = 8  # would-be extra patients per session (the waiting list's next ones)
    early_minutes: float = 15.0  # patients arrive up to this much before their slot (uniformly)
    overtime_weight: float = OVERTIME_WEIGHT  # where plan_extras puts an extra (the frontier benchmark varies it)


@dataclass(frozen=True)
class Booked:
    probability: float
    came: bool
    minutes: float
    early: float  # minutes before the slot the patient arrives, if they come
    extra: bool = False


@dataclass
class Session:
    regular: list[Booked]
    candidates: list[Booked]
    extras: dict[int, Booked] = field(default_factory=dict)  # slot index -> the extra patient


def _draw(pool: Sequence[tuple[float, bool]], rng, params: SessionParams, extra: bool = False) -> Booked:
    probability, missed = pool[rng.randrange(len(pool))]
    sigma = params.service_spread
    factor = math.exp(rng.gauss(-sigma * sigma / 2, sigma))  # mean 1
    return Booked(probability, not missed, params.slot_minutes * factor, rng.uniform(0, params.early_minutes), extra)


def build_sessions(pool: Sequence[tuple[float, bool]], seed: int, count: int, params: SessionParams) -> list[Session]:
    """``count`` full sessions of patients drawn from ``pool`` (probability, missed); the same for every policy."""
    if not pool:
        raise ValueError("no patients to draw sessions from")
    sessions = []
    for n in range(count):
        regular_rng, extra_rng = stream(seed, "session", n), stream(seed, "session-extra", n)
        sessions.append(Session([_draw(pool, regular_rng, params) for _ in range(params.slots)],
                                [_draw(pool, extra_rng, params, True) for _ in range(params.candidates)]))
    return sessions


def book_extras(sessions: list[Session], policy: str, params: SessionParams) -> int:
    """Book the policy's extra patients into the sessions; the number of extras."""
    if policy == "baseline":
        return 0
    if policy not in OVERBOOK_POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    plans = [plan_extras(params.rule, [b.probability for b in s.regular], [b.probability for b in s.candidates],
                         overtime_weight=params.overtime_weight) for s in sessions]
    total = sum(len(p) for p in plans)
    if policy == "overbook-predicted":
        for session, plan in zip(sessions, plans, strict=True):
            session.extras = {slot: session.candidates[c] for slot, c in plan}
    else:  # overbook-uniform: as many, spread evenly
        base, more = divmod(total, len(sessions)) if sessions else (0, 0)
        for n, session in enumerate(sessions):
            k = min(base + (n < more), params.slots, len(session.candidates))
            step = params.slots / k if k else 0
            session.extras = {int(step * (i + 0.5)): session.candidates[i] for i in range(k)}
    return sum(len(s.extras) for s in sessions)


def play(session: Session, params: SessionParams) -> tuple[list[tuple[Booked, float]], float, float]:
    """The session's day: (patient, wait) for everyone who came, minutes with a patient inside the scheduled
    time, overtime minutes. Whenever the doctor is free, the present patient with the earliest slot goes in (the
    regular one before an extra of the same slot), so a patient who came early fills a no-show's time."""
    length = params.slots * params.slot_minutes
    waiting = []  # (slot, extra, arrival, patient) of everyone who comes
    for slot, booked in enumerate(session.regular):
        for patient in (booked, session.extras.get(slot)):
            if patient is not None and patient.came:
                waiting.append((slot, patient.extra, slot * params.slot_minutes - patient.early, patient))
    clock, busy, waits = 0.0, 0.0, []
    while waiting:
        present = [w for w in waiting if w[2] <= clock]
        if not present:
            clock = min(w[2] for w in waiting)
            continue
        chosen = min(present, key=lambda w: (w[0], w[1]))
        waiting.remove(chosen)
        slot, _, _, patient = chosen
        start = clock
        waits.append((patient, max(0.0, start - slot * params.slot_minutes)))
        clock = start + patient.minutes
        busy += max(0.0, min(clock, length) - min(start, length))
    return waits, busy, max(0.0, clock - length)


def figures(pool: Sequence[tuple[float, bool]], seed: int, count: int, policy: str,
            params: SessionParams | None = None) -> dict:
    """The session figures of the ``sim run`` line for ``count`` sessions under ``policy``."""
    params = params or SessionParams()
    sessions = build_sessions(pool, seed, count, params)
    extras = book_extras(sessions, policy, params)
    waits, busy, overtime = [], 0.0, []
    for session in sessions:
        seen, minutes, over = play(session, params)
        waits.extend(seen)
        busy += minutes
        overtime.append(over)
    scheduled = count * params.slots * params.slot_minutes
    minutes = [w for _, w in waits]
    ranked = sorted(waits, key=lambda x: -x[0].probability)
    top = ranked[:max(1, len(ranked) // 10)] if ranked else []
    return {
        "sessions": count,
        "attended_utilisation": round(busy / scheduled, 4) if scheduled else None,
        "mean_wait_min": round(sum(minutes) / len(minutes), 2) if minutes else None,
        "p90_wait_min": _round(percentile(minutes, 90)),
        "p90_overtime_min": _round(percentile(overtime, 90)),
        "extra_bookings": extras,
        "top_risk_decile_mean_wait_min": round(sum(w for _, w in top) / len(top), 2) if top else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
