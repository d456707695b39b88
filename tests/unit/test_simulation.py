"""The clinic simulation (issue #7, item 6): real no-show rates, equal ground between policies, the waitlist's gain."""
import gzip
import math
from dataclasses import replace

import pytest

from app.scheduling.simulation import run, simulate, simulate_region
from app.scheduling.simulation_model import (
    NOON,
    NOSHOW_FILE,
    SimParams,
    SimulationDataError,
    find_noshow_file,
    lead_bucket,
    load_noshow_rates,
)
from app.scheduling.simulation_report import summarise
from tests.conftest import ROOT

# A small region that runs in well under a second per policy.
SMALL = SimParams(days=40, seed=7, clinics=2, runoff_days=70)


@pytest.fixture(scope="module")
def rates():
    return load_noshow_rates(find_noshow_file({}, ROOT))


def test_noshow_rates_from_the_real_data_rise_with_lead_time(rates):
    r = rates.rates
    assert 0.03 < r["0"] < 0.07  # same day: about 5 %
    assert 0.27 < r["15-30"] < 0.40  # two to four weeks: about a third
    assert r["0"] < r["1-2"] < r["3-7"] < r["8-14"] < r["15-30"]
    assert sum(rates.counts.values()) > 70_000 and rates.dropped > 0  # the dirty rows are left out
    assert rates.rate(0) == r["0"] and rates.rate(45) == r["31+"]


def test_dirty_rows_are_dropped(tmp_path):
    header = "PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,Neighbourhood,Scholarship," \
             "Hipertension,Diabetes,Alcoholism,Handcap,SMS_received,No-show\n"
    rows = [("2016-05-02T09:00:00Z", "2016-05-02T00:00:00Z", 30, "No"),  # same day
            ("2016-05-02T09:00:00Z", "2016-05-02T00:00:00Z", 30, "Yes"),
            ("2016-05-03T09:00:00Z", "2016-05-02T00:00:00Z", 30, "Yes"),  # appointment before booking
            ("2016-05-02T09:00:00Z", "2016-05-02T00:00:00Z", -1, "Yes")]  # age below zero
    for low in (1, 3, 8, 15, 31):
        rows.append(("2016-04-01T10:00:00Z", f"2016-{4 + (low + 1) // 30:02d}-{(low + 1) % 30 or 1:02d}T00:00:00Z",
                     40, "No"))
    body = "".join(f"1,2,F,{s},{a},{age},X,0,0,0,0,0,0,{n}\n" for s, a, age, n in rows)
    path = tmp_path / "a.csv"
    path.write_text(header + body)
    rates = load_noshow_rates(path)
    assert rates.dropped == 2
    assert rates.counts["0"] == 2 and rates.rates["0"] == 0.5


def test_lead_buckets():
    assert [lead_bucket(d) for d in (0, 1, 2, 3, 7, 8, 14, 15, 30, 31, 400)] == \
        ["0", "1-2", "1-2", "3-7", "3-7", "8-14", "8-14", "15-30", "15-30", "31+", "31+"]


def test_a_missing_data_file_is_a_clear_error(tmp_path):
    with pytest.raises(SimulationDataError, match="not found"):
        load_noshow_rates(tmp_path / NOSHOW_FILE)
    with pytest.raises(SimulationDataError, match="NOSHOW_DATA"):
        find_noshow_file({"NOSHOW_DATA": str(tmp_path / "gone.csv")}, ROOT)
    with pytest.raises(SimulationDataError, match="not found"):
        simulate(10, 1, "baseline", tmp_path / "gone.csv")


def test_the_data_file_ships_in_the_repository(tmp_path):
    """data/noshow/ holds the compressed file (issue #11, part 12); NOSHOW_DATA still names another copy."""
    shipped = find_noshow_file({}, ROOT)
    assert shipped == ROOT / "data" / "noshow" / f"{NOSHOW_FILE}.gz"
    assert shipped.resolve().is_relative_to(ROOT.resolve())
    # nothing beside or above the repository is looked at
    (tmp_path / "shared" / "data" / "noshow").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "noshow" / NOSHOW_FILE).write_text("x")
    with pytest.raises(SimulationDataError, match="not found"):
        find_noshow_file({}, tmp_path / "main")
    own = tmp_path / "mine.csv"
    own.write_text("x")
    assert find_noshow_file({"NOSHOW_DATA": str(own)}, "/nowhere") == own


def test_gzip_and_plain_files_give_the_same_rates(tmp_path, rates):
    plain = tmp_path / NOSHOW_FILE
    with gzip.open(find_noshow_file({}, ROOT), "rb") as packed:
        plain.write_bytes(packed.read())
    assert load_noshow_rates(plain) == rates
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(SimulationDataError, match="cannot read"):
        load_noshow_rates(broken)


def test_same_seed_same_output(rates):
    for policy in ("baseline", "waitlist"):
        params = replace(SMALL, policy=policy)
        assert run(params, rates) == run(params, rates)
    assert run(SMALL, rates) != run(replace(SMALL, seed=8), rates)


def test_same_demand_cancellations_and_no_shows_under_both_policies(rates):
    regions = [simulate_region(replace(SMALL, policy=p), rates) for p in ("baseline", "waitlist")]

    def demand(region):
        return [(x.pid, x.requested, x.urgent, x.home, x.measured, x.opt_in, x.min_notice, x.cancel_u,
                 x.cancel_notice, x.rebooks, x.noshow_u) for x in region.patients]

    baseline, waitlist = (demand(r) for r in regions)
    assert baseline == waitlist and len(baseline) > 1000
    # what differs is dates: some patients did move
    moved = sum(a.day != b.day for a, b in zip(*(r.patients for r in regions), strict=True))
    assert moved > 100


