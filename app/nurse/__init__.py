from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("nurse", __name__)
bp.before_request(role_guard(Role.NURSE))

from app.nurse import routes  # noqa: E402,F401
