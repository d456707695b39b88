"""The model's variables: every feasible (request, seat class) option with its value, then the exact pruning.

docs/optimiser.md has the value formula ("Objective") and the proof behind the pruning ("Pruning").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .geo import distance_km
from .optimiser_feasible import DAY, Facts, SeatClass, seat_classes
from .optimiser_model import Capacity, Request, Weights


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


def candidates(requests: Sequence[Request], capacity: Sequence[Capacity], w: Weights, now: datetime,
               facts: Facts | None = None) -> Candidates:
    """Every feasible pair's options with their values, best first, then the exact pruning (``prune``).

    The value of request r on a seat with overbooking penalty alpha of slot s:
    (urgency + per_day_waited * min(waited, cap) + per_day_earlier * min(days earlier, cap) + urgent_within_window
    [urgent or emergency, starting within urgent_window_hours of now] - per_km * min(km, cap)) * (1 - overbooking *
    alpha), where "earlier" counts from the slot to the current booking, else to the end of the latest day, else
    to ``earlier_cap_days`` after now.

    The checks are ``why_not``'s, inlined for speed (a few hundred thousand pairs on the bench): ``Facts.groups``
    already holds only the right doctor or specialty, hospitals are checked once per group, and the starts are
    cut by bisection at ``now`` and at the request's cut-off. The property tests hold this and ``why_not`` to the
    same independent oracle.
    """
    facts = facts or Facts(capacity, now)
    classes, per_slot = seat_classes(capacity)
    shares = [[(g, 1.0 - w.overbooking * classes[g].alpha) for g in per_slot[j]] for j in range(len(capacity))]
    out = Candidates(classes=classes)
    slot_requests: list[set[int]] = [set() for _ in capacity]
    rows = facts.rows
    earlier_cap, per_day = w.earlier_cap_days, w.per_day_earlier
    window_end = now + timedelta(hours=w.urgent_window_hours)
    for i, r in enumerate(requests):
        options: list[tuple[float, datetime, int]] = []
        slots = seats = 0
        fixed = w.tier(r.urgency) + w.per_day_waited * min(r.waited_days, w.waited_cap_days)
        soon = w.urgent_within_window if r.urgency != "routine" else 0.0
        horizon = r.current_start if r.current_start is not None else (
            None if r.latest is not None else now + timedelta(days=earlier_cap))
        cutoff = facts.cutoff(r)
        kind, needs, hospitals, latest, times, urgency = (r.appointment_type, r.equipment, r.hospital_ids,
                                                          r.latest, r.times_of_day, r.urgency)
        for hospital, position, js, starts in facts.groups(r):
            if hospitals and hospital not in hospitals:
                continue
            dist = None if r.home is None or position is None else distance_km(r.home, position)
            if r.radius_km is not None and dist is not None and dist > r.radius_km:
                continue
            deduction = 0.0 if dist is None else w.per_km * min(dist, w.distance_cap_km)
            last = len(js) if cutoff is None else bisect_left(starts, cutoff)
            for j in js[bisect_left(starts, now):last]:
                start, types, equipment, day, band, count, tz, urgencies = rows[j]
                if ((kind is not None and types and kind not in types) or (needs and not needs <= equipment)
                        or (latest is not None and day > latest) or (times and band not in times)
                        or (urgencies and urgency not in urgencies) or count == 0):
                    continue
                until = horizon if horizon is not None else facts.day_end(latest, tz)
                base = fixed + per_day * min(max((until - start) / DAY, 0.0), earlier_cap) - deduction
                if soon and start < window_end:
                    base += soon
                slots += 1
                seats += count
                slot_requests[j].add(i)
                for g, share in shares[j]:
                    options.append((base * share, start, g))
        options.sort(key=lambda o: (-o[0], o[1], o[2]))
        out.options.append([(value, g) for value, _, g in options])
        out.feasible_slots.append(slots)
        out.feasible_seats.append(seats)
        out.pairs += slots
    prune(out, slot_requests)
    return out


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
        slots_seen: set[int] = set()
        seats = 0
        for n, (_, g) in enumerate(options):
            slot = classes[g].slot
            if slot not in slots_seen:
                slots_seen.add(slot)
                rivals |= slot_requests[slot]
            seats += len(classes[g].seats)
            if seats >= len(rivals):  # rivals includes this request itself: seats >= other requests + 1
                del options[n + 1:]
                break
