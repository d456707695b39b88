"""Registering and managing sources (docs/federation.md, "Sources").

Plain verb functions that flush and never commit; the CLI and the admin pages hold the transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import ExternalSlot, FederationSource
from app.models.base import utcnow
from app.models.federation import KINDS
from app.services.federation.client import SourceError, check_url


class SourceInputError(ValueError):
    pass


def add(name: str, url: str, kind: str, max_age_minutes: int = 60, token: str | None = None,
        now: datetime | None = None) -> FederationSource:
    name, url = (name or "").strip(), (url or "").strip()
    if not name or len(name) > 80:
        raise SourceInputError("A source needs a name of at most 80 characters.")
    if kind not in KINDS:
        raise SourceInputError(f"kind must be one of {', '.join(KINDS)}.")
    try:
        check_url(url)
    except SourceError as err:
        raise SourceInputError(err.message) from None
    if len(url) > 500:
        raise SourceInputError("The address is longer than 500 characters.")
    if not 1 <= max_age_minutes <= 7 * 24 * 60:
        raise SourceInputError("max-age-minutes must be between 1 and 10080.")
    if db.session.scalar(select(FederationSource.id).where(FederationSource.name == name)) is not None:
        raise SourceInputError(f"A source named {name} exists already.")
    source = FederationSource(name=name, url=url, kind=kind, token=token or None, max_age_minutes=max_age_minutes,
                              paused=False, created_at=now or utcnow(), attempts=0, failures=0,
                              consecutive_failures=0, skipped_resources=0)
    db.session.add(source)
    db.session.flush()
    return source


def by_name(name: str) -> FederationSource | None:
    return db.session.scalar(select(FederationSource).where(FederationSource.name == name))


def set_paused(source: FederationSource, paused: bool) -> None:
    source.paused = paused
    db.session.flush()


def set_hidden(slot: ExternalSlot, hidden: bool) -> None:
    slot.hidden = hidden
    db.session.flush()


def health(now: datetime | None = None) -> list[dict]:
    """Each source with its health: last success, last error, error rate, lag (minutes since the last success),
    circuit state and the slots it holds."""
    now = now or utcnow()
    counts = dict(db.session.execute(select(ExternalSlot.source_id, func.count())
                                     .group_by(ExternalSlot.source_id)).all())
    rows = []
    for source in db.session.scalars(select(FederationSource).order_by(FederationSource.name)):
        lag = int((now - source.last_success_at).total_seconds() // 60) if source.last_success_at else None
        rows.append({
            "source": source, "slots": counts.get(source.id, 0), "lag_minutes": lag,
            "error_rate": round(source.error_rate, 3),
            "circuit": "open" if source.circuit_open(now) else "closed",
            "over_budget": lag is None or lag > source.max_age_minutes,
        })
    return rows


def as_json(row: dict) -> dict:
    source = row["source"]
    stamp = (lambda v: v.isoformat() + "Z" if v else None)  # noqa: E731
    return {"name": source.name, "url": source.url, "kind": source.kind, "paused": source.paused,
            "max_age_minutes": source.max_age_minutes, "slots": row["slots"], "lag_minutes": row["lag_minutes"],
            "error_rate": row["error_rate"], "circuit": row["circuit"], "last_success": stamp(source.last_success_at),
            "last_error": source.last_error, "last_error_at": stamp(source.last_error_at),
            "consecutive_failures": source.consecutive_failures}


def slot_listing(source: FederationSource, limit: int = 200) -> list[ExternalSlot]:
    return list(db.session.scalars(select(ExternalSlot).where(ExternalSlot.source_id == source.id)
                                   .order_by(ExternalSlot.start).limit(limit)))


