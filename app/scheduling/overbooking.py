"""Overbooking: where an extra booking may go, decided from no-show probabilities (docs/overbooking.md).

Pure Python. A rule comes at three levels (the region's default, a doctor, a doctor and one appointment type); the
most specific one that exists wins. A rule is off (``max_extra == 0``) or allows up to ``max_extra`` extra bookings
per session, under three conditions checked by ``check_extra``:

- second pass: every regular slot of the session is booked;
- the expected attendance, the sum of ``1 - p`` over everyone booked in the session (extras included), stays within
  the session's regular slots plus the rule's penalty ``alpha``;
- never in a slot whose booked patient is low-risk (``p < low_risk``) or whose risk is unknown, and at most one
  extra per slot.

The extra seats of a session are numbered 1..max_extra; the booking service claims them (docs/overbooking.md,
"Seats").
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import OverbookRefused, OverbookRuleInvalid

# More extra bookings than this per session is not overbooking but a second list: refused as absurd.
MAX_EXTRA = 10
# The penalty alpha is in patients; beyond this many expected patients over capacity the rule is absurd.
MAX_ALPHA = 5.0
DEFAULT_LOW_RISK = 0.15


@dataclass(frozen=True)
class Rule:
    """``max_extra`` extra bookings per session (0: off), ``alpha`` expected patients over capacity at most, and
    ``low_risk``: a slot whose patient misses with a probability below it is never overbooked."""

    max_extra: int = 0
    alpha: float = 0.0
    low_risk: float = DEFAULT_LOW_RISK

    def __post_init__(self) -> None:
        check_rule(self.max_extra, self.alpha, self.low_risk)

    @property
    def on(self) -> bool:
        return self.max_extra > 0


def check_rule(max_extra: object, alpha: object, low_risk: object) -> None:
    """Refuse a rule that cannot be meant: seats not a whole number in 0..MAX_EXTRA, alpha not in 0..MAX_ALPHA,
    the low-risk threshold not a probability."""
    if isinstance(max_extra, bool) or not isinstance(max_extra, int):
        raise OverbookRuleInvalid("The number of extra bookings must be a whole number.", "max_extra")
    if max_extra < 0:
        raise OverbookRuleInvalid("The number of extra bookings cannot be negative.", "max_extra")
    if max_extra > MAX_EXTRA:
        raise OverbookRuleInvalid(f"At most {MAX_EXTRA} extra bookings per session are allowed.", "max_extra")
    for name, value, high in (("alpha", alpha, MAX_ALPHA), ("low_risk", low_risk, 1.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise OverbookRuleInvalid("Must be a number.", name)
        if not 0 <= value <= high:
            raise OverbookRuleInvalid(f"Must be between 0 and {high:g}.", name)


OFF = Rule()


@dataclass(frozen=True)
class ScopedRule:
    """A rule and where it applies: ``doctor_id`` None is the region's default; ``appointment_type`` needs a
    doctor."""

    rule: Rule
    doctor_id: int | None = None
    appointment_type: str | None = None

    @property
    def level(self) -> int:
        return (self.doctor_id is not None) + (self.appointment_type is not None)


def most_specific(rules: Iterable[ScopedRule], doctor_id: int, appointment_type: str | None) -> Rule:
    """The rule for a doctor's booking of a type: doctor and type, else doctor, else the region's default, else
    off. ``rules`` are the region's and the doctor's; others' are ignored."""
    best: ScopedRule | None = None
    for scoped in rules:
        if scoped.doctor_id not in (None, doctor_id):
            continue
        if scoped.appointment_type is not None and scoped.appointment_type != appointment_type:
            continue
        if best is None or scoped.level > best.level:
            best = scoped
    return best.rule if best is not None else OFF


def expected_attendance(probabilities: Iterable[float]) -> float:
    """How many of these patients are expected to come: the sum of ``1 - p``."""
    return sum(1.0 - p for p in probabilities)


def check_extra(rule: Rule, regular: Mapping[Hashable, float | None], capacity: int,
                extras: Sequence[tuple[Hashable, float]], slot: Hashable, probability: float) -> int:
    """The seat (1..max_extra) an extra booking of a patient with no-show ``probability`` takes in ``slot``, or
    ``OverbookRefused`` with its reason. ``regular``: each booked regular slot's patient's probability (None:
    unknown); ``capacity``: the session's regular slots; ``extras``: the extra bookings already made."""
    if not rule.on:
        raise OverbookRefused("Overbooking is off for this doctor.", "off")
    if len(regular) < capacity:
        raise OverbookRefused("This session still has free regular slots: book one of those.", "regular_free")
    if len(extras) >= rule.max_extra:
        raise OverbookRefused("All extra places of this session are taken.", "full")
    if slot not in regular:
        raise OverbookRefused("No appointment starts at that time.", "no_slot")
    if any(s == slot for s, _ in extras):
        raise OverbookRefused("This slot already has an extra booking.", "slot_has_extra")
    booked = regular[slot]
    if booked is None or booked < rule.low_risk:
        raise OverbookRefused("The patient booked at this time is likely to come.", "low_risk")
    expected = expected_attendance([*(p for p in regular.values() if p is not None), *(p for _, p in extras),
                                    probability])
    expected += sum(1 for p in regular.values() if p is None)  # an unknown risk counts as coming
    if expected > capacity + rule.alpha + 1e-9:
        raise OverbookRefused("The session would have more patients than it can see.", "attendance")
    return len(extras) + 1


