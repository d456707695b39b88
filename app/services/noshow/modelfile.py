"""The model file: a joblib dump of a ``ModelRecord`` (docs/noshow.md, "The model file").

joblib files are pickles: loading one runs code, so only files this portal wrote are loaded (docs/noshow.md says
where they live); a file of another format or version is refused before it is used.
"""
from __future__ import annotations

from pathlib import Path

import joblib

from app.services.noshow.training import FORMAT, VERSION, ModelRecord


class ModelFileError(Exception):
    """The model file is missing, unreadable or not a no-show model of this version."""


def save(record: ModelRecord, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(record, path, compress=3)
    return path


def load(path: str | Path) -> ModelRecord:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        record = joblib.load(path)
    except Exception as err:  # a damaged pickle raises anything from EOFError to UnpicklingError
        raise ModelFileError(f"cannot read model file {path}: {err}") from None
    if not isinstance(record, ModelRecord) or getattr(record, "format", None) != FORMAT:
        raise ModelFileError(f"{path} is not a no-show model file")
    if record.version != VERSION:
        raise ModelFileError(f"{path} is model file version {record.version}; this portal reads version {VERSION}")
    return record
