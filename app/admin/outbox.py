"""The outbox page: dead letters and messages still waiting, with the reason, and a Retry button.

A region admin sees every message; a hospital admin sees the messages about appointments at their hospitals.
Retrying puts a message back in line at once (its attempts stay) and is audited.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.routes import scope
from app.extensions import db
from app.models import Appointment, OutboxMessage
from app.notifications.outbox import retry, summary, waiting_query
from app.services import audit

STATUS_FILTERS = {"problems": ("dead", "pending"), "dead": ("dead",), "pending": ("pending",),
                  "skipped": ("skipped",), "sent": ("sent",)}


def _scoped(query):
    visible = scope()
    if visible is None:
        return query
    return query.join(Appointment, Appointment.id == OutboxMessage.appointment_id).where(
        Appointment.hospital_id.in_(visible))


@bp.route("/outbox")
def outbox():
    shown = request.args.get("status", "problems")
    if shown not in STATUS_FILTERS:
        shown = "problems"
    page = db.paginate(_scoped(waiting_query(STATUS_FILTERS[shown])), per_page=50, error_out=False)
    return render_template("admin/outbox.html", page=page, shown=shown, filters=list(STATUS_FILTERS),
                           counts=summary() if scope() is None else None, title=_("Outbox"))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def outbox_retry(message_id: int):
    message = db.session.scalar(_scoped(select(OutboxMessage).where(OutboxMessage.id == message_id)))
    if message is None:
        abort(404)
    if message.status == "sent":
        flash(_("That message was sent already."), "warning")
        return redirect(url_for("admin.outbox"))
    before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
    retry(message)
    hospital_id = message_hospital(message)
    audit.record(current_user.id, "outbox.retry", "outbox", message.id, hospital_id=hospital_id, before=before,
                 after={"status": message.status, "max_attempts": message.max_attempts},
                 comment=f"{message.channel} {message.template} to {message.recipient}")
    db.session.commit()
    flash(_("The message is queued again."), "success")
    return redirect(url_for("admin.outbox", status=request.args.get("status", "problems")))


def message_hospital(message: OutboxMessage) -> int | None:
    if message.appointment_id is None:
        return None
    return db.session.scalar(select(Appointment.hospital_id).where(Appointment.id == message.appointment_id))
