"""The reader's notices, newest first, and "mark all read"."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from app.extensions import db
from app.models import StaffNotice
from app.models.base import utcnow
from app.notices import bp
from app.transaction import transaction

SHOWN = 200


@bp.route("/")
def index():
    notices = db.session.scalars(select(StaffNotice).where(StaffNotice.user_id == current_user.id)
                                 .order_by(StaffNotice.id.desc()).limit(SHOWN)).all()
    return render_template("notices/index.html", notices=notices, shown=SHOWN, title=_("Notices"))


@bp.route("/read-all", methods=["POST"])
def read_all():
    with transaction():
        db.session.execute(update(StaffNotice).where(StaffNotice.user_id == current_user.id,
                                                     StaffNotice.read_at.is_(None)).values(read_at=utcnow()))
    flash(_("All notices are marked as read."), "success")
    return redirect(url_for("notices.index"))
