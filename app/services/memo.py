"""Lookups remembered for the rest of one transaction (docs/architecture.md, "Transactions").

A booking asks for the same rows in several services (the doctor's calendar, resource and hospitals' appointment
types in the placement and again in the index upkeep; the patient of the signed-in account in two policies); each
asks `remembered(name)` for a dict it fills and reads. The dicts go when the outer transaction ends (commit or
rollback) and on any rollback (a savepoint's too), so nothing read in one transaction is trusted in the next, where
other writers may have changed it.

What is made of rows the transaction itself may change is registered with `made_of(name, *models)`: while the
session holds unflushed changes to those models `remembered` answers None (read afresh: the read flushes them and
must see them), and a flush that writes them forgets what was remembered.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

KEY = "transaction_memo"
_MADE_OF: dict[str, tuple[type, ...]] = {}


def made_of(name: str, *models: type) -> None:
    _MADE_OF[name] = models


def remembered(name: str, session: Session | None = None) -> dict | None:
    session = session or db.session
    models = _MADE_OF.get(name)
    if models and _changes(session, models):
        return None
    return session.info.setdefault(KEY, {}).setdefault(name, {})


def alive(session: Session, obj) -> bool:
    """Whether a remembered object is still this session's (not expunged by a savepoint's rollback, not deleted)."""
    return obj is not None and obj in session and obj not in session.deleted


def _changes(session: Session, models: tuple[type, ...]) -> bool:
    return any(isinstance(obj, models) for obj in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _forget_what_changed(session: Session, _flush_context) -> None:
    kept = session.info.get(KEY)
    if kept:
        for name in [n for n in kept if n in _MADE_OF and _changes(session, _MADE_OF[n])]:
            del kept[name]


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction) -> None:
    session.info.pop(KEY, None)  # a savepoint's rollback too: what was read inside it may be gone
