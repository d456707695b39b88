"""The candidate models and how they are judged (docs/noshow.md, "Models"): scikit-learn lives here, not in the
core, which hands over plain lists of numbers (app/scheduling/noshow_features.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

# Folds of the probability calibration: each fold's model is calibrated on the rows it did not see.
CALIBRATION_FOLDS = 3


def candidates(seed: int) -> dict:
    """Every model the training compares, uncalibrated. The SVM is linear: a kernel SVM on 50,000 rows costs
    minutes for no gain on these few, mostly monotone features (docs/noshow.md)."""
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "linear_svm": make_pipeline(StandardScaler(), LinearSVC(C=0.1, random_state=seed)),
        "gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.1, max_iter=100, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
            early_stopping=False, random_state=seed),
    }


def calibrated(model, method: str = "isotonic") -> CalibratedClassifierCV:
    """Probabilities that mean what they say (a Brier score below the base rate's): isotonic calibration on
    folds of the training rows; the SVM has no probabilities of its own, so it needs this too."""
    return CalibratedClassifierCV(model, method=method, cv=CALIBRATION_FOLDS)


@dataclass(frozen=True)
class Scores:
    roc_auc: float
    pr_auc: float
    brier: float
    base_rate: float
    base_brier: float  # the Brier score of always predicting the base rate: a useful model is below it
    n: int

    def line(self) -> dict:
        return {"roc_auc": round(self.roc_auc, 4), "pr_auc": round(self.pr_auc, 4), "brier": round(self.brier, 4),
                "base_rate": round(self.base_rate, 4), "base_brier": round(self.base_brier, 4), "n": self.n}


def judge(outcomes, probabilities) -> Scores:
    """ROC AUC, PR AUC (average precision), Brier score. The base rate is the judged rows' own no-show share, so
    the base-rate Brier is the best a constant could do on them."""
    y = np.asarray(outcomes, dtype=int)
    p = np.asarray(probabilities, dtype=float)
    base = float(y.mean())
    both = 0 < y.sum() < len(y)  # AUCs need both outcomes among the rows
    return Scores(roc_auc=float(roc_auc_score(y, p)) if both else float("nan"),
                  pr_auc=float(average_precision_score(y, p)) if both else float("nan"),
                  brier=float(brier_score_loss(y, p)), base_rate=base, base_brier=base * (1 - base), n=len(y))
