"""Train, choose and judge a no-show model on a time split (docs/noshow.md).

Honest by construction: the models are compared on the last days of the training period (never on the held-out
days), the winner is refitted on the whole training period and judged once on the held-out later days, and every
feature of a row sees only outcomes known when that row was booked (app/scheduling/noshow_features.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sklearn

from app.scheduling.noshow_features import (
    FEATURES,
    Appointment,
    Encoding,
    Loaded,
    NoShowDataError,
    matrix,
    read_appointments,
    time_split,
)
from app.scheduling.simulation_model import open_text
from app.services.noshow.modelfile import FORMAT, VERSION
from app.services.noshow.models import Scores, calibrated, candidates, curves, importances, judge


@dataclass
class ModelRecord:
    """What the model file holds: the fitted model with everything needed to use it and to know what it is worth."""

    name: str
    model: object
    encoding: Encoding
    features: tuple[str, ...]
    trained_from: date
    trained_to: date  # the last appointment day seen in training; evaluation judges only later days
    holdout_from: date | None
    metrics: dict  # the winner on the held-out days
    comparison: list[dict] = field(default_factory=list)  # every candidate, validation and held-out
    # the winner's ROC, precision-recall and calibration curves and permutation importances on the held-out days,
    # for the model card (docs/noshow.md, "Admin pages")
    curves: dict | None = None
    importances: list[dict] | None = None
    sklearn_version: str = sklearn.__version__
    format: str = FORMAT
    version: int = VERSION

    def probabilities(self, rows: Sequence[Appointment], known: Sequence[Appointment]) -> list[float]:
        x, _ = matrix(rows, self.encoding, known)
        return [float(p) for p in self.model.predict_proba(x)[:, 1]]


def load_csv(path: str | Path) -> Loaded:
    path = Path(path)
    try:
        with open_text(path) as fh:
            return read_appointments(fh, source=path.name)
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise NoShowDataError(f"cannot read {path}: {err}") from None


def _fit_and_judge(model, fit_rows, judged_rows, known) -> tuple[object, Scores, Encoding]:
    encoding = Encoding.fit(fit_rows)
    x, y = matrix(fit_rows, encoding, known)
    if len(set(y)) < 2:
        raise NoShowDataError("the training rows need both outcomes (came and missed)")
    fitted = calibrated(model).fit(x, y)
    xj, yj = matrix(judged_rows, encoding, known)
    return fitted, judge(yj, fitted.predict_proba(xj)[:, 1]), encoding


def _better(a: Scores, b: Scores) -> bool:
    """Higher PR AUC wins among models whose Brier beats the base rate's; a calibrated model that does not
    beat a constant is worth nothing."""
    return (a.brier < a.base_brier, a.pr_auc, -a.brier) > (b.brier < b.base_brier, b.pr_auc, -b.brier)


def train(rows: Sequence[Appointment], holdout_share: float = 0.2, seed: int = 0,
          only: Sequence[str] | None = None) -> ModelRecord:
    """Compare the candidates on the last days of the training period, refit the best on the whole of it, judge it
    on the held-out later days. ``rows`` are also the history every row may look back on (only at earlier days).
    ``only``: compare just these candidates (the demo's quick model, docs/noshow.md)."""
    training, held_out = time_split(rows, holdout_share)
    fit_rows, validation = time_split(training, holdout_share)
    models = {name: model for name, model in candidates(seed).items() if only is None or name in only}
    if not models:
        raise NoShowDataError(f"no such model: {', '.join(only or ())}")
    comparison, best, best_scores = [], None, None
    for name, model in models.items():
        _, scores, _ = _fit_and_judge(model, fit_rows, validation, rows)
        comparison.append({"model": name, "validation": scores.line()})
        if best_scores is None or _better(scores, best_scores):
            best, best_scores = name, scores
    winner = None
    for entry, (name, model) in zip(comparison, models.items(), strict=True):
        fitted, scores, encoding = _fit_and_judge(model, training, held_out, rows)
        entry["held_out"] = scores.line()  # for the record only: the choice above never saw these days
        if name == best:
            winner, winner_scores, winner_encoding = fitted, scores, encoding
    xh, yh = matrix(held_out, winner_encoding, rows)
    return ModelRecord(name=best, model=winner, encoding=winner_encoding, features=FEATURES,
                       trained_from=min(r.day for r in training), trained_to=max(r.day for r in training),
                       holdout_from=min(r.day for r in held_out), metrics=winner_scores.line(),
                       comparison=comparison, curves=curves(yh, winner.predict_proba(xh)[:, 1]),
                       importances=importances(winner, xh, yh, FEATURES, seed))


def evaluate(record: ModelRecord, rows: Sequence[Appointment], history: Sequence[Appointment] = ()) -> Scores:
    """The model on the appointments of ``rows`` after its training period; earlier rows and ``history`` serve
    only as the patients' past (outcomes known before each judged row was booked)."""
    judged = [r for r in rows if r.day > record.trained_to]
    if not judged:
        raise NoShowDataError(f"no appointments after the model's training period (it ends {record.trained_to})")
    known = [*history, *rows]
    x, y = matrix(judged, record.encoding, known)
    return judge(y, record.model.predict_proba(x)[:, 1])
