"""Admin pages for hospitals and what they are made of: departments, rooms and appointment types."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.forms import (
    KIND_LABELS,
    ROOM_KIND_LABELS,
    AppointmentTypeForm,
    DepartmentForm,
    HospitalForm,
    RoomForm,
    payload,
)
from app.admin.routes import form_page, require_region_admin, save, scope, switch_active
from app.extensions import db
from app.models import AppointmentType, Department, Hospital, Room
from app.scheduling import reminders as offsets_core
from app.security import get_scoped_or_404
from app.services import directory

VERBS = "<any(deactivate, reactivate):verb>"


def _hospital(hospital_id: int) -> Hospital:
    return get_scoped_or_404(Hospital, hospital_id, hospital_of=lambda h: h.id)


def _detail(hospital_id: int) -> str:
    return url_for("admin.hospital", hospital_id=hospital_id)


@bp.route("/hospitals")
def hospitals():
    query = select(Hospital).order_by(Hospital.name)
    visible = scope()
    if visible is not None:
        query = query.where(Hospital.id.in_(visible))
    return render_template("admin/hospitals.html", hospitals=db.session.scalars(query).all(),
                           can_create=current_user.is_region_admin, title=_("Hospitals"))


@bp.route("/hospitals/new", methods=["GET", "POST"])
def hospital_new():
    require_region_admin()
    form = HospitalForm()
    saved = save(form, lambda: directory.create_hospital(current_user, **payload(form, *form.FIELDS)),
                 lambda h: _detail(h.id), _("The hospital is created."))
    return saved or form_page(form, _("New hospital"), url_for("admin.hospitals"), timezones=True)


@bp.route("/hospitals/<int:hospital_id>")
def hospital(hospital_id: int):
    hospital = _hospital(hospital_id)
    rooms = db.session.scalars(select(Room).where(Room.hospital_id == hospital.id).order_by(Room.name)
                               .options(selectinload(Room.equipment), selectinload(Room.department))).all()
    types = db.session.scalars(select(AppointmentType).where(AppointmentType.hospital_id == hospital.id)
                               .order_by(AppointmentType.code).options(selectinload(AppointmentType.equipment))).all()
    reminders = {t.id: offsets_core.format_offsets(offsets_core.from_stored(t.reminder_offsets)) for t in types}
    return render_template("admin/hospital.html", hospital=hospital, rooms=rooms, types=types, reminders=reminders,
                           room_kinds=ROOM_KIND_LABELS, type_kinds=KIND_LABELS, title=hospital.name)


@bp.route("/hospitals/<int:hospital_id>/edit", methods=["GET", "POST"])
def hospital_edit(hospital_id: int):
    hospital = _hospital(hospital_id)
    form = HospitalForm(obj=hospital)
    saved = save(form, lambda: directory.update_hospital(current_user, hospital, **payload(form, *form.FIELDS)),
                 lambda h: _detail(h.id), _("The hospital is saved."))
    return saved or form_page(form, _("Edit %(name)s", name=hospital.name), _detail(hospital.id), timezones=True)


@bp.route(f"/hospitals/<int:hospital_id>/{VERBS}", methods=["POST"])
def hospital_active(hospital_id: int, verb: str):
    hospital = _hospital(hospital_id)
    back = url_for("admin.hospitals") if request.args.get("back") == "list" else _detail(hospital.id)
    return switch_active(hospital, verb, back, hospital.name)


# departments

@bp.route("/hospitals/<int:hospital_id>/departments/new", methods=["GET", "POST"])
def department_new(hospital_id: int):
    hospital = _hospital(hospital_id)
    form = DepartmentForm()
    saved = save(form, lambda: directory.create_department(current_user, hospital, **payload(form, *form.FIELDS)),
                 lambda d: _detail(hospital.id), _("The department is created."))
    return saved or form_page(form, _("New department at %(name)s", name=hospital.name), _detail(hospital.id))


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def department_edit(department_id: int):
    department = get_scoped_or_404(Department, department_id)
    form = DepartmentForm(obj=department)
    saved = save(form, lambda: directory.update_department(current_user, department, **payload(form, *form.FIELDS)),
                 lambda d: _detail(d.hospital_id), _("The department is saved."))
    title = _("Edit department %(name)s", name=department.name)
    return saved or form_page(form, title, _detail(department.hospital_id))


@bp.route(f"/departments/<int:department_id>/{VERBS}", methods=["POST"])
def department_active(department_id: int, verb: str):
    department = get_scoped_or_404(Department, department_id)
    return switch_active(department, verb, _detail(department.hospital_id), department.name)


# rooms

@bp.route("/hospitals/<int:hospital_id>/rooms/new", methods=["GET", "POST"])
def room_new(hospital_id: int):
    hospital = _hospital(hospital_id)
    form = RoomForm(hospital)
    saved = save(form, lambda: directory.create_room(current_user, hospital, **payload(form, *form.FIELDS)),
                 lambda r: _detail(hospital.id), _("The room is created."))
    return saved or form_page(form, _("New room at %(name)s", name=hospital.name), _detail(hospital.id))


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def room_edit(room_id: int):
    room = get_scoped_or_404(Room, room_id)
    form = RoomForm(room.hospital, obj=room)
    if not form.is_submitted():
        form.equipment_ids.data = [e.id for e in room.equipment]
    saved = save(form, lambda: directory.update_room(current_user, room, **payload(form, *form.FIELDS)),
                 lambda r: _detail(r.hospital_id), _("The room is saved."))
    return saved or form_page(form, _("Edit room %(name)s", name=room.name), _detail(room.hospital_id))


@bp.route(f"/rooms/<int:room_id>/{VERBS}", methods=["POST"])
def room_active(room_id: int, verb: str):
    room = get_scoped_or_404(Room, room_id)
    return switch_active(room, verb, _detail(room.hospital_id), room.name)


# appointment types

def _describe_offsets(form: AppointmentTypeForm, hospital: Hospital) -> None:
    """The field's help names the default a blank field keeps, and the limits the service checks."""
    default = directory.default_reminder_hours(hospital, tuple(current_app.config.get("REMINDER_HOURS", (24, 2))))
    form.reminder_offsets.description = _(
        "Days (d) or hours (h), separated by commas, e.g. 7d, 1d or 2h; at most %(most)s, each at most the booking "
        "horizon (%(days)s days). Empty: the hospital's default, %(default)s.", most=offsets_core.MAX_OFFSETS,
        days=directory.booking_horizon_days(hospital.id), default=offsets_core.format_offsets(default) or "—")


