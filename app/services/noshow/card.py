"""The model card: what the active model is and is worth, read from its metrics record (docs/noshow.md, "Admin
pages"). Reading the card never unpickles the model: the record is JSON, checked against the file's checksum."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.services.noshow.modelfile import ModelFileError, read_metrics


@dataclass(frozen=True)
class ModelCard:
    path: str | None  # the NOSHOW_MODEL setting; None: no model configured
    record: dict | None  # the metrics record, when it is in order
    problem: str | None  # why the model is refused


def model_card() -> ModelCard:
    path = current_app.config.get("NOSHOW_MODEL")
    if not path:
        return ModelCard(None, None, None)
    try:
        return ModelCard(path, read_metrics(path), None)
    except ModelFileError as err:
        return ModelCard(path, None, str(err))
