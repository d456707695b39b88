from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("staff", __name__)
bp.before_request(role_guard(Role.STAFF))

from app.staff import desk, payments, routes, series, teams, waitlist  # noqa: E402,F401
