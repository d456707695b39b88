"""The model file: a joblib dump of a ``training.ModelRecord`` beside its metrics record (docs/noshow.md).

joblib files are pickles: loading one runs code. So the metrics record (``<model>.json``: format, version, the
model's name, training period and scores, and the SHA-256 of the model file) is read first, and the pickle is
opened only when its format and version are this portal's and its bytes match the checksum: a file of another
version, a damaged or a tampered one is refused before it is unpickled.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

FORMAT = "waitless-noshow-model"
VERSION = 1


class ModelFileError(Exception):
    """The model file is missing, unreadable, tampered with, or not a no-show model of this version."""


def metrics_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".json")


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_version(record, sha256: str) -> str:
    """What a booking stores as its model: the kind, the last training day and the file's checksum (12 hex)."""
    return f"{record.name}/{record.trained_to.isoformat()}/{sha256[:12]}"


def save(record, path: str | Path) -> Path:
    """Write a ``training.ModelRecord`` and its metrics record."""
    import joblib  # only here and in load: the portal's start-up and its bookings without a model never need it

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(record, path, compress=3)
    sha256 = checksum(path)
    metrics_path(path).write_text(json.dumps({
        "format": record.format, "version": record.version, "sha256": sha256,
        "model_version": model_version(record, sha256), "name": record.name,
        "trained_from": record.trained_from.isoformat(), "trained_to": record.trained_to.isoformat(),
        "holdout_from": record.holdout_from.isoformat() if record.holdout_from else None,
        "metrics": record.metrics, "comparison": record.comparison, "curves": record.curves,
        "importances": record.importances}) + "\n")
    return path


def read_metrics(path: str | Path) -> dict:
    """The metrics record of a model file, checked against the file's bytes (nothing is unpickled here)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        meta = json.loads(metrics_path(path).read_text())
    except (OSError, ValueError) as err:
        raise ModelFileError(f"cannot read model file {path}: no readable metrics record "
                             f"{metrics_path(path).name} ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a no-show model file")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"{path} is model file version {meta.get('version')}; this portal reads version {VERSION}")
    if meta.get("sha256") != checksum(path):
        raise ModelFileError(f"{path} does not match the checksum in {metrics_path(path).name}: "
                             "the file was changed after training (tampered or damaged)")
    return meta


def load(path: str | Path):
    """The ``training.ModelRecord`` in a model file whose metrics record and checksum are in order."""
    import joblib

    path = Path(path)
    read_metrics(path)
    try:
        record = joblib.load(path)
    except Exception as err:  # a damaged pickle raises anything from EOFError to UnpicklingError
        raise ModelFileError(f"cannot read model file {path}: {err}") from None
    if getattr(record, "format", None) != FORMAT or not hasattr(record, "model"):
        raise ModelFileError(f"{path} is not a no-show model file")
    if record.version != VERSION:
        raise ModelFileError(f"{path} is model file version {record.version}; this portal reads version {VERSION}")
    return record
