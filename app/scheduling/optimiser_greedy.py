"""The greedy allocation (urgency first, then value) and the seat numbering both solvers' answers go through.

The greedy is the fallback when HiGHS is absent or out of time, and the start HiGHS improves on, so the optimiser
never returns less than it (docs/optimiser.md, "Fallback").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .optimiser_candidates import Candidates
from .optimiser_model import URGENCIES, Request

Assignment = list[tuple[int, int]]  # (request index, seat class index)


def greedy(requests: Sequence[Request], cands: Candidates) -> Assignment:
    """Place requests one by one, most urgent first, then the highest best value, then input order; each takes
    its best still-free seat. First come, first served within a tier: no later request can bump an earlier one.
    """
    rank = {u: n for n, u in enumerate(URGENCIES)}
    order = sorted(
        (i for i, options in enumerate(cands.options) if options),
        key=lambda i: (rank[requests[i].urgency], -cands.options[i][0][0], i),
    )
    free = [len(k.seats) for k in cands.classes]
    out: Assignment = []
    for i in order:
        for _, g in cands.options[i]:
            if free[g] > 0:
                free[g] -= 1
                out.append((i, g))
                break
    return out


def value_of(cands: Candidates, i: int, g: int) -> float:
    """The value of request ``i`` on seat class ``g`` (an option it kept)."""
    for value, h in cands.options[i]:
        if h == g:
            return value
    raise KeyError((i, g))  # not an option: verify() refuses such an assignment first


def objective(cands: Candidates, assignment: Assignment) -> float:
    """The total value of an assignment."""
    return sum(value_of(cands, i, g) for i, g in assignment)


def consistent(cands: Candidates, assignment: Assignment) -> str | None:
    """Why an assignment of options is not usable (a request twice, a class over its seats, a pair that is not an
    option), or None."""
    placed: set[int] = set()
    used: dict[int, int] = defaultdict(int)
    for i, g in assignment:
        if i in placed:
            return f"request index {i} placed twice"
        placed.add(i)
        if not any(h == g for _, h in cands.options[i]):
            return f"request index {i} on seat class {g}, which it cannot take"
        used[g] += 1
        if used[g] > len(cands.classes[g].seats):
            return f"seat class {g} used beyond its seats"
    return None


def number_seats(cands: Candidates, assignment: Assignment) -> list[tuple[int, int, int, float]]:
    """``(request index, slot index, seat number, value)`` per placement: within a class, the highest value takes
    the first seat number, so the numbering is deterministic."""
    by_class: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for i, g in assignment:
        by_class[g].append((value_of(cands, i, g), i))
    out = []
    for g, placed in by_class.items():
        placed.sort(key=lambda p: (-p[0], p[1]))
        seat_class = cands.classes[g]
        for (value, i), seat in zip(placed, seat_class.seats, strict=False):
            out.append((i, seat_class.slot, seat, value))
    out.sort(key=lambda p: p[0])
    return out
