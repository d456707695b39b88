"""The moderation queue (docs/ratings.md, "Moderation"): a hospital's admins approve a patient's review or hide it
with a reason. Another hospital's rating is a 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.routes import get_or_404
from app.models import DoctorRating
from app.models.rating import APPROVED, HIDDEN, PENDING
from app.services import ratings
from app.transaction import transaction
from app.web.words import error_text

SHOWN = {PENDING: PENDING, APPROVED: APPROVED, HIDDEN: HIDDEN}


@bp.route("/ratings")
def rating_queue():
    status = SHOWN.get(request.args.get("status", PENDING), PENDING)
    rows = ratings.moderation_queue(current_user, status=status)
    return render_template("admin/ratings.html", rows=rows, status=status, max_reason=ratings.MAX_REASON,
                           title=_("Reviews to check"))


@bp.route("/ratings/<int:rating_id>", methods=["POST"])
def rating_moderate(rating_id: int):
    rating = get_or_404(DoctorRating, rating_id)
    if not ratings.policy.may_moderate(current_user, rating.hospital_id):
        abort(404)
    decision = request.form.get("decision", "")
    try:
        with transaction():
            ratings.moderate(current_user, rating, decision, request.form.get("reason"))
    except ratings.RatingError as err:
        flash(error_text(err), "danger")
    else:
        flash(_("Review approved.") if decision == APPROVED else _("Review hidden."), "success")
    return redirect(url_for("admin.rating_queue", status=request.args.get("status") or None))
