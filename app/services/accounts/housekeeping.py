"""Account housekeeping the periodic jobs run: sessions and login throttles that ended, sign-ups never confirmed."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services.accounts import sessions, throttle

UNVERIFIED_DAYS = 30  # a sign-up never confirmed in this time is switched off: the address may be someone else's


def purge_login_state(now: datetime | None = None) -> int:
    """Delete expired sessions and login throttles whose window and delay are over; returns how many rows."""
    return sessions.purge_expired(now) + throttle.purge(now)


def purge_unverified_accounts(now: datetime | None = None) -> int:
    """Deactivate self-registered accounts never confirmed within UNVERIFIED_DAYS."""
    cutoff = (now or utcnow()) - timedelta(days=UNVERIFIED_DAYS)
    result = db.session.execute(
        update(User).where(User.email_verified_at.is_(None), User.created_at < cutoff, User.active.is_(True))
        .values(active=False)
    )
    return result.rowcount
