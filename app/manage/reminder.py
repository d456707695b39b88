"""The confirm and cancel links of a reminder (docs/operations.md, "Reminders"): one token per purpose, so a
forwarded confirm link cannot cancel. A GET only shows the appointment and one button (mail scanners follow
links); the button's POST answers. Confirming marks the appointment confirmed for the desk; cancelling goes through
the ordinary cancellation, whose `slot_freed` signal offers the time to the waitlist at once. A replayed, forged,
moved link, or one for a past or cancelled appointment, gets a page that says so, and nothing changes."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from app.extensions import limiter
from app.forms import SafeForm
from app.manage import bp
from app.manage.attend import LINK_MESSAGES
from app.manage.routes import LIMIT
from app.notifications import events
from app.services import booking
from app.web.booking_forms import submit_change

REMINDER_MESSAGES = LINK_MESSAGES | {
    "past": _l("This appointment is in the past: there is nothing left to confirm or cancel."),
    "cancelled": _l("This appointment is already cancelled."),
    "used": _l("You have already confirmed this appointment. Thank you."),
}


class ConfirmForm(SafeForm):
    submit = SubmitField(_l("Yes, I am coming"))


class CancelByLinkForm(SafeForm):
    submit = SubmitField(_l("Cancel the appointment"))


def _open(token: str, purpose: str):
    try:
        return events.read_reminder_token(token, purpose), None
    except events.ManageLinkError as err:
        return None, (render_template("manage/invalid.html", message=str(REMINDER_MESSAGES[err.reason]),
                                      reason=err.reason, title=_("This link does not work")), err.status)


def _answer(token: str, purpose: str, form: SafeForm, act, done: str, title: str, with_manage_link: bool = False):
    """The page behind a reminder's link: opening it changes nothing, the button does ``act(appointment)``."""
    appointment, refused = _open(token, purpose)
    if refused:
        return refused

    def change():
        with events.by_patient():
            act(appointment)

    status = submit_change(form, change)
    back = url_for("manage.page", token=events.manage_token(appointment))
    if status is None:
        flash(done, "success")
        return redirect(back)
    return render_template("manage/reminder_answer.html", appointment=appointment, form=form, purpose=purpose,
                           title=title, manage_link=back if with_manage_link else None), status


@bp.route("/c/<token>", methods=["GET", "POST"])
@limiter.limit(LIMIT)
def confirm(token: str):
    return _answer(token, "confirm", ConfirmForm(),
                   lambda a: booking.answer_attendance(a, booking.CONFIRMED, via="reminder link"),
                   _("Thank you: your appointment is confirmed."), _("Confirm your appointment"))


@bp.route("/x/<token>", methods=["GET", "POST"])
@limiter.limit(LIMIT)
def cancel_by_link(token: str):
    return _answer(token, "cancel", CancelByLinkForm(), booking.cancel_by_link,
                   _("Your appointment is cancelled. The time is offered to other patients."),
                   _("Cancel your appointment"), with_manage_link=True)
