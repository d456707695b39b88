"""The sessions of the clinic simulation (app/scheduling/simulation_sessions.py, docs/overbooking.md)."""
from __future__ import annotations

import random

import pytest

from app.scheduling.overbooking import Rule
from app.scheduling.simulation_sessions import (
    Booked,
    Session,
    SessionParams,
    book_extras,
    build_sessions,
    figures,
    play,
)

# a synthetic pool: probabilities that mean what they say (missed drawn with that chance)
_rng = random.Random(5)
POOL = [(p, _rng.random() < p) for p in (_rng.betavariate(1.2, 4) for _ in range(2000))]


def test_policies_compare_on_equal_ground():
    lines = {p: figures(POOL, 4, 120, p) for p in ("baseline", "overbook-uniform", "overbook-predicted")}
    base, uniform, predicted = lines["baseline"], lines["overbook-uniform"], lines["overbook-predicted"]
    assert base["extra_bookings"] == 0 and uniform["extra_bookings"] == predicted["extra_bookings"] > 0
    assert predicted["attended_utilisation"] > base["attended_utilisation"]
    assert predicted["mean_wait_min"] > base["mean_wait_min"]  # extra patients wait: the price of overbooking
    assert figures(POOL, 4, 120, "overbook-predicted") == predicted  # same seed, same line


def test_no_extra_over_a_low_risk_patient_and_never_more_than_k():
    params = SessionParams(rule=Rule(max_extra=2, alpha=1.0, low_risk=0.3))
    for session in build_sessions(POOL, 1, 50, params):
        book_extras([session], "overbook-predicted", params)
        assert len(session.extras) <= 2
        assert all(session.regular[slot].probability >= 0.3 for slot in session.extras)


def test_a_session_day_by_hand():
    params = SessionParams(slots=3, slot_minutes=10, early_minutes=0)
    came = [Booked(0.1, True, 10, 0), Booked(0.5, False, 10, 0), Booked(0.2, True, 10, 0)]
    waits, busy, overtime = play(Session(came, [], {0: Booked(0.3, True, 10, 0, True)}), params)
    # 0-10 the regular patient, 10-20 the extra (waited 10), 20-30 the third: the no-show's time was used
    assert [w for _, w in waits] == [0, 10, 0] and (busy, overtime) == (30, 0)


def test_unknown_policies_and_empty_pools_are_refused():
    with pytest.raises(ValueError):
        figures(POOL, 1, 3, "overbook-everyone")
    with pytest.raises(ValueError):
        figures([], 1, 3, "baseline")


def test_predicted_placement_beats_even_spreading_on_waits_and_overtime_at_equal_extras():
    # the placement (overbooking.plan_extras) puts extras where later no-shows absorb them; the same number spread
    # evenly waits longer and runs over more (docs/overbooking.md, "Simulation")
    for seed in (1, 2, 3):
        uniform, predicted = (figures(POOL, seed, 400, p) for p in ("overbook-uniform", "overbook-predicted"))
        assert uniform["extra_bookings"] == predicted["extra_bookings"] > 0
        assert predicted["mean_wait_min"] < uniform["mean_wait_min"]
        assert predicted["p90_overtime_min"] < uniform["p90_overtime_min"]
