"""The admin's page for a procedure's team (docs/teams.md, "The team of a procedure").

A plain server-rendered form: one fieldset per role row, empty rows ignored, "Add a role" re-renders with one more
row. What the rows say is handed to the same service function as `PUT /api/v1/appointment-types/<id>/team`, which
alone decides what is valid; its field errors ("roles.2.doctor_ids") go back to their row.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.admin import bp
from app.extensions import db
from app.forms import SafeForm
from app.models import AppointmentType, Doctor, Room, Specialty, User, doctor_hospitals
from app.scheduling.teams import MAX_ROLES
from app.services import teams
from app.text import text_problem
from app.transaction import transaction
from app.web.words import say

MAX_ROWS = MAX_ROLES + 4  # room to type one role too many (the service says so), not an unbounded body


class TeamForm(SafeForm):
    """Only the CSRF token: the rows are read from the request, as many as were shown."""


def _kind(type_id: int) -> AppointmentType:
    """The procedure, for an admin who may set its team; another hospital's type is a 404 as in the API."""
    kind = db.session.get(AppointmentType, type_id)
    if kind is None or not teams.may_edit_template(current_user, kind.hospital_id):
        abort(404)
    return kind


def _number(value: str) -> int | str:
    """An id as the service expects it; anything else is passed on as it is, for the service to refuse."""
    return int(value) if value.isdigit() and len(value) < 12 else value


def _blank(row: dict) -> bool:
    return not (row["name"] or row["specialty_id"] or row["doctor_ids"] or row["room_ids"])


def _row(role: dict) -> dict:
    """A stored role as a row of the form."""
    return {"name": role.get("name", ""), "kind": role.get("kind", "doctor"),
            "specialty_id": role.get("specialty_id") or "", "doctor_ids": list(role.get("doctor_ids") or []),
            "room_ids": list(role.get("room_ids") or []), "remove": False, "errors": {}}


def _submitted_rows() -> list[dict]:
    try:
        count = max(1, min(int(request.form.get("rows", "1")), MAX_ROWS))
    except ValueError:
        count = 1
    rows = []
    for i in range(count):
        field = f"role-{i}-"
        specialty = request.form.get(field + "specialty", "").strip()
        rows.append({"name": request.form.get(field + "name", "").strip(),
                     "kind": request.form.get(field + "kind", "doctor"),
                     "specialty_id": _number(specialty) if specialty else "",
                     "doctor_ids": [_number(v) for v in request.form.getlist(field + "doctors")],
                     "room_ids": [_number(v) for v in request.form.getlist(field + "rooms")],
                     "remove": bool(request.form.get(field + "remove")), "errors": {}})
    return rows


def _role(row: dict) -> dict:
    """A row as the API's role: a doctor role with its specialty or its named doctors, a room role with its named
    rooms or none (any room with the type's equipment)."""
    role = {"name": row["name"], "kind": row["kind"]}
    if row["kind"] == "doctor":
        if row["specialty_id"] != "":
            role["specialty_id"] = row["specialty_id"]
        if row["doctor_ids"]:
            role["doctor_ids"] = row["doctor_ids"]
    elif row["kind"] == "room" and row["room_ids"]:
        role["room_ids"] = row["room_ids"]
    return role


def _place_errors(errors: dict[str, str], rows: list[dict], used: list[int], general: list[str]) -> None:
    """"roles.1.name" goes to the name of the row that became role 1, "roles.1" to that row, "roles" on top."""
    for key, raw in errors.items():
        parts, message = key.split("."), say(raw)
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(used):
            if len(parts) == 2:  # a doctor role with neither or both: said in the page's words, not the API's
                message = _("Choose a specialty or named doctors, not both.")
            rows[used[int(parts[1])]]["errors"][parts[2] if len(parts) > 2 else "row"] = message
        else:
            general.append(message)


def _choices(kind: AppointmentType) -> dict:
    hospital_id = kind.hospital_id
    doctors = db.session.execute(
        select(Doctor.id, User.name).join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id)
        .join(User, User.id == Doctor.user_id)
        .where(doctor_hospitals.c.hospital_id == hospital_id, Doctor.active, User.active).order_by(User.name)).all()
    rooms = db.session.execute(select(Room.id, Room.name).where(
        Room.hospital_id == hospital_id, Room.bookable, Room.active).order_by(Room.name)).all()
    specialties = db.session.execute(select(Specialty.id, Specialty.name).where(Specialty.active)
                                     .order_by(Specialty.name)).all()
    return {"doctors": doctors, "rooms": rooms, "specialties": specialties}


@bp.route("/appointment-types/<int:type_id>/team", methods=["GET", "POST"])
def appointment_type_team(type_id: int):
    kind = _kind(type_id)
    form = TeamForm()
    general: list[str] = []
    if request.method == "GET":
        template = teams.template_for(kind.id)
        rows = [_row(r) for r in (template.roles if template else [])]
        rows += [_row({}) for _ in range(max(1, 2 - len(rows)))]
    else:
        rows = _submitted_rows()
        if request.form.get("action") == "add":
            rows += [_row({})] if len(rows) < MAX_ROWS else []
        elif form.validate_on_submit():
            used = [i for i, row in enumerate(rows) if not row["remove"] and not _blank(row)]
            for i in used:  # the portal's rule for any single-line text (app/forms.py, SafeForm)
                problem = text_problem(rows[i]["name"], multiline=False)
                if problem:
                    rows[i]["errors"]["name"] = _(problem)
            if not any(row["errors"] for row in rows):
                try:
                    with transaction():
                        teams.put_template(current_user.id, kind, [_role(rows[i]) for i in used])
                except core.SchedulingError as err:
                    _place_errors(dict(getattr(err, "fields", None) or {}), rows, used, general)
                    if not general and not any(row["errors"] for row in rows):
                        general.append(say(err.message))
                else:
                    flash(_("The team of %(name)s is saved.", name=kind.name), "success")
                    return redirect(url_for("admin.appointment_type_team", type_id=kind.id))
        else:
            general += [str(e) for errors in form.errors.values() for e in errors]
    failed = bool(general or any(row["errors"] for row in rows))
    page = render_template("admin/team.html", kind=kind, form=form, rows=rows, general=general,
                           max_roles=MAX_ROLES, max_rows=MAX_ROWS, back=url_for("admin.hospital",
                                                                              hospital_id=kind.hospital_id),
                           title=_("Team for %(name)s", name=kind.name), **_choices(kind))
    return page, 422 if failed else 200
