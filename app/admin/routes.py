"""Administration: the region overview, the audit log, and the helpers the admin pages share.

Every admin page follows one pattern: validate the form, call one directory operation, commit once, flash,
redirect. A hospital admin sees only their hospitals: other hospitals' records answer 404 (docs/api.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.admin.forms import iana_zones
from app.extensions import db
from app.forms import SafeForm
from app.models import AuditEvent, User
from app.services.access import visible_hospital_ids
from app.services.audit.trail import recent_audit
from app.services.directory import DirectoryError, set_active
from app.services.reports.overview import region_counts
from app.services.rows import contains
from app.transaction import transaction
from app.web.words import error_text


@bp.route("/")
def home():
    scope = visible_hospital_ids(current_user)
    return render_template("admin/home.html", counts=region_counts(), events=recent_audit(scope),
                           title=_("Administration"))


@bp.route("/audit")
def audit():
    scope = visible_hospital_ids(current_user)
    term = request.args.get("q", "").strip()
    query = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if scope is not None:
        query = query.where(AuditEvent.hospital_id.in_(scope))
    if term:
        query = query.outerjoin(User, User.id == AuditEvent.actor_id).where(or_(
            *(contains(column, term) for column in (AuditEvent.action, AuditEvent.target_type, AuditEvent.comment,
                                                    User.email, User.name))))
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("admin/audit.html", page=page, q=term, title=_("Audit log"))


# --- shared by the admin pages ---

def scope() -> set[int] | None:
    """The hospitals the current admin administers; None for a region admin."""
    return visible_hospital_ids(current_user)


def require_region_admin() -> None:
    """Region-wide records (hospitals, the catalogue) are created by region admins only."""
    if not current_user.is_region_admin:
        abort(403)


def ensure_any_hospital(hospital_ids: Iterable[int]) -> None:
    """For records that belong to several hospitals (doctors, accounts): one of them must be visible."""
    visible = scope()
    if visible is not None and not visible & set(hospital_ids):
        abort(404)


def get_or_404(model, ident: int):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def show_error(form: SafeForm, err: DirectoryError) -> None:
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, error_text(err)]
    else:
        form.form_errors.append(error_text(err))


def save(form: SafeForm, operation: Callable[[], object], done: Callable[[object], str], message: str):
    """Validate, run one directory operation, commit once, flash and redirect; None means: show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        with transaction():
            obj = operation()
    except DirectoryError as err:
        show_error(form, err)
        return None
    flash(message, "success")
    return redirect(done(obj))


def form_page(form: SafeForm, title: str, back: str, *, timezones: bool = False, intro: str | None = None):
    """The create and edit pages: one form, 422 when what was sent is not valid."""
    page = render_template("admin/form.html", form=form, title=title, back=back, intro=intro,
                           zones=iana_zones() if timezones else ())
    return page, 422 if form.errors else 200


def switch_active(obj, verb: str, back: str, name: str):
    """The deactivate / reactivate buttons."""
    active = verb == "reactivate"
    try:
        with transaction():
            set_active(current_user, obj, active)
    except DirectoryError as err:
        flash(error_text(err), "danger")
        return redirect(back)
    flash(_("%(name)s is active again.", name=name) if active else _("%(name)s is deactivated.", name=name),
          "success")
    return redirect(back)
