"""Views of the offer link. Accept and decline go through app.services.waitlist, commit once, then announce the slot
change (app.realtime). The token alone authorises them for the offer's patient; the audit actor is that patient."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db, limiter
from app.models import Appointment, AuditEvent, Offer
from app.notifications import events
from app.offers import bp
from app.offers.forms import AnswerForm
from app.offers.messages import closed_message, offer_state
from app.services import waitlist
from app.services.booking.ics import appointment_ics
from app.services.waitlist import policy as waitlist_policy
from app.transaction import transaction

LIMIT = "60 per minute"  # guessing tokens is hopeless anyway; this keeps scanners away from the booking code


def _refused(message: str, reason: str, status: int, offer: Offer | None = None):
    return render_template("offers/closed.html", message=message, reason=reason, offer=offer,
                           title=_("This offer is closed") if offer is not None else _("This link does not work")), \
        status


def _open(token: str):
    """(offer, None), or (None, the page that says why this link cannot be used)."""
    try:
        offer = waitlist.offer_from_token(token)
    except core.SchedulingError:
        return None, _refused(_("This link is not valid. Please use the link from your latest e-mail or text "
                                "message, exactly as it was sent."), "invalid", 404)
    if not waitlist_policy.may_answer_offer(current_user, offer):  # a shared computer: another patient's link
        return None, _refused(_("This offer was sent to another patient. If it is yours, log out and open the "
                                "link again."), "other_patient", 404)
    return offer, None


def _booked(offer: Offer) -> Appointment:
    """The appointment an accepted offer became."""
    entry = offer.entry
    appointment = db.session.get(Appointment, entry.booked_appointment_id) if entry.booked_appointment_id else None
    return appointment or offer.hold


@bp.route("/<token>")
@limiter.limit(LIMIT)
def show(token: str):
    offer, refused = _open(token)
    if refused:
        return refused
    state = offer_state(offer)
    if state == "accepted":
        return render_template("offers/accepted.html", offer=offer, appointment=_booked(offer), token=token,
                               title=_("The slot is yours"))
    if state != "open":
        return _refused(closed_message(offer), state, 409, offer)
    return render_template("offers/show.html", offer=offer, slot=offer.hold, entry=offer.entry, token=token,
                           form=AnswerForm(), title=_("An earlier appointment for you"))


@bp.route("/<token>/<any(accept, decline):answer>", methods=["POST"])
@limiter.limit(LIMIT)
def answer(token: str, answer: str):
    offer, refused = _open(token)
    if refused:
        return refused
    if not AnswerForm().validate_on_submit():
        abort(400)
    patient = offer.entry.patient
    try:
        with transaction():
            if answer == "accept":
                waitlist.accept(patient.user_id, offer, patient)
            else:
                waitlist.decline(patient.user_id, offer, patient)
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        return _refused(closed_message(offer, err), offer_state(offer), 409, offer)
    if answer == "decline":
        return render_template("offers/closed.html", offer=offer, reason="declined", declined_now=True,
                               message=_("You declined this offer. You stay on the waitlist, and we will let you "
                                         "know when another slot opens."), title=_("Offer declined"))
    return redirect(url_for("offers.show", token=token))


@bp.route("/<token>/calendar.ics")
@limiter.limit(LIMIT)
def calendar(token: str):
    offer, refused = _open(token)
    if refused:
        return refused
    if offer_state(offer) != "accepted":
        abort(404)
    appointment = _booked(offer)
    sequence = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.target_type == "appointment", AuditEvent.target_id == appointment.id,
        AuditEvent.action.in_(("appointment.reschedule", "appointment.cancel")))) or 0
    body = appointment_ics(appointment, url=events.manage_link(appointment), sequence=sequence)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="waitless-appointment-{appointment.id}.ics"'})

