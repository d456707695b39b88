"""The overbooking rules editor (docs/overbooking.md): the region's default for region admins, doctors' rules for
the admins of their hospitals. A rule the admin may not edit is a 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.admin import bp
from app.admin.forms import OverbookRuleForm
from app.admin.routes import get_or_404, scope
from app.extensions import db
from app.models import Doctor, Hospital, OverbookRule, User
from app.models.base import utcnow
from app.scheduling.overbooking import Rule
from app.services import overbooking
from app.services.overbooking.preview import PREVIEW_DAYS, preview_rule
from app.transaction import transaction
from app.web.words import error_text

REGION = 0  # the form's choice for the region's default


def _doctors() -> dict[int, Doctor]:
    visible = scope()
    query = select(Doctor).join(Doctor.user).order_by(User.name).options(selectinload(Doctor.hospitals),
                                                                          selectinload(Doctor.user))
    if visible is not None:
        query = query.where(Doctor.hospitals.any(Hospital.id.in_(visible)))
    return {d.id: d for d in db.session.scalars(query)}


@bp.route("/overbooking")
def overbook_rules():
    doctors = _doctors()
    rules = overbooking.visible_rules(current_user, overbooking.rules_of(set(doctors)), doctors)
    return render_template("admin/overbooking.html", rules=rules, doctors=doctors,
                           title=_("Overbooking rules"))


@bp.route("/overbooking/new", methods=["GET", "POST"])
def overbook_rule_new():
    doctors = _doctors()
    form = OverbookRuleForm()
    choices = [(REGION, _("Region default"))] if overbooking.may_edit_region_rule(current_user) else []
    form.doctor_id.choices = choices + [(d.id, d.name) for d in doctors.values()]
    back = url_for("admin.overbook_rules")
    preview = None
    if form.validate_on_submit():
        doctor = doctors.get(form.doctor_id.data)
        if not overbooking.may_edit_rule(current_user, doctor):
            abort(404)
        if form.preview.data:
            preview = _preview(form, doctor, doctors)
            return _rule_page(form, back, preview)
        try:
            with transaction():
                overbooking.put_rule(current_user.id, doctor.id if doctor else None,
                                     form.appointment_type.data if doctor else None,
                                     max_extra=form.max_extra.data, alpha=form.alpha.data,
                                     low_risk=form.low_risk.data)
        except core.SchedulingError as err:
            field = getattr(form, err.field or "", None)
            (field.errors.append if field is not None else form.form_errors.append)(error_text(err))
        else:
            flash(_("The overbooking rule is saved."), "success")
            return redirect(back)
    return _rule_page(form, back, preview)


def _rule_page(form: OverbookRuleForm, back: str, preview):
    page = render_template("admin/overbooking_rule.html", form=form, back=back, preview=preview,
                           days=PREVIEW_DAYS, title=_("Overbooking rule"))
    return page, 422 if form.errors else 200


def _preview(form: OverbookRuleForm, doctor: Doctor | None, doctors: dict[int, Doctor]):
    """The rule as entered, replayed over last month; None (with the field's error) when the core refuses it. The
    region's default is replayed over the visible doctors who have no rule of their own."""
    try:
        rule = Rule(form.max_extra.data, form.alpha.data, form.low_risk.data)
    except core.SchedulingError as err:
        field = getattr(form, err.field or "", None)
        (field.errors.append if field is not None else form.form_errors.append)(error_text(err))
        return None
    if doctor is not None:
        replayed = [doctor]
    else:
        own = {r.doctor_id for r in overbooking.rules_of(set(doctors)) if r.doctor_id is not None}
        replayed = [d for d in doctors.values() if d.id not in own]
    return preview_rule(rule, replayed, utcnow())


@bp.route("/overbooking/<int:rule_id>/delete", methods=["POST"])
def overbook_rule_delete(rule_id: int):
    row = get_or_404(OverbookRule, rule_id)
    doctor = db.session.get(Doctor, row.doctor_id) if row.doctor_id else None
    if not overbooking.may_edit_rule(current_user, doctor):
        abort(404)
    with transaction():
        overbooking.delete_rule(current_user.id, row)
    flash(_("The overbooking rule is removed."), "success")
    return redirect(url_for("admin.overbook_rules"))
