"""Staff notices: the in-app list of bookings, moves and cancellations for the reader's hospital and doctors.

The unread count reaches every page's navbar through a context processor (templates/notices/_badge.html).
"""
from flask import Blueprint
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, StaffNotice
from app.security import role_guard

READERS = (Role.DOCTOR, Role.NURSE, Role.STAFF, Role.ADMIN)

bp = Blueprint("notices", __name__)
bp.before_request(role_guard(*READERS))


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(StaffNotice.id)).where(
        StaffNotice.user_id == user_id, StaffNotice.read_at.is_(None))) or 0


@bp.app_context_processor
def _notice_badge() -> dict:
    if not current_user.is_authenticated or current_user.role not in READERS:
        return {}
    return {"notice_unread": unread_count(current_user.id)}


from app.notices import routes  # noqa: E402,F401
