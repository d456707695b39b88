from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("admin", __name__)
bp.before_request(role_guard(Role.ADMIN))

from app.admin import (  # noqa: E402,F401
    catalogue,
    federation,
    hospitals,
    noshow,
    outbox,
    overbooking,
    payments,
    people,
    ratings,
    reports,
    routes,
    teams,
)
