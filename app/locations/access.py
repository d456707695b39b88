"""Who may book a room: its managers grant doctors of the hospital the booker role and staff the manager role,
and revoke either; each change is audited.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.locations import bp
from app.locations.forms import ACCESS_LABELS, ROOM_KIND_LABELS, GrantForm
from app.locations.routes import require_access, room_or_404
from app.models import LocationAccess, Room, User
from app.services import locations
from app.transaction import transaction


def _grant_form(room: Room, level: str) -> GrantForm:
    form = GrantForm(prefix=level)
    form.user_id.choices = [("", "—")] + [(str(i), name) for i, name in locations.grant_candidates(room, level)]
    if level == "booker":
        form.user_id.label.text, form.submit.label.text = _("Doctor"), _("Allow to book")
        form.user_id.description = _("Doctors of this hospital. They may book elective cases.")
    else:
        form.user_id.label.text, form.submit.label.text = _("Staff member"), _("Make manager")
        form.user_id.description = _("Staff of this hospital. Managers may also book emergencies.")
    return form


def _render_access(room: Room, forms: dict[str, GrantForm], status: int = 200):
    rows = db.session.scalars(select(LocationAccess).where(LocationAccess.room_id == room.id)
                              .join(User, LocationAccess.user_id == User.id)
                              .options(joinedload(LocationAccess.user))
                              .order_by(LocationAccess.role.desc(), User.name)).all()
    return render_template("locations/access.html", room=room, hospital=room.hospital, rows=rows,
                           forms=forms, access_labels=ACCESS_LABELS,
                           kind_label=ROOM_KIND_LABELS.get(room.kind, room.kind),
                           title=_("Access to %(room)s", room=room.name)), status


@bp.route("/<int:room_id>/access", endpoint="access")
def access_page(room_id: int):
    room = room_or_404(room_id)
    require_access(room, "manager")
    return _render_access(room, {level: _grant_form(room, level) for level in ("booker", "manager")})


@bp.route("/<int:room_id>/access/<any(booker, manager):level>", methods=["POST"])
def grant(room_id: int, level: str):
    room = room_or_404(room_id)
    require_access(room, "manager")
    form = _grant_form(room, level)
    if not form.validate_on_submit():
        forms = {name: form if name == level else _grant_form(room, name) for name in ("booker", "manager")}
        return _render_access(room, forms, 422)
    user = db.session.get(User, form.user_id.data)
    with transaction():
        locations.grant(current_user.id, room, user, level)
    if level == "booker":
        flash(_("%(name)s may now book %(room)s.", name=user.name, room=room.name), "success")
    else:
        flash(_("%(name)s now manages %(room)s.", name=user.name, room=room.name), "success")
    return redirect(url_for(".access", room_id=room.id))


@bp.route("/<int:room_id>/access/<int:access_id>/revoke", methods=["POST"])
def revoke(room_id: int, access_id: int):
    room = room_or_404(room_id)
    require_access(room, "manager")
    row = db.session.get(LocationAccess, access_id)
    if row is None or row.room_id != room.id:
        abort(404)
    name = row.user.name
    with transaction():
        locations.revoke(current_user.id, row)
    flash(_("%(name)s no longer has access to %(room)s.", name=name, room=room.name), "success")
    return redirect(url_for(".access", room_id=room.id))
