"""Admin pages for the region's catalogue: specialties and equipment. Hospital admins may look, not change."""
from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.forms import EquipmentForm, SpecialtyForm, payload
from app.admin.routes import form_page, get_or_404, require_region_admin, save, switch_active
from app.extensions import db
from app.models import Equipment, Specialty
from app.services import directory


def _back() -> str:
    return url_for("admin.catalogue")


@bp.route("/catalogue")
def catalogue():
    specialties = db.session.scalars(select(Specialty).order_by(Specialty.name)).all()
    equipment = db.session.scalars(select(Equipment).order_by(Equipment.name)).all()
    return render_template("admin/catalogue.html", specialties=specialties, equipment=equipment,
                           can_edit=current_user.is_region_admin, title=_("Catalogue"))


@bp.route("/specialties/new", methods=["GET", "POST"])
def specialty_new():
    require_region_admin()
    form = SpecialtyForm()
    saved = save(form, lambda: directory.create_specialty(current_user, **payload(form, *form.FIELDS)),
                 lambda s: _back(), _("The specialty is created."))
    return saved or form_page(form, _("New specialty"), _back())


@bp.route("/specialties/<int:specialty_id>/edit", methods=["GET", "POST"])
def specialty_edit(specialty_id: int):
    require_region_admin()
    specialty = get_or_404(Specialty, specialty_id)
    form = SpecialtyForm(obj=specialty)
    saved = save(form, lambda: directory.update_specialty(current_user, specialty, **payload(form, *form.FIELDS)),
                 lambda s: _back(), _("The specialty is saved."))
    return saved or form_page(form, _("Edit specialty %(name)s", name=specialty.name), _back())


@bp.route("/specialties/<int:specialty_id>/<any(deactivate, reactivate):verb>", methods=["POST"])
def specialty_active(specialty_id: int, verb: str):
    require_region_admin()
    specialty = get_or_404(Specialty, specialty_id)
    return switch_active(specialty, verb, _back(), specialty.name)


@bp.route("/equipment/new", methods=["GET", "POST"])
def equipment_new():
    require_region_admin()
    form = EquipmentForm()
    saved = save(form, lambda: directory.create_equipment(current_user, **payload(form, *form.FIELDS)),
                 lambda e: _back(), _("The equipment is created."))
    return saved or form_page(form, _("New equipment"), _back())


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
def equipment_edit(equipment_id: int):
    require_region_admin()
    equipment = get_or_404(Equipment, equipment_id)
    form = EquipmentForm(obj=equipment)
    saved = save(form, lambda: directory.update_equipment(current_user, equipment, **payload(form, *form.FIELDS)),
                 lambda e: _back(), _("The equipment is saved."))
    return saved or form_page(form, _("Edit equipment %(name)s", name=equipment.name), _back())
