"""The frontier benchmark's own arithmetic (benchmarks/overbooking_frontier.py, docs/overbooking.md "Simulation")."""
from __future__ import annotations

import math
import random

import pytest
from sklearn.metrics import roc_auc_score

from benchmarks.overbooking_frontier import normal_bound, roc_auc


def test_roc_auc_counts_ranked_pairs_and_ties_as_scikit_learn_does():
    assert roc_auc([(0.9, True), (0.1, False)]) == 1.0
    assert roc_auc([(0.1, True), (0.9, False)]) == 0.0
    assert roc_auc([(0.5, True), (0.5, False)]) == 0.5
    rng = random.Random(3)
    pool = [(round(rng.random(), 2), rng.random() < 0.3) for _ in range(500)]
    assert roc_auc(pool) == pytest.approx(roc_auc_score([m for _, m in pool], [p for p, _ in pool]))


def test_the_normal_bound_leaves_exactly_the_allowed_idle_time():
    # 14 slots of 15 minutes, 95 %: 10.5 idle minutes expected; check E[(L - W)+] by integrating the density
    point = normal_bound(3.5, 0.95, 14, 15)
    sd, mean = point["session_sd_min"], 210 + point["mean_work_over_length_min"]
    step = 0.01
    idle = sum((210 - w) * math.exp(-((w - mean) / sd) ** 2 / 2) / (sd * math.sqrt(2 * math.pi)) * step
               for w in (mean - 8 * sd + step * k for k in range(int(16 * sd / step))) if w < 210)
    assert idle == pytest.approx(10.5, abs=0.05)
    assert point["p90_overtime_min"] == pytest.approx(mean + 1.2816 * sd - 210, abs=0.05)
    # less uncertainty, less overtime; none at all, none
    assert normal_bound(0.9, 0.95, 14, 15)["p90_overtime_min"] < point["p90_overtime_min"]
    assert normal_bound(0.0, 0.95, 14, 15)["p90_overtime_min"] == 0.0
