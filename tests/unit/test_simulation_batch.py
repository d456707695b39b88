"""The ``waitlist-optimised`` simulation policy (issue #16, part 6): freed slots offered in optimiser batches."""
from dataclasses import replace

import pytest

from app.scheduling.simulation import Region, run, simulate_region
from app.scheduling.simulation_model import Patient, SimParams, find_noshow_file, load_noshow_rates
from app.scheduling.simulation_report import summarise
from tests.conftest import ROOT

SMALL = SimParams(days=40, seed=7, clinics=2, runoff_days=70)


@pytest.fixture(scope="module")
def rates():
    return load_noshow_rates(find_noshow_file({}, ROOT))


def _waiting(region: Region, pid: int, urgent: bool, day: int, requested: float) -> Patient:
    patient = Patient.draw(region.p, pid, requested, urgent, 0, True)
    patient.clinic, patient.day, patient.waiting = 0, day, True
    region.waitlist[0].add(patient)
    return patient


def test_a_batch_gives_the_urgent_only_slot_to_the_urgent_patient_and_the_open_one_to_the_longest_wait(rates):
    region = Region(replace(SMALL, policy="waitlist-optimised"), rates)
    region.env.run(until=10.3)  # a Thursday morning: day 11 (Friday) is inside the urgent window
    urgent = _waiting(region, 1, True, 14, 10.0)
    long_wait = _waiting(region, 2, False, 30, 1.0)
    _waiting(region, 3, False, 30, 9.0)  # waited less: left for the greedy offers
    late = _waiting(region, 4, False, 11, 0.0)  # booked the same day as the near slot: no gain, not a candidate
    region.pending = [(0, 11, False), (0, 17, False)]
    placed = region._run_batch()
    assert [(p.pid, clinic, day) for p, clinic, day in placed] == [(1, 0, 11), (2, 0, 17)]
    assert region.counts["batches"] == 1 and region.counts["batch_placements"] == 2
    region.env.run(until=10.5)  # the offers' hold has passed: accepted ones moved, declined ones went on
    assert region.counts["offers"] >= 2 and late.day == 11 and late.version == 0
    assert not urgent.offered and urgent.day in (11, 14) and long_wait.day in (17, 30)


def test_optimised_batches_keep_the_waitlists_gain_on_the_same_demand(rates):
    params = replace(SMALL, days=20)
    base = run(params, rates)
    region = simulate_region(replace(params, policy="waitlist-optimised"), rates)
    optimised = summarise(region)
    assert optimised["policy"] == "waitlist-optimised" and optimised["patients"] == base["patients"]
    assert region.counts["batches"] > 10 and region.counts["batch_placements"] > 50
    assert optimised["moved_earlier"] > 50 and optimised["refilled_24h_ahead_share"] >= 0.9
    assert optimised["cohort_mean_access_days"] <= 0.8 * base["cohort_mean_access_days"]
    assert optimised["urgent_within_48h_share"] >= base["urgent_within_48h_share"]
    assert optimised["unresolved"] == 0
