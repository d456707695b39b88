"""What the desk, the nurse station and the doctor's day list share: the hospital in view, scoped entries, and
running one queue operation per request (commit once, announce after the commit, a core refusal becomes a message).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, request
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Hospital, QueueEntry
from app.security import get_scoped_or_404
from app.services.access import visible_hospital_ids
from app.transaction import transaction
from app.web.words import error_text

T = TypeVar("T")


def my_hospitals() -> list[Hospital]:
    """The active hospitals the user works at, by name (a region admin sees them all)."""
    query = select(Hospital).where(Hospital.active).order_by(Hospital.name)
    scope = visible_hospital_ids(current_user)
    if scope is not None:
        query = query.where(Hospital.id.in_(scope))
    return list(db.session.scalars(query))


def hospital_in_view(hospital_id: int | None = None) -> tuple[Hospital, list[Hospital]]:
    """The hospital asked for (path or ?hospital=), else the user's first; another hospital answers 404."""
    hospitals = my_hospitals()
    wanted = hospital_id if hospital_id is not None else request.args.get("hospital", type=int)
    if wanted is None:
        if not hospitals:
            abort(404)
        return hospitals[0], hospitals
    hospital = next((h for h in hospitals if h.id == wanted), None)
    if hospital is None:
        abort(404)
    return hospital, hospitals


def scoped_entry(entry_id: int) -> QueueEntry:
    return get_scoped_or_404(QueueEntry, entry_id, hospital_of=lambda e: e.queue.hospital_id)


def run(action: Callable[[], T], success: str | None = None) -> tuple[T | None, core.SchedulingError | None]:
    """Run one service call: commit and announce it, or roll back and flash the core's reason."""
    try:
        with transaction():
            result = action()
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return None, err
    if success:
        flash(success, "success")
    return result, None
