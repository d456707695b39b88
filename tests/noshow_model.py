"""A small real no-show model file for the tests, fitted in a fraction of a second.

A scikit-learn logistic regression on synthetic rows in the order of FEATURES, where missing depends on earlier
no-shows and on the lead time: the real training (about 1.5 minutes) is `noshow train`'s, tested by
tests/integration/test_noshow_cli.py; these tests only need a genuine model file whose answers differ by patient.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from app.scheduling.noshow_features import FEATURES, Encoding
from app.services.noshow import save
from app.services.noshow.training import ModelRecord


def write_model(path: Path, *, version: int | None = None) -> Path:
    rng = np.random.default_rng(7)
    n = 2000
    x = np.zeros((n, len(FEATURES)))
    col = {name: i for i, name in enumerate(FEATURES)}
    x[:, col["lead_days"]] = rng.integers(0, 40, n)
    x[:, col["log_lead_days"]] = np.log1p(x[:, col["lead_days"]])
    x[:, col["same_day"]] = x[:, col["lead_days"]] == 0
    x[:, col["age"]] = rng.integers(0, 90, n)
    x[:, col["prior_visits"]] = rng.integers(0, 5, n)
    x[:, col["prior_noshows"]] = np.minimum(rng.integers(0, 3, n), x[:, col["prior_visits"]])
    x[:, col["first_visit"]] = x[:, col["prior_visits"]] == 0
    x[:, col["prior_noshow_share"]] = (x[:, col["prior_noshows"]] + 0.2) / (x[:, col["prior_visits"]] + 1)
    logit = -2.6 + 1.6 * x[:, col["prior_noshows"]] + 0.05 * x[:, col["lead_days"]]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    record = ModelRecord(name="logistic_regression", model=LogisticRegression(max_iter=1000).fit(x, y),
                         encoding=Encoding({}, {}, float(y.mean())), features=FEATURES,
                         trained_from=date(2016, 4, 29), trained_to=date(2016, 5, 17),
                         holdout_from=date(2016, 5, 18),
                         metrics={"roc_auc": 0.74, "pr_auc": 0.38, "brier": 0.147, "base_rate": 0.21,
                                  "base_brier": 0.167, "n": 100},
                         comparison=[{"model": "logistic_regression",
                                      "validation": {"roc_auc": 0.73, "pr_auc": 0.37, "brier": 0.15},
                                      "held_out": {"roc_auc": 0.74, "pr_auc": 0.38, "brier": 0.147}}],
                         curves={"roc": {"x": [0, 0.3, 1], "y": [0, 0.7, 1]},
                                 "pr": {"x": [0, 0.5, 1], "y": [1, 0.4, 0.21]},
                                 "calibration": {"x": [0.1, 0.3], "y": [0.11, 0.29]}},
                         importances=[{"feature": "prior_noshows", "importance": 0.12},
                                      {"feature": "lead_days", "importance": 0.05}])
    if version is not None:
        record.version = version
    return save(record, path)
