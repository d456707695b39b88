"""`flask noshow train` and `noshow evaluate` on a small sample of the shipped data set (docs/noshow.md)."""
import csv
import json
from pathlib import Path

import pytest

from app.scheduling.simulation_model import find_noshow_file, open_text
from app.services.noshow import load, save

REPO = Path(__file__).resolve().parent.parent.parent
KEYS = {"roc_auc", "pr_auc", "brier", "base_rate", "n"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """Every 24th row of the shipped file (about 3,000): the file is ordered by day, so a sample spread over all
    of its days keeps later days to hold out."""
    out = tmp_path_factory.mktemp("noshow") / "sample.csv"
    with open_text(find_noshow_file({}, REPO)) as fh, out.open("w", newline="") as dest:
        reader = csv.reader(fh)
        writer = csv.writer(dest)
        writer.writerow(next(reader))
        writer.writerows(row for i, row in enumerate(reader) if i % 24 == 0)
    return out


def _line(res) -> dict:
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_train_then_evaluate_on_the_later_days(runner, sample, tmp_path):
    model = tmp_path / "model.joblib"
    trained = _line(runner.invoke(args=["noshow", "train", "--csv", str(sample), "--out", str(model)]))
    assert model.is_file()
    assert trained["model"] in {"logistic_regression", "linear_svm", "gradient_boosting"}
    assert {c["model"] for c in trained["comparison"]} == {"logistic_regression", "linear_svm", "gradient_boosting"}
    assert trained["trained_to"] < trained["held_out_from"]
    judged = _line(runner.invoke(args=["noshow", "evaluate", "--model", str(model), "--csv", str(sample)]))
    assert KEYS <= set(judged)
    assert isinstance(judged["roc_auc"], float) and 0.5 < judged["roc_auc"] <= 1
    assert 0 < judged["base_rate"] < 1 and 0 < judged["pr_auc"] <= 1
    assert judged["brier"] < judged["base_rate"] * (1 - judged["base_rate"])  # calibrated: beats a constant
    assert judged["n"] == trained["n"]  # the same held-out days, judged the same way
    assert (judged["roc_auc"], judged["brier"]) == (trained["roc_auc"], trained["brier"])
    # the sample as history as well changes nothing: an appointment in both files counts once
    again = _line(runner.invoke(args=["noshow", "evaluate", "--model", str(model), "--csv", str(sample),
                                      "--history", str(sample)]))
    assert again == judged
    # a file with nothing after the training period has nothing to judge
    early = tmp_path / "early.csv"
    lines = sample.read_text().splitlines()
    early.write_text("\n".join([lines[0], *(x for x in lines[1:] if x.split(",")[4].startswith("2016-04-29"))]) + "\n")
    res = runner.invoke(args=["noshow", "evaluate", "--model", str(model), "--csv", str(early)])
    assert res.exit_code == 1 and "no appointments after the model's training period" in res.output
    # a model file of another version is refused
    record = load(model)
    record.version = 99
    other = save(record, tmp_path / "other.joblib")
    res = runner.invoke(args=["noshow", "evaluate", "--model", str(other), "--csv", str(sample)])
    assert res.exit_code == 1 and "version 99" in res.output and "{" not in res.output


def test_bad_inputs_fail_clearly(runner, sample, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text(sample.read_text().replace(",Age,", ",Years,", 1))
    res = runner.invoke(args=["noshow", "train", "--csv", str(broken), "--out", str(tmp_path / "m.joblib")])
    assert res.exit_code == 1 and "missing column(s) Age" in res.output and "unexpected column(s) Years" in res.output
    assert not (tmp_path / "m.joblib").exists()
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a model")
    res = runner.invoke(args=["noshow", "evaluate", "--model", str(junk), "--csv", str(sample)])
    assert res.exit_code == 1 and "cannot read model file" in res.output and "{" not in res.output
