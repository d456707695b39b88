"""The confirm-or-release link of a high-risk booking (docs/noshow.md, "Confirm or release").

The link opens a page (a GET changes nothing: mail scanners follow links); the patient's button posts the answer.
Confirming records it; releasing cancels through app.services.booking like the manage link's cancel, so the
waitlist is offered the time. The link answers once; a replayed, forged, moved or expired one is refused.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from app.extensions import limiter
from app.forms import SafeForm
from app.manage import bp
from app.manage.routes import LIMIT
from app.notifications import events
from app.services import booking
from app.web.booking_forms import submit_change


class AttendanceForm(SafeForm):
    confirm = SubmitField(_l("I am coming"))
    release = SubmitField(_l("I cannot come: release the time"))


LINK_MESSAGES = {
    "invalid": _l("This link is not valid. Please use the link from your latest e-mail or text message, exactly as "
                  "it was sent."),
    "expired": _l("This link has expired."),
    "moved": _l("This appointment has been moved since this link was sent. Please use the link from the latest "
                "message about it."),
    "gone": _l("This appointment no longer exists or is no longer booked."),
    "used": _l("You have already answered with this link."),
}


def _refused(err: events.ManageLinkError):
    return render_template("manage/invalid.html", message=str(LINK_MESSAGES[err.reason]), reason=err.reason,
                           title=_("This link does not work")), err.status


@bp.route("/attend/<token>", methods=["GET", "POST"])
@limiter.limit(LIMIT)
def attend(token: str):
    try:
        appointment = events.read_attendance_token(token)
    except events.ManageLinkError as err:
        return _refused(err)
    form = AttendanceForm()
    answer = booking.RELEASED if form.release.data else booking.CONFIRMED

    def change():
        with events.by_patient():  # no login: actor None, but the messages say the patient asked for it
            booking.answer_attendance(appointment, answer)

    status = submit_change(form, change)
    if status is None:
        if answer == booking.RELEASED:
            flash(_("Thank you: your appointment is cancelled and the time is offered to other patients."), "success")
        else:
            flash(_("Thank you: we have noted that you are coming."), "success")
        return redirect(url_for("manage.page", token=events.manage_token(appointment)))
    return render_template("manage/attend.html", appointment=appointment, form=form,
                           title=_("Are you coming?")), status
