"""Access rules every feature shares: which hospitals' records a user may see.

Each feature names its own decisions in its policy module (e.g. app.services.booking.policy); they build on these.
"""
from __future__ import annotations

from app.models import User


def visible_hospital_ids(user: User) -> set[int] | None:
    """Hospitals whose records this user may see; None means every hospital (a region admin)."""
    if user.is_region_admin:
        return None
    return user.hospital_ids
