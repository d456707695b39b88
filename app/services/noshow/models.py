"""The candidate models and how they are judged (docs/noshow.md, "Models"): scikit-learn lives here, not in the
core, which hands over plain lists of numbers (app/scheduling/noshow_features.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_curve, roc_auc_score, roc_curve
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


# Points kept of each curve for the model card: enough to draw it, small enough for the metrics record.
CURVE_POINTS = 40
CALIBRATION_BINS = 10
IMPORTANCE_ROWS = 4000


def _thin(*columns) -> list[list[float]]:
    """Every column cut to at most CURVE_POINTS evenly spaced points (first and last kept), rounded."""
    n = len(columns[0])
    keep = sorted({round(i * (n - 1) / (CURVE_POINTS - 1)) for i in range(CURVE_POINTS)}) if n > CURVE_POINTS \
        else range(n)
    return [[round(float(c[i]), 4) for i in keep] for c in columns]


def curves(outcomes, probabilities) -> dict:
    """ROC, precision-recall and calibration on the judged rows, as lists for the model card's charts and tables."""
    y = np.asarray(outcomes, dtype=int)
    p = np.asarray(probabilities, dtype=float)
    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)
    observed, predicted = calibration_curve(y, p, n_bins=CALIBRATION_BINS, strategy="quantile")
    roc_x, roc_y = _thin(fpr, tpr)
    pr_x, pr_y = _thin(recall[::-1], precision[::-1])
    return {"roc": {"x": roc_x, "y": roc_y}, "pr": {"x": pr_x, "y": pr_y},
            "calibration": {"x": [round(float(v), 4) for v in predicted],
                            "y": [round(float(v), 4) for v in observed]}}


def importances(model, x, y, names, seed: int) -> list[dict]:
    """Permutation importance on (a sample of) the judged rows: how much the ROC AUC drops when one feature is
    shuffled, largest first. Model-agnostic, so the three candidates compare alike."""
    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=int)
    if len(y) > IMPORTANCE_ROWS:
        pick = rng.choice(len(y), IMPORTANCE_ROWS, replace=False)
        x, y = x[pick], y[pick]
    found = permutation_importance(model, x, y, scoring="roc_auc", n_repeats=3, random_state=seed)
    ranked = sorted(zip(names, found.importances_mean, strict=True), key=lambda item: -item[1])
    return [{"feature": name, "importance": round(float(value), 4)} for name, value in ranked]
