"""Availability stamps: one `cache_versions` row per specialty ("slots:<id>"), bumped in the same transaction as
every change of that specialty's indexed slots, so a process may keep a search's answer for as long as the stamp it
was computed under is current (docs/availability-index.md, "Cached answers").

The index upkeep (index.reindex) notes the specialties whose rows it replaces; the bump runs once, just before the
commit, in id order: it takes the stamp rows' locks last and always in the same order, so two bookings in one
specialty queue behind each other only for the commit itself, and never deadlock on the stamps.

A request that finds a kept answer compares it with the stamps as this process last read them (`seen`), all of
them in one query at most every SLOT_STAMP_CHECK_SECONDS, so an answered search costs no database round trip at
all. Another process's write reaches this process's kept answers within that time; this process's own commits
reach them at once (the stamps are read again on the next request). A miss still reads its specialty's stamp in
its own transaction, before the search, and files the answer under it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import cache

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import CacheVersion
from app.models.base import utcnow
from app.services.rows import count_up

NOTED = "slot_stamps_noted"  # session.info key: specialties whose index rows this transaction replaced
FEDERATION = "federation"  # the other systems' sources: bumped with every change of one (federation/slots.py)
READ = "slot_stamps_read"  # session.info key: every stamp as `seen` read them in this transaction
BUMPED = "slot_stamps_bumped"  # session.info key: this transaction bumped stamps; read them again after its commit
DEFAULT_CHECK_SECONDS = 0.5

_lock = threading.Lock()
# `generation` moves whenever what was read must not be trusted any more: a read that started before it moved is
# kept but not trusted, so a commit of this process can never be hidden by a read that raced with it
_seen: dict[str, object] = {"stamps": {}, "checked": float("-inf"), "every": DEFAULT_CHECK_SECONDS, "generation": 0}


def name(specialty_id: int) -> str:
    return f"slots:{specialty_id}"


def current(specialty_id: int) -> int:
    """The specialty's stamp as the session's transaction sees it; 0 before its first change."""
    return current_named(name(specialty_id))


def current_named(stamp: str) -> int:
    """A stamp as the session's transaction sees it: read now, or taken from the read of every stamp that `seen`
    made in this transaction (a search that finds its kept answer out of date makes both, one after the other).
    Either was read before the data that is filed under it, which is all an answer's stamp must be."""
    read = db.session.info.get(READ) if db.session.registry.has() else None
    if read is not None:
        version = read.get(stamp, 0)
    else:
        version = db.session.scalar(select(CacheVersion.version).where(CacheVersion.name == stamp)) or 0
    with _lock:
        differs = _seen["stamps"].get(stamp, 0) != version
    if differs:
        forget_seen()  # newer than what was seen: the next request reads them all again
    return version


def configure(check_seconds: float) -> None:
    """How long this process trusts the stamps it read (the app's SLOT_STAMP_CHECK_SECONDS); 0: every request."""
    with _lock:
        _seen.update(stamps={}, checked=float("-inf"), every=max(0.0, check_seconds),
                     generation=_seen["generation"] + 1)


def seen(specialty_id: int) -> int:
    """The specialty's stamp as this process last read it, at most SLOT_STAMP_CHECK_SECONDS ago (reading every
    stamp again, in one query, when that is older)."""
    return seen_named(name(specialty_id))


def seen_named(stamp: str) -> int:
    now = time.monotonic()
    with _lock:
        if now - _seen["checked"] < _seen["every"]:
            return _seen["stamps"].get(stamp, 0)
        generation = _seen["generation"]
    rows = dict(db.session.execute(_every_stamp()).all())
    db.session.info[READ] = rows  # current_named's, until the transaction ends
    with _lock:
        _seen["stamps"] = rows
        if _seen["generation"] == generation:
            _seen["checked"] = now
    return rows.get(stamp, 0)


@cache
def _every_stamp():
    return select(CacheVersion.name, CacheVersion.version) \
        .where(CacheVersion.name.like("slots:%") | (CacheVersion.name == FEDERATION))


_kept_elsewhere: list[Callable[[], None]] = []


def also_forget(forget: Callable[[], None]) -> Callable[[], None]:
    """Register what another module keeps under a stamp, to be forgotten with the stamps when the database is
    replaced (forget_all); usable as a decorator."""
    _kept_elsewhere.append(forget)
    return forget


def forget_seen() -> None:
    """Read the stamps again on the next request (this process wrote)."""
    with _lock:
        _seen.update(checked=float("-inf"), generation=_seen["generation"] + 1)


def forget_all() -> None:
    """The database was replaced (tests, a restored backup): every stamp and what was kept under one."""
    with _lock:
        _seen.update(stamps={}, checked=float("-inf"), generation=_seen["generation"] + 1)
    for forget in _kept_elsewhere:
        forget()


def note(session: Session, specialty_ids: Iterable[int | None]) -> None:
    session.info.setdefault(NOTED, set()).update(s for s in specialty_ids if s is not None)


def forget(session: Session) -> None:
    """The transaction rolled back (index.py's rollback hook): its notes and bumps are gone with it."""
    session.info.pop(NOTED, None)
    session.info.pop(BUMPED, None)


def noted(session: Session) -> bool:
    return bool(session.info.get(NOTED))


def bump_noted(session: Session) -> None:
    """One multi-row upsert of the noted specialties' stamps on the session's connection (a Core statement: no ORM
    events run)."""
    specialty_ids = session.info.pop(NOTED, None)
    if specialty_ids:
        _bump(session, [name(s) for s in sorted(specialty_ids)])


def bump_federation(session: Session) -> None:
    """A new `federation` stamp in the session's transaction: the sources changed (federation/slots.py)."""
    _bump(session, [FEDERATION])


def _bump(session: Session, names: list[str]) -> None:
    session.info[BUMPED] = True
    session.info.pop(READ, None)  # older than what this transaction now holds
    count_up(CacheVersion, [{"name": n} for n in names], "version", also={"changed_at": utcnow()},
             connection=session.connection())


@event.listens_for(Session, "after_transaction_end")
def _read_is_old(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outer transaction ended (committed, rolled back or closed)
        session.info.pop(READ, None)


@event.listens_for(Session, "after_commit")
def _seen_is_old(session: Session) -> None:
    if session.info.pop(BUMPED, False):
        forget_seen()
