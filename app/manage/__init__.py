"""The signed "manage this appointment" link from e-mails and texts: view, cancel and move without logging in.

No role guard on purpose: the token is the credential. It names one appointment at one start time and dies when
the appointment is moved or over (app.notifications.events.read_manage_token).
"""
from flask import Blueprint

bp = Blueprint("manage", __name__)


@bp.after_request
def _private(response):
    # the token is in the URL: keep it out of caches and out of other sites' Referer headers
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from app.manage import attend, reminder, routes  # noqa: E402,F401
