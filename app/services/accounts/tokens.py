"""API bearer tokens: issued to a user, stored only as a digest, with an expiry, and revocable
(docs/security.md, "API tokens")."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow
from app.services import audit

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at to the minute: not a write on every API call
NAME_LENGTH = 80


class TokenError(Exception):
    """A token the caller may not revoke, or that does not exist (answered like one that does not exist)."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "", *, days: int | None = None, actor_id: int | None = None,
                comment: str | None = None, now: datetime | None = None) -> str:
    """A new bearer token for the user; only its digest is kept, so the token is shown once."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=days if days is not None else current_app.config["API_TOKEN_DAYS"])
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), name=(name or "").strip()[:NAME_LENGTH],
                   created_at=now, expires_at=now + lifetime)
    db.session.add(row)
    db.session.flush()
    audit.record(actor_id, "token.create", "api_token", row.id, comment=comment,
                 after={"user_id": user.id, "name": row.name, "expires_at": row.expires_at.isoformat()})
    return token


def find_bearer(token: str) -> ApiToken | None:
    """The token row for a bearer value, usable or not (the caller tells expired and revoked apart)."""
    if not token:
        return None
    # the user and their memberships (the request's identity) in the same statement: every API call reads them
    return db.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))
                              .options(joinedload(ApiToken.user).joinedload(User.memberships))).unique().first()


def needs_touch(row: ApiToken, now: datetime | None = None) -> bool:
    return row.last_used_at is None or (now or utcnow()) - row.last_used_at >= TOUCH_EVERY


def touch(token_id: int, now: datetime | None = None) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow())
                       .execution_options(synchronize_session=False))


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, marked as such on the page)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(token: ApiToken, actor_id: int | None, *, comment: str | None = None, now: datetime | None = None) -> bool:
    """Revoke one token; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    audit.record(actor_id, "token.revoke", "api_token", token.id, comment=comment,
                 after={"user_id": token.user_id, "name": token.name})
    return True


def revoke_all(user: User, actor_id: int | None, *, comment: str | None = None, now: datetime | None = None) -> int:
    """Revoke every token of the user still in force; returns how many."""
    now = now or utcnow()
    live = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    return sum(revoke(token, actor_id, comment=comment, now=now) for token in list(live))
