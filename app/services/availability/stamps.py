"""Availability stamps: one `cache_versions` row per specialty ("slots:<id>"), bumped in the same transaction as
every change of that specialty's indexed slots, so a process may keep a search's answer for as long as the stamp it
was computed under is current (docs/availability-index.md, "Cached answers").

The index upkeep (index.reindex) notes the specialties whose rows it replaces; the bump runs once, just before the
commit, in id order: it takes the stamp rows' locks last and always in the same order, so two bookings in one
specialty queue behind each other only for the commit itself, and never deadlock on the stamps.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import CacheVersion
from app.models.base import utcnow

NOTED = "slot_stamps_noted"  # session.info key: specialties whose index rows this transaction replaced


def name(specialty_id: int) -> str:
    return f"slots:{specialty_id}"


def current(specialty_id: int) -> int:
    """The specialty's stamp as the session's transaction sees it; 0 before its first change."""
    return db.session.scalar(select(CacheVersion.version).where(CacheVersion.name == name(specialty_id))) or 0


def note(session: Session, specialty_ids: Iterable[int | None]) -> None:
    session.info.setdefault(NOTED, set()).update(s for s in specialty_ids if s is not None)


def forget(session: Session) -> None:
    session.info.pop(NOTED, None)


def noted(session: Session) -> bool:
    return bool(session.info.get(NOTED))


def bump_noted(session: Session) -> None:
    """One multi-row upsert of the noted specialties' stamps on the session's connection (a Core statement: no ORM
    events run)."""
    specialty_ids = session.info.pop(NOTED, None)
    if not specialty_ids:
        return
    connection = session.connection()
    now = utcnow()
    rows = [{"name": name(s), "version": 1, "changed_at": now} for s in sorted(specialty_ids)]
    if connection.dialect.name == "mysql":
        statement = mysql.insert(CacheVersion).values(rows).on_duplicate_key_update(
            version=CacheVersion.version + 1, changed_at=now)
    else:
        statement = sqlite.insert(CacheVersion).values(rows).on_conflict_do_update(
            index_elements=[CacheVersion.name], set_={"version": CacheVersion.version + 1, "changed_at": now})
    connection.execute(statement)
