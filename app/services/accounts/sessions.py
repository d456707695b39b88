"""Login sessions that end (docs/security.md, "Sessions").

Each login is a `user_sessions` row; the browser holds its clear token (Flask-Login's alternative id, in the session
and the remember-me cookie), we keep only its SHA-256. Logging out deletes the row, so a replayed cookie finds
nothing; rotating the user's security stamp deletes every row of that user (log out everywhere, password change or
reset, role change, deactivation). No row lives longer than REMEMBER_COOKIE_DURATION.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow
from app.models.user import new_stamp

TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is a hint for the user, not worth a write on every request


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime() -> timedelta:
    value = current_app.config["REMEMBER_COOKIE_DURATION"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def start(user: User, *, user_agent: str | None = None, address: str | None = None,
          now: datetime | None = None) -> str:
    """A new session for the user; returns its clear token (also set as user.session_token for login_user)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=digest(token), created_at=now, last_seen_at=now,
                               expires_at=now + lifetime(), user_agent=(user_agent or "")[:255] or None,
                               address=(address or "")[:45] or None))
    db.session.flush()
    user.session_token = token
    return token


def find(token: str | None, now: datetime | None = None) -> UserSession | None:
    """The live session with this token whose user may still log in; None for unknown, ended or expired ones."""
    if not token:
        return None
    # the user and their memberships (the request's identity) in the same statement: every signed-in request
    row = db.session.scalars(select(UserSession).where(UserSession.token_hash == digest(token))
                             .options(joinedload(UserSession.user).joinedload(User.memberships))).unique().first()
    if row is None or row.expires_at <= (now or utcnow()) or not row.user.active:
        return None
    row.user.session_token = token
    return row


def needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= TOUCH_EVERY


def touch(session_id: int, now: datetime | None = None) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == session_id)
                       .values(last_seen_at=now or utcnow()).execution_options(synchronize_session=False))


def end(token: str | None) -> None:
    """Log this one session out (the others of the same user stay)."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == digest(token))
                           .execution_options(synchronize_session=False))


def end_all(user: User) -> None:
    """Rotate the security stamp: every session of the user ends, and every reset link issued so far dies."""
    user.security_stamp = new_stamp()
    user.session_token = None
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)
                       .execution_options(synchronize_session=False))


def active_count(user: User, now: datetime | None = None) -> int:
    return len(db.session.scalars(select(UserSession.id).where(
        UserSession.user_id == user.id, UserSession.expires_at > (now or utcnow()))).all())


def purge_expired(now: datetime | None = None) -> int:
    """Delete session rows past their expiry (the housekeeping job)."""
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at <= (now or utcnow()))
                                .execution_options(synchronize_session=False))
    return result.rowcount