def test_waitlist_beats_baseline_and_refills_the_slots_freed_ahead(rates):
    base = run(SMALL, rates)
    wait = run(replace(SMALL, policy="waitlist"), rates)
    assert base["patients"] == wait["patients"] and base["cohort_patients"] == wait["cohort_patients"]
    assert base["waitlist_joined"] == 0 and wait["waitlist_joined"] > 0
    # The issue asks for 40 % lower: the default region (6 clinics, seeds 1 and 2) gets 44 %, with the urgent
    # window and the late release under its urgent reserve; this two-clinic region keeps a relatively larger reserve
    # and gets 37 %, so the bound here is 35 %.
    assert wait["cohort_mean_access_days"] <= 0.65 * base["cohort_mean_access_days"]
    assert wait["mean_access_days"] < base["mean_access_days"]
    assert wait["urgent_within_48h_share"] >= base["urgent_within_48h_share"]
    assert wait["urgent_mean_access_days"] < base["urgent_mean_access_days"]
    assert wait["freed_24h_ahead"] > 50 and wait["refilled_24h_ahead_share"] >= 0.9
    assert base["unresolved"] == wait["unresolved"] == 0
    assert 0.2 < base["no_show_rate"] < 0.4  # weeks-long leads miss about a third, as in the data


def _late_urgent(region) -> list:
    """Measured urgent patients seen more than two days after asking."""
    return [x for x in region.patients if x.measured and x.urgent and x.outcome in ("attended", "no_show")
            and x.day - math.floor(x.requested) > 2]


def _friday_afternoon(patient) -> bool:
    # clinics see patients at noon, Monday to Friday: after Friday noon the next clinic day is three days away
    return math.floor(patient.requested) % 7 == 4 and patient.requested % 1 >= NOON


def test_the_urgent_window_keeps_near_slots_for_urgent_patients(rates):
    base, wait, without = (simulate_region(params, rates) for params in (
        SMALL, replace(SMALL, policy="waitlist"), replace(SMALL, policy="waitlist", urgent_window_hours=0)))
    # with the window, the only urgent patients seen late are those no clinic day within 48 h could serve,
    # under both policies; without it (near slots pushed to routine patients) urgent patients who could have
    # been seen in time are not
    assert _late_urgent(base) and all(_friday_afternoon(x) for x in _late_urgent(base))
    assert all(_friday_afternoon(x) for x in _late_urgent(wait))
    assert sum(not _friday_afternoon(x) for x in _late_urgent(without)) > 10
    shares = [summarise(r)["urgent_within_48h_share"] for r in (base, wait, without)]
    assert shares[1] >= shares[0] > shares[2]
    # ... which is where the cohort's larger gain came from: the trade-off the window makes
    cohort = [summarise(r)["cohort_mean_access_days"] for r in (base, wait, without)]
    assert cohort[2] < cohort[1] < cohort[0]


def test_the_late_release_gives_the_cohort_its_gain_and_the_reserve_keeps_urgent_access(rates):
    base, late, bare, never = (run(params, rates) for params in (
        SMALL, replace(SMALL, policy="waitlist"), replace(SMALL, policy="waitlist", late_release_reserve=-1),
        replace(SMALL, policy="waitlist", late_release_hours=0)))
    # without the late release the slots nobody urgent took are lost to the cohort: a far smaller gain
    assert never["cohort_mean_access_days"] > 0.8 * base["cohort_mean_access_days"]
    assert late["cohort_mean_access_days"] < 0.75 * never["cohort_mean_access_days"]
    assert late["utilisation"] > never["utilisation"] + 0.04
    # released with no reserve, Friday's late-morning urgent requests lose Friday's slots and wait until Monday
    assert bare["urgent_within_48h_share"] < base["urgent_within_48h_share"] - 0.01
    assert late["urgent_within_48h_share"] >= base["urgent_within_48h_share"]
    region = simulate_region(replace(SMALL, policy="waitlist", late_release_reserve=-1), rates)
    assert sum(not _friday_afternoon(x) for x in _late_urgent(region)) > 5


def test_the_early_release_offers_near_slots_at_once_only_when_the_day_can_spare_them(rates):
    calm = replace(SMALL, policy="waitlist", urgent_share=0.02, load=0.75)  # few urgent requests, room to spare
    on, off = run(calm, rates), run(replace(calm, early_release=False), rates)
    assert on["near_slots_released_early"] > 100 and off["near_slots_released_early"] == 0
    assert on["near_slots_released_late"] < off["near_slots_released_late"]  # offered when freed, not on the day
    assert on["urgent_within_48h_share"] >= off["urgent_within_48h_share"]  # nobody urgent paid for it
    assert on["freed_24_48h_ahead"] > 10 and on["refilled_24_48h_ahead_share"] >= 0.9
    # the calibrated region's urgent demand uses its spare slots: the day's reserve is hardly ever covered
    busy = run(replace(SMALL, policy="waitlist"), rates)
    assert busy["near_slots_released_early"] < 0.01 * busy["near_slots_released_late"]


def test_an_unknown_policy_is_refused(rates):
    with pytest.raises(ValueError, match="policy"):
        run(replace(SMALL, policy="lottery"), rates)
