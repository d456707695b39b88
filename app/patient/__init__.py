from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("patient", __name__)
bp.before_request(role_guard(Role.PATIENT))

from app.patient import booking, federation, payments, ratings, routes, waitlist  # noqa: E402,F401
