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
