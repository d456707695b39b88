"""SMS for a person to read in development: without Twilio, and with the development outbox viewer on, a text is
written as a small JSON file beside the development e-mail (MAIL_FOLDER) and listed at /dev/sms (docs/operations.md,
"Notifications"; docs/security.md, "/dev/mail"). Production never writes them: it has no viewer
(ProductionConfig refuses DEV_MAIL_VIEWER), and without Twilio it only logs the text as before.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from app.models.base import utcnow

SUFFIX = ".sms.json"
NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.sms\.json$")


def dev_outbox_on(config: Mapping) -> bool:
    """True where /dev/mail is registered (app.register_blueprints asks the same): development and the tests,
    with DEV_MAIL_VIEWER on."""
    return bool(config.get("DEV_MAIL_VIEWER")) and config.get("WAITLESS_ENV") in ("development", "testing")


def write(folder: str | Path, to: str, body: str, dedupe_key: str) -> str:
    """Save one text; returns its file name, which stands for the provider's message id."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    at = utcnow()
    name = f"{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    record = {"to": to, "body": body, "sent_at": at.isoformat(timespec="seconds"), "dedupe_key": dedupe_key}
    (folder / name).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return name


def read_all(folder: str | Path, limit: int = 200) -> list[dict]:
    """The newest texts first: name, to, body, sent_at (a naive UTC datetime), dedupe_key. Unreadable files are
    skipped: the folder is a developer's scratch space."""
    folder = Path(folder)
    if not folder.exists():
        return []
    texts = []
    for path in sorted(folder.glob(f"*{SUFFIX}"), reverse=True)[:limit]:
        if not NAME.match(path.name):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            sent_at = datetime.fromisoformat(record["sent_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        texts.append({"name": path.name, "to": record.get("to", ""), "body": record.get("body", ""),
                      "sent_at": sent_at, "dedupe_key": record.get("dedupe_key", "")})
    return texts
