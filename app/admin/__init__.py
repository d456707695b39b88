from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("admin", __name__)
bp.before_request(role_guard(Role.ADMIN))

from app.admin import catalogue, federation, hospitals, noshow, outbox, overbooking, payments, people, reports, routes  # noqa: E402,F401