# Where a plan puts an extra (``plan_extras``): one minute a session runs over weighs as much as this many minutes
# of patients' waiting. Overtime keeps the doctor, the staff and every patient still in the room; lower weights put
# extras later (less waiting, more overtime), higher ones earlier. docs/overbooking.md, "Simulation", shows the
# trade-off (benchmarks/overbooking_frontier.py sweeps it).
OVERTIME_WEIGHT = 6.0


def expected_queue(regular: Sequence[float | None], extras: Mapping[int, float]) -> tuple[float, float]:
    """(expected waiting, expected overtime) of a session, both in slot lengths: ``regular`` the booked patients'
    no-show probabilities in slot order (None: unknown, counted as coming), ``extras`` slot index -> the extra
    patient's. The queue's simple model: everyone arrives at their slot's start, the regular patient goes in before
    the extra of the same slot, each consultation lasts one slot. It is exact for that model (the distribution of
    the backlog, in whole slots, is carried from slot to slot), so no sampling and the same answer every time."""
    backlog, waiting = [1.0], 0.0
    for slot, risk in enumerate(regular):
        backlog, waited = _slot(backlog, risk, extras.get(slot))
        waiting += waited
    return waiting, _mean(backlog)


def _slot(backlog: list[float], risk: float | None, extra: float | None) -> tuple[list[float], float]:
    """One slot of ``expected_queue``: ``backlog[b]`` the chance that b slots of work wait at its start; the
    distribution at its end and the expected waiting of the slot's patients."""
    comes = 1.0 - (risk or 0.0)
    if extra is None:
        arrivals = ((0, 1.0 - comes), (1, comes))
    else:
        arrivals = ((0, (1.0 - comes) * extra), (1, comes * extra + (1.0 - comes) * (1.0 - extra)),
                    (2, comes * (1.0 - extra)))
    after = [0.0] * (len(backlog) + (extra is not None))
    waiting = 0.0
    for queued, chance in enumerate(backlog):
        if not chance:
            continue
        waiting += chance * comes * queued
        if extra is not None:
            waiting += chance * (1.0 - extra) * (queued + comes)
        for count, share in arrivals:
            after[max(0, queued + count - 1)] += chance * share
    return after, waiting


def _mean(backlog: list[float]) -> float:
    return sum(queued * chance for queued, chance in enumerate(backlog))


def plan_extras(rule: Rule, regular: Sequence[float | None], candidates: Sequence[float], *,
                overtime_weight: float = OVERTIME_WEIGHT) -> list[tuple[int, int]]:
    """The second pass over a full session: (slot index, candidate index) for each extra booking, candidates in
    their order while ``check_extra`` allows. Each extra goes into the allowed slot where it adds the least expected
    waiting plus ``overtime_weight`` x expected overtime (``expected_queue``; ties: the earlier slot): a risky slot
    early in the session rather than one at its end, where a patient who comes anyway pushes the session into
    overtime, and away from the other extras. How many extras a session gets is the rule's alone (``max_extra``,
    and ``alpha`` against the session's expected no-shows); each pair passes ``check_extra``, so a slot whose
    patient's risk is unknown (None) or low is never overbooked, as there."""
    if not (math.isfinite(overtime_weight) and overtime_weight >= 0):
        raise ValueError("the overtime weight must be a number of at least 0")
    slots = dict(enumerate(regular))
    placed: list[tuple[int, float]] = []
    plan: list[tuple[int, int]] = []
    for index, probability in enumerate(candidates):
        allowed = []
        for slot in slots:
            try:
                check_extra(rule, slots, len(regular), placed, slot, probability)
            except OverbookRefused as refused:
                if refused.reason in ("full", "attendance", "off", "regular_free"):
                    return plan  # no slot could take this candidate: the session is done
                continue
            allowed.append(slot)
        if not allowed:
            return plan
        costs = _costs(regular, dict(placed), allowed, probability, overtime_weight)
        best = min(allowed, key=lambda slot: (costs[slot], slot))
        placed.append((best, probability))
        plan.append((best, index))
    return plan


def _costs(regular: Sequence[float | None], placed: Mapping[int, float], allowed: Sequence[int],
           probability: float, overtime_weight: float) -> dict[int, float]:
    """Each allowed slot's expected waiting plus ``overtime_weight`` x expected overtime with one more extra
    there: the queue before the slot does not depend on it, so it is carried once and only the rest replayed."""
    before, waited = [[1.0]], [0.0]
    for slot, risk in enumerate(regular):
        backlog, waiting = _slot(before[-1], risk, placed.get(slot))
        before.append(backlog)
        waited.append(waited[-1] + waiting)
    costs = {}
    for chosen in allowed:
        backlog, waiting = before[chosen], waited[chosen]
        for slot in range(chosen, len(regular)):
            backlog, more = _slot(backlog, regular[slot], probability if slot == chosen else placed.get(slot))
            waiting += more
        costs[chosen] = waiting + overtime_weight * _mean(backlog)
    return costs
