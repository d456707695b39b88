from flask import Blueprint

from app import realtime

bp = Blueprint("public", __name__)
# each create_app builds a new Socket.IO server: give it the live-availability handlers
bp.record(lambda state: realtime.register_handlers(state.app))

from app.public import payments, routes  # noqa: E402,F401