@bp.route("/hospitals/<int:hospital_id>/appointment-types/new", methods=["GET", "POST"])
def appointment_type_new(hospital_id: int):
    hospital = _hospital(hospital_id)
    form = AppointmentTypeForm()
    _describe_offsets(form, hospital)
    saved = save(form, lambda: directory.create_appointment_type(current_user, hospital,
                                                                 **payload(form, *form.FIELDS)),
                 lambda t: _detail(hospital.id), _("The appointment type is created."))
    return saved or form_page(form, _("New appointment type at %(name)s", name=hospital.name), _detail(hospital.id))


@bp.route("/appointment-types/<int:type_id>/edit", methods=["GET", "POST"])
def appointment_type_edit(type_id: int):
    kind = get_scoped_or_404(AppointmentType, type_id)
    form = AppointmentTypeForm(obj=kind)
    _describe_offsets(form, kind.hospital)
    if not form.is_submitted():
        form.equipment_ids.data = [e.id for e in kind.equipment]
        form.reminder_offsets.data = offsets_core.format_offsets(offsets_core.from_stored(kind.reminder_offsets))
    saved = save(form, lambda: directory.update_appointment_type(current_user, kind, **payload(form, *form.FIELDS)),
                 lambda t: _detail(t.hospital_id), _("The appointment type is saved."))
    return saved or form_page(form, _("Edit appointment type %(name)s", name=kind.name), _detail(kind.hospital_id))


@bp.route(f"/appointment-types/<int:type_id>/{VERBS}", methods=["POST"])
def appointment_type_active(type_id: int, verb: str):
    kind = get_scoped_or_404(AppointmentType, type_id)
    return switch_active(kind, verb, _detail(kind.hospital_id), kind.name)
