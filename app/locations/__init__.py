"""Bookable locations (operating theatres and other rooms): day views, bookings, emergencies, access and the
published sessions (docs/rooms.md)."""
from flask import Blueprint

from app.models import Role
from app.security import role_guard

bp = Blueprint("locations", __name__)
bp.before_request(role_guard(Role.STAFF, Role.DOCTOR, Role.NURSE, Role.ADMIN))

from app.locations import access, booking, routes  # noqa: E402,F401
