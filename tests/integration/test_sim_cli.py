"""`flask --app wsgi sim run` (docs/cli.md): one JSON line with the contract's fields, no database."""
import json

CONTRACT = ("policy", "days", "seed", "patients", "mean_access_days", "p90_access_days", "cohort_mean_access_days",
            "cohort_p90_access_days", "freed_slots", "freed_24h_ahead", "refilled_share", "refilled_24h_ahead_share",
            "urgent_within_48h_share", "no_show_rate", "freed_24_48h_ahead", "refilled_24_48h_ahead_share")


def _line(res) -> dict:
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_sim_run_prints_the_contract_line_for_both_policies(runner):
    base = _line(runner.invoke(args=["sim", "run", "--days", "20", "--seed", "3", "--policy", "baseline"]))
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
