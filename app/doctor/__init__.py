from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("doctor", __name__)
bp.before_request(role_guard(Role.DOCTOR))

from app.doctor import day, feedback, photo, reports, routes  # noqa: E402,F401
