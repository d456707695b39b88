"""Property tests of the optimiser over random small instances, against an oracle written here from the rules in
docs/optimiser.md: every placement feasible and valued as documented, no seat or request twice, the objective the
exhaustive optimum, never below the greedy's."""

from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling import Capacity, Request, Weights, allocate, optimiser_highs
from app.scheduling.geo import distance_km

NOW = datetime(2026, 6, 1, 6)
POSITIONS = {1: (51.50, -0.12), 2: (51.45, -0.97), 3: (51.75, -1.26)}
HOURS = (3, 8, 12)  # 09:00, 14:00 and 18:00 UTC: morning, afternoon, evening
W = Weights()


@st.composite
def slots(draw, sid):
    start = NOW + timedelta(days=draw(st.integers(-1, 4)), hours=draw(st.sampled_from(HOURS)))
    hospital = draw(st.sampled_from(sorted(POSITIONS)))
    return Capacity(sid, draw(st.integers(1, 2)), hospital, start, start + timedelta(minutes=15),
                    POSITIONS[hospital], UTC, draw(st.integers(1, 2)),
                    draw(st.frozensets(st.sampled_from("ab"))), draw(st.frozensets(st.just("x"))),
                    draw(st.integers(0, 2)), tuple(draw(st.lists(st.sampled_from([0.0, 0.3, 1.0]), max_size=1))),
                    draw(often(frozenset(), st.just(frozenset({"emergency", "urgent"})))))


def often(empty, strategy):
    """Mostly no constraint, sometimes one: small instances where placements happen and compete."""
    return st.one_of(st.just(empty), st.just(empty), strategy)


@st.composite
def requests(draw, rid):
    return Request(rid, 100 + rid, draw(st.sampled_from(["emergency", "urgent", "routine"])),
                   draw(st.floats(0, 400, allow_nan=False)),
                   draw(often(None, st.dates(date(2026, 6, 1), date(2026, 6, 6)))),
                   draw(often(None, st.integers(1, 2))), draw(often(None, st.integers(1, 2))),
                   draw(often(frozenset(), st.frozensets(st.sampled_from(sorted(POSITIONS)), min_size=1))),
                   draw(st.none() | st.sampled_from(sorted(POSITIONS.values()))),
                   draw(often(None, st.sampled_from([10.0, 80.0]))),
                   draw(often(frozenset(), st.frozensets(st.sampled_from(["morning", "afternoon", "evening"])))),
                   draw(often(None, st.sampled_from("ab"))), draw(often(frozenset(), st.just(frozenset("x")))),
                   draw(often(None, st.integers(1, 6).map(lambda d: NOW + timedelta(days=d, hours=3)))))


@st.composite
def instances(draw):
    n_slots, n_requests = draw(st.integers(0, 4)), draw(st.integers(0, 5))
    return ([draw(requests(i)) for i in range(1, n_requests + 1)], [draw(slots(j)) for j in range(1, n_slots + 1)])


def feasible(r: Request, c: Capacity) -> bool:
    hour = c.start.hour
    band = "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"
    dist = distance_km(r.home, c.position) if r.home and c.position else None
    return (c.start >= NOW
            and (r.doctor_id is None or r.doctor_id == c.doctor_id)
            and (r.doctor_id is not None or r.specialty_id is None or r.specialty_id == c.specialty_id)
            and (r.appointment_type is None or not c.types or r.appointment_type in c.types)
            and r.equipment <= c.equipment
            and (not r.hospital_ids or c.hospital_id in r.hospital_ids)
            and (r.radius_km is None or dist is None or dist <= r.radius_km)
            and (r.latest is None or c.start.date() <= r.latest)
            and (r.current_start is None or c.start < r.current_start)
            and (not r.times_of_day or band in r.times_of_day)
            and (not c.urgencies or r.urgency in c.urgencies))


def value(r: Request, c: Capacity, seat: int) -> float:
    if r.current_start is not None:
        horizon = r.current_start
    elif r.latest is not None:
        horizon = datetime.combine(r.latest + timedelta(days=1), datetime.min.time())
    else:
        horizon = NOW + timedelta(days=W.earlier_cap_days)
    earlier = max((horizon - c.start) / timedelta(days=1), 0)
    v = {"emergency": W.emergency, "urgent": W.urgent, "routine": W.routine}[r.urgency]
    v += W.per_day_waited * min(r.waited_days, W.waited_cap_days) + W.per_day_earlier * min(earlier,
                                                                                             W.earlier_cap_days)
    if r.urgency != "routine" and c.start < NOW + timedelta(hours=W.urgent_window_hours):
        v += W.urgent_within_window
    if r.home and c.position:
        v -= W.per_km * min(distance_km(r.home, c.position), W.distance_cap_km)
    alpha = 0.0 if seat < c.seats else c.overbooking[seat - c.seats]
    return v * (1 - W.overbooking * alpha)


def optimum(reqs: list[Request], caps: list[Capacity]) -> float:
    seats = [(c, s) for c in caps for s in range(c.seats + len(c.overbooking))]

    @cache
    def best(i: int, used: int) -> float:
        if i == len(reqs):
            return 0.0
        top = best(i + 1, used)
        for k, (c, s) in enumerate(seats):
            if not used & (1 << k) and feasible(reqs[i], c):
                top = max(top, value(reqs[i], c, s) + best(i + 1, used | (1 << k)))
        return top

    return best(0, 0)


def check(result, reqs: list[Request], caps: list[Capacity]) -> None:
    by_request, by_slot = {r.id: r for r in reqs}, {c.id: c for c in caps}
    seats = [(p.capacity_id, p.seat) for p in result.placements]
    assert len(set(seats)) == len(seats), "a seat used twice"
    ids = [p.request_id for p in result.placements] + [u.request_id for u in result.unplaced]
    assert sorted(ids) == sorted(by_request), "every request placed or explained, once"
    for p in result.placements:
        r, c = by_request[p.request_id], by_slot[p.capacity_id]
        assert feasible(r, c), f"request {r.id} on slot {c.id} breaks a hard constraint"
        assert 0 <= p.seat < c.seats + len(c.overbooking)
        assert p.value == pytest.approx(value(r, c, p.seat), abs=1e-5)
    assert result.objective == pytest.approx(sum(p.value for p in result.placements), abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_random_small_instances_are_solved_feasibly_and_optimally(instance):
    result, best = _solved_feasibly_and_optimally(*instance)
    assert result.objective == pytest.approx(best, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_the_milp_path_finds_the_same_optima(instance):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(optimiser_highs, "RELAXATION_FIRST", False)
        result, best = _solved_feasibly_and_optimally(*instance)
    assert result.objective == pytest.approx(best, abs=1e-4)


def _solved_feasibly_and_optimally(reqs: list[Request], caps: list[Capacity]):
    """The optimiser's result, checked for feasibility and against greedy, and the brute-force optimum."""
    result = allocate(reqs, caps, now=NOW, time_limit=10)
    greedy = allocate(reqs, caps, now=NOW, solver="greedy")
    check(result, reqs, caps)
    check(greedy, reqs, caps)
    assert result.status == "optimal"
    assert result.objective >= greedy.objective - 1e-6
    assert result.greedy_objective == pytest.approx(greedy.objective)
    return result, optimum(reqs, caps)
