"""`flask --app wsgi sim run` (docs/cli.md): one JSON line with the contract's fields, no database."""
import csv
import json
from pathlib import Path

import pytest

from app.scheduling.simulation_model import find_noshow_file, open_text
from app.services.noshow import save
from app.services.noshow.training import load_csv, train

REPO = Path(__file__).resolve().parent.parent.parent
SESSION_FIGURES = ("attended_utilisation", "mean_wait_min", "p90_wait_min", "p90_overtime_min", "extra_bookings",
                   "top_risk_decile_mean_wait_min")

CONTRACT = ("policy", "days", "seed", "patients", "mean_access_days", "p90_access_days", "cohort_mean_access_days",
            "cohort_p90_access_days", "freed_slots", "freed_24h_ahead", "refilled_share", "refilled_24h_ahead_share",
            "urgent_within_48h_share", "no_show_rate", "freed_24_48h_ahead", "refilled_24_48h_ahead_share")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """Every 24th row of the shipped file (about 3,000, spread over all its days): the sessions' probabilities
    and the region's no-show rates in seconds, not minutes (the real runs read the whole file)."""
    sample = tmp_path_factory.mktemp("sim") / "sample.csv"
    with open_text(find_noshow_file({}, REPO)) as fh, sample.open("w", newline="") as dest:
        reader, writer = csv.reader(fh), csv.writer(dest)
        writer.writerow(next(reader))
        writer.writerows(row for i, row in enumerate(reader) if i % 24 == 0)
    return sample


@pytest.fixture(scope="module")
def small_model(sample) -> Path:
    return save(train(load_csv(sample).rows), sample.parent / "model.joblib")


@pytest.fixture(autouse=True)
def sample_data(monkeypatch, sample):
    monkeypatch.setenv("NOSHOW_DATA", str(sample))


def _line(res) -> dict:
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_sim_run_prints_the_contract_line_for_both_policies(runner, small_model):
    base = _line(runner.invoke(args=["sim", "run", "--days", "20", "--seed", "3", "--policy", "baseline",
                                     "--model", str(small_model)]))
    wait = _line(runner.invoke(args=["sim", "run", "--days", "20", "--seed", "3", "--policy", "waitlist"]))
    for figures, policy in ((base, "baseline"), (wait, "waitlist")):
        assert set(CONTRACT) <= set(figures)
        assert (figures["policy"], figures["days"], figures["seed"]) == (policy, 20, 3)
        assert 0 <= figures["refilled_share"] <= 1 and 0 <= figures["urgent_within_48h_share"] <= 1
        assert figures["p90_access_days"] >= figures["mean_access_days"] > 0
    assert base["patients"] == wait["patients"] > 0  # the same demand
    assert wait["cohort_mean_access_days"] < base["cohort_mean_access_days"]
    again = _line(runner.invoke(args=["sim", "run", "--days", "20", "--seed", "3", "--policy", "waitlist"]))
    assert again == wait
    kept = _line(runner.invoke(args=["sim", "run", "--days", "20", "--seed", "3", "--policy", "waitlist",
                                     "--no-early-release"]))
    assert kept["near_slots_released_early"] == 0 and kept["patients"] == wait["patients"]


def test_sim_run_refuses_an_unknown_policy(runner):
    res = runner.invoke(args=["sim", "run", "--policy", "lottery"])
    assert res.exit_code == 2 and "--policy" in res.output


def test_sim_run_without_the_data_file_fails_clearly(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("NOSHOW_DATA", str(tmp_path / "missing.csv"))
    res = runner.invoke(args=["sim", "run", "--days", "5"])
    assert res.exit_code == 1
    assert "NOSHOW_DATA names no file" in res.output and "{" not in res.output


def test_overbooking_policies_add_the_session_figures(runner, small_model):
    lines = {p: _line(runner.invoke(args=["sim", "run", "--days", "5", "--seed", "2", "--policy", p,
                                          "--model", str(small_model)]))
             for p in ("baseline", "overbook-uniform", "overbook-predicted")}
    base, uniform, predicted = lines["baseline"], lines["overbook-uniform"], lines["overbook-predicted"]
    for figures in lines.values():
        assert set(SESSION_FIGURES) <= set(figures)
        assert 0 < figures["attended_utilisation"] <= 1
    assert base["extra_bookings"] == 0
    assert uniform["extra_bookings"] == predicted["extra_bookings"] > 0  # equal extra load
    assert predicted["attended_utilisation"] > base["attended_utilisation"]
    assert base["patients"] == predicted["patients"]  # the region's demand is the same
