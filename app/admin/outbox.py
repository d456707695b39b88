"""The outbox page: dead letters and messages still waiting, with the reason, and a Retry button.

Who sees which messages, and what a retry does, is app.services.delivery's.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.routes import scope
from app.extensions import db
from app.models import OutboxMessage
from app.models.outbox import DeliveryStatus
from app.notifications.outbox import summary, waiting_query
from app.services.delivery import retry_message, visible_messages
from app.transaction import transaction

STATUS_FILTERS = {"problems": ("dead", "pending"), "dead": ("dead",), "pending": ("pending",),
                  "skipped": ("skipped",), "sent": ("sent",)}


def _scoped(query):
    return visible_messages(query, scope())


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
    if message.status == DeliveryStatus.SENT:
        flash(_("That message was sent already."), "warning")
        return redirect(url_for("admin.outbox"))
    with transaction():
        retry_message(current_user.id, message)
    flash(_("The message is queued again."), "success")
    return redirect(url_for("admin.outbox", status=request.args.get("status", "problems")))
