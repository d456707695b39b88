"""The waitlist offer link from e-mails and texts (issue #7): see the held slot, accept or decline it.

No role guard on purpose: the signed token is the credential, as with manage links (app/manage/). It names one
offer; the offer's own status and hold decide what the page can still do.
"""
from flask import Blueprint

bp = Blueprint("offers", __name__)


@bp.after_request
def _private(response):
    # the token is in the URL: keep it out of caches and out of other sites' Referer headers
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from app.offers import routes  # noqa: E402,F401
