"""The optimiser's pages for the desk and hospital admins: batch offers over a window of free slots
(docs/optimiser.md, "Batch offers")."""
from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("optimise", __name__)
bp.before_request(role_guard(Role.STAFF, Role.ADMIN))

from app.optimise import routes  # noqa: E402,F401
