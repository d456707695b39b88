"""API bearer tokens: issued to a user, stored only as a digest."""
from __future__ import annotations

import hashlib
import secrets

from app.extensions import db
from app.models import ApiToken, User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new bearer token for the user; only its digest is kept, so the token is shown once."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=token_digest(token)))
    db.session.flush()
    return token
