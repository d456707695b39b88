"""Account housekeeping the periodic jobs run: lockouts that ended, sign-ups never confirmed."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import User
from app.models.base import utcnow

UNVERIFIED_DAYS = 30  # a sign-up never confirmed in this time is switched off: the address may be someone else's


def release_expired_lockouts(now: datetime | None = None) -> int:
    """Clear lockouts whose time is up, so the account list shows who is really locked."""
    result = db.session.execute(
        update(User).where(User.locked_until.is_not(None), User.locked_until <= (now or utcnow()))
        .values(locked_until=None, failed_logins=0)
    )
    return result.rowcount


def purge_unverified_accounts(now: datetime | None = None) -> int:
    """Deactivate self-registered accounts never confirmed within UNVERIFIED_DAYS."""
    cutoff = (now or utcnow()) - timedelta(days=UNVERIFIED_DAYS)
    result = db.session.execute(
        update(User).where(User.email_verified_at.is_(None), User.created_at < cutoff, User.active.is_(True))
        .values(active=False)
    )
    return result.rowcount
