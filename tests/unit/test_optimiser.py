"""The optimiser (issue #16): optima worked out by hand, every hard constraint, degenerate input, the fallback and
the refusal of bad weights and input. The property tests are in test_optimiser_properties.py."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import highspy
import pytest

from app.scheduling import (
    AllocationInvalid,
    Capacity,
    Request,
    Weights,
    WeightsInvalid,
    allocate,
    optimiser_candidates,
    optimiser_highs,
)
from app.scheduling import optimiser_feasible as feasible
from app.scheduling.optimiser_instance import build

NOW = datetime(2026, 6, 1, 6)  # UTC
# Simple weights whose values are easy to add up by hand: urgency + days waited + days earlier, no distance.
SIMPLE = Weights(emergency=1000, urgent=100, routine=10, per_day_waited=1, waited_cap_days=365, per_day_earlier=1,
                 earlier_cap_days=30, urgent_within_window=0, per_km=0, distance_cap_km=0, overbooking=0.5)
BOOKED = NOW + timedelta(days=10, hours=3)  # the current booking of "earlier, please" requests: day 10, 09:00


def slot(sid, day=1, **kw):
    start = NOW + timedelta(days=day, hours=3)  # 09:00 UTC on day ``day``
    return Capacity(**{"id": sid, "doctor_id": 1, "hospital_id": 1, "start": start,
                       "end": start + timedelta(minutes=15), **kw})


def req(rid, urgency="routine", waited=0.0, **kw):
    return Request(**{"id": rid, "patient_id": 100 + rid, "urgency": urgency, "waited_days": waited,
                      "current_start": BOOKED, **kw})


def placed(result):
    return {p.request_id: (p.capacity_id, p.seat) for p in result.placements}


def reasons(result):
    return {u.request_id: u.reason for u in result.unplaced}


def test_an_emergency_takes_the_contested_seat_from_two_long_waiting_routines():
    result = allocate([req(1, waited=300), req(2, "emergency"), req(3, waited=200)], [slot(7)], SIMPLE, now=NOW)
    # emergency 1000 + 9 days earlier than its booking; the routines would be worth 319 and 219
    assert (result.solver, result.status) == ("highs", "optimal")
    assert placed(result) == {2: (7, 0)}
    assert result.objective == pytest.approx(1009)
    assert reasons(result) == {1: "outranked", 3: "outranked"}
    assert "went to placements worth more" in result.unplaced[0].detail


def test_first_come_greedy_loses_where_the_milp_places_both():
    # A (waited 100) fits slots 1 and 2, slot 1 a day earlier; B (waited 50) only fits slot 1 (mornings).
    # Greedy: A takes slot 1 (10 + 100 + 9 days earlier = 119), B is left: 119. Optimum: A on slot 2 (day 2 at
    # 14:00, 8 days less 5 hours earlier: 117.79) + B on slot 1 (10 + 50 + 9 = 69) = 186.79.
    slots = [slot(1, day=1), slot(2, day=2, start=NOW + timedelta(days=2, hours=8),
                                  end=NOW + timedelta(days=2, hours=8, minutes=15))]
    requests = [req(1, waited=100), req(2, waited=50, times_of_day=frozenset({"morning"}))]
    result = allocate(requests, slots, SIMPLE, now=NOW)
    greedy = allocate(requests, slots, SIMPLE, now=NOW, solver="greedy")
    assert greedy.objective == pytest.approx(119) and placed(greedy) == {1: (1, 0)}
    assert result.objective == pytest.approx(110 + 8 - 5 / 24 + 69)
    assert placed(result) == {1: (2, 0), 2: (1, 0)}
    assert result.greedy_objective == greedy.objective < result.objective


def test_overbooking_seats_go_to_the_placement_that_loses_least_on_them():
    # One regular seat and one overbooking seat (alpha 1: half the value with overbooking 0.5).
    # r1 worth 10 + 100 + 9 = 119, r2 worth 10 + 50 + 9 = 69: r1 regular + r2 overbooked = 119 + 34.5 = 153.5 beats
    # r2 regular + r1 overbooked = 69 + 59.5 = 128.5.
    result = allocate([req(1, waited=100), req(2, waited=50)], [slot(5, overbooking=(1.0,))], SIMPLE, now=NOW)
    assert placed(result) == {1: (5, 0), 2: (5, 1)}
    extra = next(p for p in result.placements if p.request_id == 2)
    assert (extra.overbooked, extra.alpha, extra.value) == (True, 1.0, pytest.approx(34.5))
    assert result.objective == pytest.approx(153.5)


def test_value_table_with_the_default_weights():
    w = Weights()
    home = (51.5, -0.1)
    r = req(1, "urgent", waited=3, home=home, current_start=None, latest=date(2026, 6, 3))
    c = slot(1, position=(51.5, 0.0))  # 6.92 km east
    dist = feasible.distance(r, c)
    result = allocate([r], [c], w, now=NOW)
    # 2000 + 3 days waited + 2 x (end of 3 June - 2 June 09:00 = 1.625 days) + 500 (27 hours ahead: within the
    # urgent window of 48 hours) - 0.5 x 6.92 km
    assert dist == pytest.approx(6.92, abs=0.005)
    assert result.objective == pytest.approx(2000 + 3 + 2 * 1.625 + 500 - 0.5 * dist)
    later = allocate([r], [slot(1, day=2, position=(51.5, 0.0))], w, now=NOW)  # 51 hours ahead: no bonus
    assert later.objective == pytest.approx(2000 + 3 + 2 * 0.625 - 0.5 * dist)


BASE_SLOT = dict(types=frozenset({"consult"}), equipment=frozenset({"ecg"}), specialty_id=3, hospital_id=4,
                 position=(51.5, -0.1))


@pytest.mark.parametrize(("change", "rule"), [
    ({"doctor_id": 9}, "doctor"),
    ({"specialty_id": 5}, "specialty"),
    ({"appointment_type": "procedure"}, "type"),
    ({"equipment": frozenset({"ecg", "xray"})}, "equipment"),
    ({"hospital_ids": frozenset({1, 2})}, "hospital"),
    ({"home": (52.5, -0.1), "radius_km": 50}, "radius"),
    ({"latest": date(2026, 6, 1)}, "latest_date"),
    ({"current_start": NOW + timedelta(days=1, hours=3)}, "not_earlier"),
    ({"times_of_day": frozenset({"afternoon", "evening"})}, "time_of_day"),
])
def test_every_hard_constraint_is_named_when_nothing_fits(change, rule):
    fits = req(1, specialty_id=3, appointment_type="consult", equipment=frozenset({"ecg"}),
               hospital_ids=frozenset({4}), home=(51.6, -0.1), radius_km=20, latest=date(2026, 6, 2))
    assert placed(allocate([fits], [slot(1, **BASE_SLOT)], now=NOW)) == {1: (1, 0)}
    result = allocate([replace(fits, **change)], [slot(1, **BASE_SLOT)], now=NOW)
    assert result.placements == ()
    (unplaced,) = result.unplaced
    assert (unplaced.reason, unplaced.rules) == ("no_feasible_slot", ((rule, 1),))
    assert feasible.RULES[rule] in unplaced.detail


def test_a_slot_kept_for_urgent_patients_goes_to_the_urgent_one_and_the_routine_one_is_told_why():
    kept = slot(1, urgencies=frozenset({"emergency", "urgent"}))
    routine, urgent = req(1, waited=300), req(2, "urgent")
    assert placed(allocate([routine, urgent], [kept], SIMPLE, now=NOW)) == {2: (1, 0)}
    alone = allocate([routine], [kept], SIMPLE, now=NOW)
    (unplaced,) = alone.unplaced
    assert (unplaced.reason, unplaced.rules) == ("no_feasible_slot", (("urgency", 1),))
    assert feasible.RULES["urgency"] in unplaced.detail
    assert placed(allocate([routine], [kept, slot(2, day=2)], SIMPLE, now=NOW)) == {1: (2, 0)}


def test_a_slot_with_no_seat_and_a_slot_that_started():
    result = allocate([req(1), req(2)], [slot(1, seats=0), slot(2, day=-1)], now=NOW)
    assert result.placements == () and result.variables == 0
    assert {frozenset(u.rules) for u in result.unplaced} == {frozenset({("no_seats", 1), ("started", 1)})}
    assert (result.solver, result.status, result.objective) == ("greedy", "optimal", 0)


def test_degenerate_inputs_give_clear_valid_results():
    nothing = allocate([], [], now=NOW)
    assert (nothing.placements, nothing.unplaced, nothing.objective, nothing.status) == ((), (), 0, "optimal")
    no_requests = allocate([], [slot(1)], now=NOW)
    assert no_requests.placements == () and no_requests.unplaced == ()
    no_capacity = allocate([req(1), req(2)], [], now=NOW)
    assert [(u.request_id, u.reason) for u in no_capacity.unplaced] == [(1, "no_capacity"), (2, "no_capacity")]


def test_every_request_is_either_placed_or_explained_once():
    instance = build(60, 150, seed=4)
    result = allocate(instance.requests, instance.capacity, now=instance.now)
    ids = [p.request_id for p in result.placements] + [u.request_id for u in result.unplaced]
    assert sorted(ids) == [r.id for r in instance.requests]
    assert {u.reason for u in result.unplaced} <= {"no_feasible_slot", "outranked"}


def test_the_pruning_keeps_the_optimum(monkeypatch):
    instance = build(120, 240, seed=5)
    pruned = allocate(instance.requests, instance.capacity, now=instance.now, time_limit=30)
    monkeypatch.setattr(optimiser_candidates, "prune", lambda cands, slot_requests: None)
    full = allocate(instance.requests, instance.capacity, now=instance.now, time_limit=30)
    assert (pruned.status, full.status) == ("optimal", "optimal")
    assert pruned.variables < full.variables
    assert pruned.objective == pytest.approx(full.objective)


def test_without_highspy_the_greedy_answers():
    requests, slots = [req(1, waited=100), req(2, waited=50, times_of_day=frozenset({"morning"}))], [slot(1)]
    result = allocate(requests, slots, SIMPLE, now=NOW, highs=None)
    assert (result.solver, result.status, result.note) == ("greedy", "fallback", "highspy is not installed")
    assert result.objective == result.greedy_objective == pytest.approx(119)


def test_a_zero_time_limit_falls_back_to_the_greedy():
    result = allocate([req(1), req(2)], [slot(1)], SIMPLE, now=NOW, time_limit=0)
    assert (result.solver, result.status, result.note) == ("greedy", "fallback", "no time left for the solver")
    assert len(result.placements) == 1


def _highs_stopping_with(primal_status):
    """A highspy whose solver always reports its time limit, with or without an incumbent."""

    class Stopped(highspy.Highs):
        def getModelStatus(self):  # noqa: N802 (highspy's name)
            return highspy.HighsModelStatus.kTimeLimit

        def getInfo(self):  # noqa: N802
            return SimpleNamespace(primal_solution_status=primal_status)

    fake = SimpleNamespace(**{name: getattr(highspy, name) for name in dir(highspy) if not name.startswith("__")})
    fake.Highs = Stopped
    return fake


def test_the_milp_stopped_by_its_time_limit_keeps_its_incumbent_or_falls_back(monkeypatch):
    monkeypatch.setattr(optimiser_highs, "RELAXATION_FIRST", False)  # the MILP path, from the greedy's start
    slots = [slot(1, day=1), slot(2, day=2, start=NOW + timedelta(days=2, hours=8),
                                  end=NOW + timedelta(days=2, hours=8, minutes=15))]
    requests = [req(1, waited=100), req(2, waited=50, times_of_day=frozenset({"morning"}))]
    assert allocate(requests, slots, SIMPLE, now=NOW).status == "optimal"
    kept = allocate(requests, slots, SIMPLE, now=NOW, highs=_highs_stopping_with(highspy.kSolutionStatusFeasible))
    assert (kept.solver, kept.status) == ("highs", "time_limit")
    assert kept.objective >= kept.greedy_objective
    none = allocate(requests, slots, SIMPLE, now=NOW, highs=_highs_stopping_with(highspy.kSolutionStatusNone))
    assert (none.solver, none.status, none.objective) == ("greedy", "fallback", pytest.approx(119))
    assert "no feasible solution" in none.note


def test_a_relaxation_stopped_by_its_time_limit_falls_back():
    result = allocate([req(1), req(2)], [slot(1)], SIMPLE, now=NOW,
                      highs=_highs_stopping_with(highspy.kSolutionStatusFeasible))
    assert (result.solver, result.status) == ("greedy", "fallback")
    assert result.note == "HiGHS ran out of time before an integral solution"


@pytest.mark.parametrize(("change", "field"), [
    ({"urgent": -1}, "urgent"),
    ({"routine": "a lot"}, "routine"),
    ({"per_km": float("nan")}, "per_km"),
    ({"per_day_waited": True}, "per_day_waited"),
    ({"overbooking": 1.0}, "overbooking"),
    ({"urgent": 20_000}, "urgent"),  # above emergency
    ({"per_km": 2.0}, "routine"),  # 2 x 100 km would outweigh a routine placement
])
def test_bad_weights_are_refused_with_the_weight_named(change, field):
    with pytest.raises(WeightsInvalid) as err:
        replace(Weights(), **change)
    assert err.value.field == field and err.value.http_status == 422


def test_weights_that_are_not_weights_are_refused():
    with pytest.raises(WeightsInvalid):
        allocate([], [], {"urgent": 1})


@pytest.mark.parametrize(("requests", "slots", "field"), [
    ([req(1), req(1)], [], "requests.1.id"),
    ([req(1, "soon")], [], "requests.0.urgency"),
    ([req(1, waited=-2)], [], "requests.0.waited_days"),
    ([req(1, times_of_day=frozenset({"night"}))], [], "requests.0.times_of_day"),
    ([], [slot(1), slot(1)], "capacity.1.id"),
    ([], [slot(1, seats=-1)], "capacity.0.seats"),
    ([], [slot(1, overbooking=(1.5,))], "capacity.0.overbooking"),
    ([], [slot(1, end=NOW)], "capacity.0.end"),
    ([], [slot(1, urgencies=frozenset({"vip"}))], "capacity.0.urgencies"),
])
def test_bad_input_is_refused_with_the_field_named(requests, slots, field):
    with pytest.raises(AllocationInvalid) as err:
        allocate(requests, slots, now=NOW)
    assert err.value.field == field
