"""Lookups remembered for the rest of one transaction (docs/architecture.md, "Transactions").

A booking asks for the same rows in several services (the doctor's resource in the placement, the claims and the
index upkeep; the patient of the signed-in account in two policies); each asks `remembered(name)` for a dict it
fills and reads. The dicts go when the outer transaction ends (commit or rollback), so nothing read in one
transaction is trusted in the next, where other writers may have changed it.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

KEY = "transaction_memo"


def remembered(name: str, session: Session | None = None) -> dict:
    session = session or db.session
    return session.info.setdefault(KEY, {}).setdefault(name, {})


def forget(name: str, session: Session | None = None) -> None:
    (session or db.session).info.get(KEY, {}).pop(name, None)


def alive(session: Session, obj) -> bool:
    """Whether a remembered object is still this session's (not expunged by a savepoint's rollback, not deleted)."""
    return obj is not None and obj in session and obj not in session.deleted


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(KEY, None)
