"""What an offer's state means to the patient, shared by the offer link and the patient's waitlist page."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app import scheduling as core
from app.extensions import db
from app.models import Offer
from app.models.base import utcnow
from app.scheduling.codes import OfferStatus
from app.web.words import error_text


def offer_state(offer: Offer, now: datetime | None = None) -> str:
    """The offer's status, counting an open offer whose hold ran out as expired (the job may not have run yet)."""
    if offer.status == OfferStatus.OPEN and offer.expires_at <= (now or utcnow()):
        return "expired"
    return offer.status


def closed_message(offer: Offer, err: core.SchedulingError | None = None) -> str:
    """Why an offer can no longer be accepted, in the patient's words (read after the failed change rolled back)."""
    db.session.refresh(offer)
    return {
        "expired": _("This offer has expired: the hold ended and the slot went to the next patient. "
                     "You stay on the waitlist."),
        "taken": _("Sorry, another patient accepted this slot first. You stay on the waitlist."),
        "declined": _("You declined this offer. You stay on the waitlist."),
        "accepted": _("You already accepted this offer."),
        "withdrawn": _("The hospital has taken this slot back, so it can no longer be accepted. "
                       "You stay on the waitlist."),
    }.get(offer_state(offer), error_text(err) if err is not None else _("This offer is closed."))
