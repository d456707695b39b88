"""Public pages of a hospital's waiting area: the self check-in kiosk and the waiting-room display.

No login: the kiosk trusts only the signed check-in code, and the display shows token labels and rooms, never a name.
"""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from app.kiosk import routes  # noqa: E402,F401
