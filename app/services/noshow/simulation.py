"""Predicted no-show probabilities of real appointments, for the clinic simulation's overbooking policies
(docs/overbooking.md, "Simulation"): the model is trained once on the data file and cached as a model file."""
from __future__ import annotations

from pathlib import Path

from app.services.noshow.modelfile import load, save
from app.services.noshow.training import load_csv, train


def cached_model(data_path: str | Path, model_path: str | Path):
    """The model file at ``model_path``, trained on ``data_path`` first when there is none."""
    if Path(model_path).exists():
        return load(model_path)  # a damaged or foreign file is refused, never silently replaced
    record = train(load_csv(data_path).rows)
    save(record, model_path)
    return record


def probability_pool(data_path: str | Path, model_path: str | Path) -> list[tuple[float, bool]]:
    """(predicted probability, missed) of every appointment after the model's training period: patients the model
    never saw, with what they really did."""
    record = cached_model(data_path, model_path)
    rows = load_csv(data_path).rows
    judged = [r for r in rows if r.day > record.trained_to]
    return list(zip(record.probabilities(judged, rows), (r.no_show for r in judged), strict=True))
