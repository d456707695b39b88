"""The overbooking decision of the core (app/scheduling/overbooking.py, docs/overbooking.md)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling import OverbookRefused, OverbookRuleInvalid
from app.scheduling.overbooking import (
    OFF,
    Rule,
    ScopedRule,
    check_extra,
    expected_attendance,
    expected_queue,
    most_specific,
    plan_extras,
)

RULE = Rule(max_extra=2, alpha=0.5, low_risk=0.2)
probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@pytest.mark.parametrize(("fields", "field"), [
    ({"max_extra": -1}, "max_extra"), ({"max_extra": 11}, "max_extra"), ({"max_extra": 1.5}, "max_extra"),
    ({"max_extra": True}, "max_extra"), ({"alpha": -0.1}, "alpha"), ({"alpha": float("nan")}, "alpha"),
    ({"alpha": 6}, "alpha"), ({"low_risk": 1.5}, "low_risk"),
])
def test_absurd_rules_are_refused_with_their_field(fields, field):
    with pytest.raises(OverbookRuleInvalid) as refused:
        Rule(**fields)
    assert refused.value.code == "overbook_rule_invalid" and refused.value.field == field


def test_an_extra_takes_the_next_seat_only_in_a_full_session():
    regular = {0: 0.5, 1: 0.4, 2: 0.1}
    assert check_extra(RULE, regular, 3, [], 0, 0.5) == 1
    assert check_extra(RULE, regular, 3, [(0, 0.5)], 1, 0.5) == 2
    cases = [(OFF, regular, 3, [], 0, "off"), (RULE, {0: 0.5}, 3, [], 0, "regular_free"),
             (RULE, regular, 3, [(0, 0.5), (1, 0.5)], 0, "full"), (RULE, regular, 3, [], 2, "low_risk"),
             (RULE, regular, 3, [(0, 0.5)], 0, "slot_has_extra"), (RULE, regular, 3, [], 7, "no_slot"),
             (RULE, {0: 0.5, 1: None}, 2, [], 1, "low_risk"),
             (Rule(max_extra=2, alpha=0.0), {0: 0.3, 1: 0.2}, 2, [], 0, "attendance")]
    for rule, booked, capacity, extras, slot, reason in cases:
        with pytest.raises(OverbookRefused) as refused:
            check_extra(rule, booked, capacity, extras, slot, 0.2)
        assert (refused.value.reason, refused.value.http_status) == (reason, 409)


def test_the_most_specific_rule_wins():
    region, doctor, typed = Rule(max_extra=1), Rule(max_extra=2), Rule(max_extra=3)
    rules = [ScopedRule(region), ScopedRule(doctor, 7), ScopedRule(typed, 7, "follow_up"), ScopedRule(OFF, 8)]
    assert most_specific(rules, 7, "follow_up") is typed
    assert most_specific(rules, 7, "new") is doctor
    assert most_specific(rules, 9, "follow_up") is region
    assert most_specific(rules, 8, None) is OFF
    assert most_specific([], 7, None) is OFF


@settings(max_examples=200, deadline=None)
@given(st.lists(probability, min_size=1, max_size=20), st.lists(probability, max_size=15),
       st.integers(0, 10), st.floats(0, 5), probability)
def test_a_plan_never_passes_its_limits(regular, candidates, max_extra, alpha, low_risk):
    rule = Rule(max_extra=max_extra, alpha=alpha, low_risk=low_risk)
    plan = plan_extras(rule, regular, candidates)
    slots = [s for s, _ in plan]
    assert len(plan) <= max_extra
    assert len(set(slots)) == len(slots)  # one extra per slot
    assert all(regular[s] >= low_risk for s in slots)  # never over a low-risk patient
    expected = expected_attendance([*regular, *(candidates[c] for _, c in plan)])
    assert expected <= len(regular) + alpha + 1e-6
    assert [c for _, c in plan] == list(range(len(plan)))  # candidates in their order


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, 1, 2]), st.sampled_from([None, "new", "follow_up"]),
                          st.integers(0, 10)), max_size=6),
       st.sampled_from([1, 2]), st.sampled_from([None, "new", "follow_up"]))
def test_the_winner_is_the_most_specific_applicable_rule(rows, doctor_id, appointment_type):
    rules = [ScopedRule(Rule(max_extra=k), d, t if d is not None else None) for d, t, k in rows]
    winner = most_specific(rules, doctor_id, appointment_type)
    applicable = [r for r in rules if r.doctor_id in (None, doctor_id)
                  and r.appointment_type in (None, appointment_type)]
    if not applicable:
        assert winner is OFF
    else:
        top = max(r.level for r in applicable)
        assert winner in [r.rule for r in applicable if r.level == top]


def test_the_expected_queue_by_hand():
    # one slot, both patients come: the extra waits one slot and the session runs one slot over
    assert expected_queue([0.0], {0: 0.0}) == (1.0, 1.0)
    # the next patient never comes: the extra's slot length is absorbed, no overtime
    assert expected_queue([0.0, 1.0], {0: 0.0}) == (1.0, 0.0)
    # an extra who comes half the time: waits one slot when they come, overtime half a slot; unknown risk = comes
    assert expected_queue([None, 0.0], {0: 0.5}) == (0.5 + 0.5, 0.5)
    assert expected_queue([0.5, 0.5], {}) == (0.0, 0.0)


def test_an_extra_goes_early_where_later_no_shows_absorb_it_not_into_the_last_slot():
    rule = Rule(max_extra=1, alpha=1.0, low_risk=0.15)
    regular = [0.3] * 13 + [0.35]  # the riskiest patient is the last one
    assert plan_extras(rule, regular, [0.2]) == [(0, 0)]
    # without any weight on overtime the last slot is cheapest (nobody after it waits): the weight is what moves it
    assert plan_extras(rule, regular, [0.2], overtime_weight=0) == [(13, 0)]
    # several extras spread out instead of piling up on each other
    slots = sorted(s for s, _ in plan_extras(Rule(max_extra=3, alpha=2.0), [0.3] * 14, [0.2] * 3))
    assert len(slots) == 3 and all(b - a >= 2 for a, b in zip(slots, slots[1:], strict=False))
    assert max(slots) < 12
    with pytest.raises(ValueError):
        plan_extras(rule, regular, [0.2], overtime_weight=-1)


@settings(max_examples=100, deadline=None)
@given(st.lists(probability, min_size=1, max_size=14), st.lists(probability, max_size=6), st.integers(0, 6),
       st.floats(0, 3), st.floats(0, 1))
def test_the_weight_moves_extras_but_never_changes_how_many_or_who(regular, candidates, max_extra, alpha, low_risk):
    rule = Rule(max_extra=max_extra, alpha=alpha, low_risk=low_risk)
    plans = [plan_extras(rule, regular, candidates, overtime_weight=w) for w in (0.0, 6.0, 50.0)]
    assert len({tuple(c for _, c in plan) for plan in plans}) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(probability, min_size=1, max_size=14), probability, st.floats(0, 20), st.floats(0, 20))
def test_a_heavier_overtime_weight_never_places_an_extra_where_it_runs_over_more(regular, extra, low, high):
    low, high = sorted((low, high))
    rule = Rule(max_extra=1, alpha=5.0, low_risk=0.0)
    placed = [plan_extras(rule, regular, [extra], overtime_weight=w) for w in (low, high)]
    if placed[0]:
        overtime = [expected_queue(regular, {plan[0][0]: extra})[1] for plan in placed]
        assert overtime[1] <= overtime[0] + 1e-9
