"""The optimiser: place waiting patients on free seats, the most urgent first, as a MILP on HiGHS.

``allocate(requests, capacity, weights)`` builds a binary variable for each feasible (request, seat class) pair
that survives the exact pruning, maximises the total value of the placements (emergency >> urgent >> routine,
more for a longer wait and an earlier slot, less for distance and for overbooking seats), and answers a
``Result``: what was placed where, what was not and why, and which solver ran. docs/optimiser.md describes the
model, the weights, the pruning and the fallback.

Every answer is checked against the original requests and slots before it is returned: each request at most once,
each seat at most once, every placement meeting every hard constraint. A solver answer that fails the check is
replaced by the greedy's; a greedy answer that failed would be a bug and raises.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .errors import WeightsInvalid
from .optimiser_candidates import Candidates, candidates
from .optimiser_feasible import RULES, Facts, blocking_rules, distance, earliest_start, why_not
from .optimiser_greedy import Assignment, consistent, greedy, number_seats, objective
from .optimiser_highs import HIGHSPY, solve
from .optimiser_model import Capacity, Request, Weights, validate_inputs, validate_weights
from .timeutil import local_day
from .waitlist import time_of_day

SOLVERS = ("highs", "greedy")
DEFAULT_TIME_LIMIT = 1.0  # seconds: a nightly batch or a desk's "fill the freed slots" button waits no longer


@dataclass(frozen=True)
class Placement:
    """Request ``request_id`` takes seat ``seat`` of slot ``capacity_id``, worth ``value``."""

    request_id: int
    patient_id: int
    capacity_id: int
    seat: int
    start: datetime
    value: float
    overbooked: bool = False  # an overbooking seat (numbered after the regular seats)
    alpha: float = 0.0  # the seat's overbooking penalty; 0 on a regular seat


@dataclass(frozen=True)
class Unplaced:
    """A request left out, and why: ``reason`` "no_capacity" (no free slot at all), "no_feasible_slot" (no slot
    meets its constraints; ``rules`` counts the slots each constraint ruled out, most first) or "outranked" (its
    feasible seats went to placements worth more)."""

    request_id: int
    patient_id: int
    reason: str
    detail: str
    rules: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Result:
    """The optimiser's answer. ``solver`` "highs" or "greedy" says which produced the placements; ``status``:
    "optimal" (proved, or nothing to choose), "time_limit" (HiGHS's best when its time ran out: still at least the
    greedy's) or "fallback" (the greedy, because HiGHS was absent, out of time without a solution, or asked not
    to run; ``note`` says which)."""

    solver: str
    status: str
    objective: float
    greedy_objective: float
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    variables: int  # binaries in the model, after pruning
    pairs: int  # feasible (request, slot) pairs with a seat, before pruning
    seconds: float
    note: str = ""


class InconsistentSolutionError(AssertionError):
    """A solution broke a hard constraint: never returned, always a bug."""


def allocate(requests: Sequence[Request], capacity: Sequence[Capacity], weights: Weights | None = None, *,
             time_limit: float = DEFAULT_TIME_LIMIT, solver: str = "highs", now: datetime | None = None,
             highs=HIGHSPY) -> Result:
    """Place ``requests`` on the seats of ``capacity``; see the module docstring.

    ``time_limit`` (seconds) bounds the whole call's solver time: HiGHS gets what is left after building the
    model; with none left, or ``solver="greedy"``, the greedy answers. ``now`` (default: the first slot's start)
    rules out slots that have started and anchors "earlier" for requests with no booking and no latest date.
    ``highs`` is the highspy module; ``None`` runs as if it were not installed.
    """
    started = _time.perf_counter()
    weights = Weights() if weights is None else weights
    if not isinstance(weights, Weights):
        raise WeightsInvalid("Weights must be a Weights value.", None)
    validate_weights(weights)
    validate_inputs(requests, capacity)
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, not {solver!r}")
    now = earliest_start(capacity) if now is None else now
    facts = Facts(capacity, now)
    cands = candidates(requests, capacity, weights, now, facts)
    first = greedy(requests, cands)
    _check(cands, first, requests, capacity, now)
    greedy_value = objective(cands, first)
    chosen, solver_used, status, note = first, "greedy", "fallback", ""
    left = time_limit - (_time.perf_counter() - started)
    if cands.variables == 0:
        status, note = "optimal", "nothing to choose: no request has a feasible seat"
    elif solver == "greedy":
        note = "the greedy was asked for"
    elif left <= 0:
        note = "no time left for the solver"
    else:
        outcome = solve(cands, first, left, highs)
        note = outcome.note
        if outcome.assignment is not None:
            problem = consistent(cands, outcome.assignment)
            if problem is None and objective(cands, outcome.assignment) >= greedy_value - 1e-9:
                chosen, solver_used, status = outcome.assignment, "highs", outcome.status
                _check(cands, chosen, requests, capacity, now)
            else:
                note = f"the solver's answer was not used: {problem or 'below the greedy'}"
    placements = _placements(cands, chosen, requests, capacity)
    return Result(solver_used, status, round(objective(cands, chosen), 6), round(greedy_value, 6),
                  tuple(placements), _unplaced(requests, capacity, cands, chosen, facts, now),
                  cands.variables, cands.pairs, round(_time.perf_counter() - started, 4), note)


def _placements(cands: Candidates, assignment: Assignment, requests: Sequence[Request],
                capacity: Sequence[Capacity]) -> list[Placement]:
    out = []
    for i, j, seat, value in number_seats(cands, assignment):
        r, c = requests[i], capacity[j]
        out.append(Placement(r.id, r.patient_id, c.id, seat, c.start, round(value, 6), seat >= c.seats,
                             c.alpha(seat)))
    return out


def _check(cands: Candidates, assignment: Assignment, requests: Sequence[Request], capacity: Sequence[Capacity],
           now: datetime) -> None:
    """Raise ``InconsistentSolutionError`` unless every placement is feasible and no request or seat is used
    twice, checked on the original requests and slots rather than the model's indices."""
    problem = consistent(cands, assignment)
    if problem is not None:
        raise InconsistentSolutionError(problem)
    requests_seen: set[int] = set()
    seats_seen: set[tuple[int, int]] = set()
    for i, j, seat, _ in number_seats(cands, assignment):
        r, c = requests[i], capacity[j]
        if r.id in requests_seen or (c.id, seat) in seats_seen or not 0 <= seat < c.seat_count:
            raise InconsistentSolutionError(f"request {r.id} or seat {seat} of slot {c.id}: twice or out of range")
        requests_seen.add(r.id)
        seats_seen.add((c.id, seat))
        rule = why_not(r, c, local_day(c.start, c.tz), time_of_day(c.start, c.tz), now, distance(r, c))
        if rule is not None:
            raise InconsistentSolutionError(f"request {r.id} placed on slot {c.id}, which breaks {rule!r}")


def _unplaced(requests: Sequence[Request], capacity: Sequence[Capacity], cands: Candidates, assignment: Assignment,
              facts: Facts, now: datetime) -> tuple[Unplaced, ...]:
    placed = {i for i, _ in assignment}
    out = []
    for i, r in enumerate(requests):
        if i in placed:
            continue
        if not capacity:
            out.append(Unplaced(r.id, r.patient_id, "no_capacity", "there is no free slot at all"))
        elif cands.feasible_slots[i] == 0:
            counts = blocking_rules(r, capacity, facts, now).most_common()
            top, n = counts[0]
            detail = f"no slot fits: {RULES[top]} ({n} of {sum(k for _, k in counts)} slots)"
            out.append(Unplaced(r.id, r.patient_id, "no_feasible_slot", detail, tuple(counts)))
        else:
            seats = cands.feasible_seats[i]
            detail = (f"all {seats} feasible seat{'s' if seats != 1 else ''} in {cands.feasible_slots[i]} "
                      f"slot{'s' if cands.feasible_slots[i] != 1 else ''} went to placements worth more")
            out.append(Unplaced(r.id, r.patient_id, "outranked", detail))
    return tuple(out)
