"""The availability editor, shared by the doctor's own page, the pages where staff or admins act for a doctor, and
a room's sessions page (its managers publish the room's weekly sessions, closures and extra sessions).

A blueprint builds an Editor (whose availability, which hospitals this user may edit, which endpoints to link) and
hands the request to one of the three views here. Each view validates, calls one app.services.schedules operation,
commits once, flashes and redirects; errors re-render the whole page with status 422 and everything typed kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.doctor.forms import EMPTY_ROWS, ROOM_EXCEPTION_CHOICES, ExceptionForm, ScheduleForm
from app.extensions import db
from app.models import AppointmentType, AvailabilityException, Doctor, Hospital, Room, Schedule
from app.models.base import utcnow
from app.services.availability import resource_for_doctor, resource_for_room, schedules
from app.services.availability.views import availability_preview, local_today
from app.services.waitlist import absence
from app.services.waitlist.policy import may_run_batch
from app.transaction import transaction
from app.web.words import say

PREVIEW_WEEKS = 4


@dataclass
class Editor:
    """Whose availability is edited (a doctor's, or a room's when `room` is set), where, and under which endpoints
    (prefix "doctor.", "staff.doctor_" or "locations.")."""

    doctor: Doctor | None
    hospitals: list[Hospital]  # the hospitals this user may edit for the doctor (the room's own one)
    prefix: str
    url_args: dict = field(default_factory=dict)
    own: bool = False  # the doctor edits their own hours
    back: str | None = None  # endpoint of the list this page was opened from
    room: Room | None = None
    subtitle: str | None = None  # under the heading; a doctor's specialty when None

    def url(self, what: str = "", **kwargs) -> str:
        return url_for(f"{self.prefix}availability{what}", **self.url_args, **kwargs)

    @property
    def resource_id(self) -> int:
        if self.room is not None:
            return resource_for_room(self.room.id).id
        return resource_for_doctor(self.doctor.id).id

    @property
    def heading(self) -> str:
        if self.room is not None:
            return _("Sessions of %(room)s", room=self.room.name)
        return _("My availability") if self.own else _("Availability of %(name)s", name=self.doctor.name)

    def hospital(self, hospital_id: int | None) -> Hospital:
        """The hospital asked for (?hospital=), or the first; 404 for one this user may not edit."""
        if not self.hospitals:
            abort(404)
        if hospital_id is None:
            return self.hospitals[0] if self.room is not None else hospital_with_hours(self.doctor, self.hospitals)
        found = next((h for h in self.hospitals if h.id == hospital_id), None)
        if found is None:
            abort(404)
        return found


def editable_hospitals(doctor: Doctor, scope: set[int] | None) -> list[Hospital]:
    """The doctor's hospitals inside scope (None: every one); 404 when none is, so the doctor looks unknown."""
    hospitals = [h for h in doctor.hospitals if scope is None or h.id in scope]
    if not hospitals:
        abort(404)
    return hospitals


def hospital_with_hours(doctor: Doctor, hospitals: list[Hospital]) -> Hospital:
    """The first hospital where the doctor has hours now or later (the page to open first); else the first."""
    resource_id = resource_for_doctor(doctor.id).id
    with_hours = set(db.session.scalars(select(Schedule.hospital_id).where(
        Schedule.resource_id == resource_id, Schedule.hospital_id.in_([h.id for h in hospitals]),
        (Schedule.valid_till.is_(None)) | (Schedule.valid_till > utcnow().date()))))
    return next((h for h in hospitals if h.id in with_hours), hospitals[0])


# --- the three views ---

def schedule_page(editor: Editor):
    """GET: the editor, filled from the configuration in force; POST: save a new one, or add a row."""
    hospital = editor.hospital(request.args.get("hospital", type=int))
    resource_id = editor.resource_id
    today = local_today(hospital.timezone)
    if request.method == "POST":
        form = ScheduleForm()
        _choices(form, hospital)
        if form.add_row.data:
            form.rules.append_entry()
            _choices(form, hospital)
            return _render(editor, hospital, form=form)
        saved = _save(editor, hospital, resource_id, form)
        if saved is not None:
            return saved
        return _render(editor, hospital, form=form), 422
    form = _prefilled(hospital, resource_id, today, request.args.get("schedule", type=int))
    return _render(editor, hospital, form=form)


def add_exception(editor: Editor):
    hospital = editor.hospital(request.args.get("hospital", type=int))
    form = _exception_form(editor)
    if form.validate_on_submit():
        tz = ZoneInfo(hospital.timezone)
        start = core.to_utc(form.start_date.data, form.start_time.data, tz)
        end = core.to_utc(form.end_date.data, form.end_time.data, tz)
        try:
            with transaction():
                row = schedules.add_exception(current_user.id, editor.resource_id, hospital.id,
                                              start, end, form.available.data == "yes", form.reason.data or "")
        except core.ScheduleInvalid as err:
            for key, message in err.fields.items():
                target = form.end_time if key == "end" else form.start_time
                target.errors = [*target.errors, _("Must be after the start.") if key == "end" else say(message)]
        else:
            if editor.room is not None:
                flash(_("The extra session is added.") if row.available else _("The closure is added."), "success")
            else:
                flash(_("The extra clinic is added.") if row.available else _("The leave is added."), "success")
            # leave over booked appointments: the desk and admins go on to the new times the optimiser proposes
            if (editor.room is None and not row.available and may_run_batch(current_user, hospital.id)
                    and absence.affected(row, utcnow())):
                return redirect(url_for("optimise.absence_proposal", exception_id=row.id))
            return redirect(editor.url(hospital=hospital.id) + "#exceptions")
    return _render(editor, hospital, exception_form=form), 422


def delete_exception(editor: Editor, exception_id: int):
    row = db.session.get(AvailabilityException, exception_id)
    resource_id = editor.resource_id
    if row is None or row.resource_id != resource_id or row.hospital_id not in {h.id for h in editor.hospitals}:
        abort(404)
    hospital_id = row.hospital_id
    with transaction():
        schedules.remove_exception(current_user.id, row)
    flash(_("The entry is removed."), "success")
    return redirect(editor.url(hospital=hospital_id) + "#exceptions")


# --- helpers ---

def _choices(form: ScheduleForm, hospital: Hospital) -> None:
    types = db.session.scalars(select(AppointmentType).where(AppointmentType.hospital_id == hospital.id,
                                                             AppointmentType.active).order_by(AppointmentType.name))
    rooms = db.session.scalars(select(Room).where(Room.hospital_id == hospital.id, Room.active).order_by(Room.name))
    form.set_choices([(t.code, t.name) for t in types], [(r.id, r.name) for r in rooms])


def _prefilled(hospital: Hospital, resource_id: int, today: date, schedule_id: int | None) -> ScheduleForm:
    """A form holding the chosen (or current, else next) configuration and a few blank rows."""
    schedule = None
    if schedule_id is not None:
        schedule = db.session.get(Schedule, schedule_id)
        if schedule is None or schedule.resource_id != resource_id or schedule.hospital_id != hospital.id:
            abort(404)
    schedule = schedule or schedules.current_schedule(resource_id, hospital.id, today) or _next_schedule(
        resource_id, hospital.id, today)
    data: dict = {"valid_from": today, "rules": []}
    if schedule is not None:
        data.update({name: getattr(schedule, name) for name in ScheduleForm.POLICY})
        data["urgent_share"] = round(schedule.urgent_share * 100)
        data["valid_from"] = max(today, schedule.valid_from)
        data["valid_till"] = schedule.valid_till
        # FormField reads its row from an object's attributes
        data["rules"] = [SimpleNamespace(weekday=r.weekday, start=r.start, end=r.end, kind=r.kind,
                                         slot_minutes=r.slot_minutes, tokens_per_slot=r.tokens_per_slot,
                                         appointment_types=sorted(r.type_codes), room_id=r.room_id)
                         for r in schedule.rules]
    form = ScheduleForm(formdata=None, data=data)
    while len(form.rules) < len(data["rules"]) + EMPTY_ROWS:
        form.rules.append_entry()
    _choices(form, hospital)
    return form


def _next_schedule(resource_id: int, hospital_id: int, today: date) -> Schedule | None:
    return db.session.scalar(select(Schedule).where(Schedule.resource_id == resource_id,
                                                    Schedule.hospital_id == hospital_id, Schedule.valid_from > today)
                             .order_by(Schedule.valid_from).limit(1))


def _save(editor: Editor, hospital: Hospital, resource_id: int, form: ScheduleForm):
    """Save through put_schedule; a redirect on success, None when the form shows errors."""
    valid = form.validate_on_submit()
    rows = form.rule_rows()
    if valid and form.valid_from.data < local_today(hospital.timezone):
        form.valid_from.errors = [*form.valid_from.errors, _("Must not be in the past.")]
        valid = False
    if not valid or any(rule is None for _, rule in rows):
        return None
    data = schedules.ScheduleInput(
        valid_from=form.valid_from.data, valid_till=form.valid_till.data, rules=[rule for _, rule in rows],
        horizon_days=form.horizon_days.data, daily_limit=form.daily_limit.data,
        min_notice_minutes=form.min_notice_minutes.data, buffer_minutes=form.buffer_minutes.data,
        urgent_share=form.urgent_share.data / 100, urgent_release_hours=form.urgent_release_hours.data)
    try:
        with transaction():
            schedules.put_schedule(current_user.id, resource_id, hospital.id, data)
    except core.ScheduleInvalid as err:
        # a room's overlapping session is marked on its start field; a doctor's on the whole row, as before
        _show_errors(form, [i for i, _ in rows], err.fields, "start" if editor.room is not None else None)
        return None
    day = format_date(form.valid_from.data, "EEEE d MMMM yyyy")
    flash(_("The sessions of %(room)s are saved, from %(day)s.", room=editor.room.name, day=day)
          if editor.room is not None else
          _("The availability at %(hospital)s is saved, from %(day)s.", hospital=hospital.name, day=day), "success")
    return redirect(editor.url(hospital=hospital.id))


def _show_errors(form: ScheduleForm, row_index: list[int], errors: dict[str, str],
                 row_field: str | None = None) -> None:
    """Attach the core's errors ("rules.2.end", "rules.3", "valid_till", "policy.urgent_share") to their fields;
    an error of a whole row ("rules.3", an overlap) goes to the row's `row_field` when given."""
    for key, raw in errors.items():
        message = say(raw)
        parts = key.split(".")
        if row_field is not None and len(parts) == 2 and parts[0] == "rules":
            parts.append(row_field)
        target = None
        if parts[0] == "rules" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(row_index):
            row = form.rules[row_index[int(parts[1])]].form
            target = getattr(row, parts[2], None) if len(parts) == 3 else None
            if target is None:
                row.form_errors.append(message)
                continue
        elif parts[0] == "policy" and len(parts) == 2:
            target = getattr(form, parts[1], None)
            if parts[1] == "urgent_share":
                message = _("Must be between 0 and 50 %.")
        elif len(parts) == 1:
            target = getattr(form, key, None)
        if target is None:
            form.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]


def _exception_form(editor: Editor, **kwargs) -> ExceptionForm:
    form = ExceptionForm(prefix="leave", **kwargs)
    if editor.room is not None:  # a room closes or opens an extra session; it takes no leave
        form.available.choices = ROOM_EXCEPTION_CHOICES
    return form


def _render(editor: Editor, hospital: Hospital, *, form: ScheduleForm | None = None,
            exception_form: ExceptionForm | None = None):
    resource_id = editor.resource_id
    today = local_today(hospital.timezone)
    if form is None:
        form = _prefilled(hospital, resource_id, today, None)
    if exception_form is None:
        exception_form = _exception_form(editor, formdata=None, data={"start_date": today, "end_date": today})
    if editor.room is not None:  # a room's own words: nobody books it as a patient, it saves sessions
        form.horizon_days.description = _("How far ahead the room may be booked.")
        form.submit.label.text = _("Save sessions")
    configurations = db.session.scalars(select(Schedule).where(
        Schedule.resource_id == resource_id, Schedule.hospital_id == hospital.id,
        (Schedule.valid_till.is_(None)) | (Schedule.valid_till > today)).order_by(Schedule.valid_from)).all()
    return render_template(
        "doctor/availability.html", editor=editor, hospital=hospital, form=form, exception_form=exception_form,
        configurations=configurations, exceptions=_upcoming_exceptions(editor, hospital, resource_id),
        weeks=availability_preview(resource_id, hospital.id, hospital.timezone, today, PREVIEW_WEEKS),
        tz=zone_label(hospital.timezone), title=editor.heading)


def _upcoming_exceptions(editor: Editor, hospital: Hospital, resource_id: int) -> list[dict]:
    """Leave anywhere (it removes time everywhere) and this hospital's extra clinics, not yet over."""
    rows = db.session.scalars(select(AvailabilityException).where(
        AvailabilityException.resource_id == resource_id, AvailabilityException.end > utcnow(),
        (AvailabilityException.hospital_id == hospital.id) | AvailabilityException.available.is_(False))
        .order_by(AvailabilityException.start)).all()
    hospitals = {h.id: h for h in db.session.scalars(select(Hospital).where(
        Hospital.id.in_({r.hospital_id for r in rows})))} if rows else {}
    editable = {h.id for h in editor.hospitals}
    return [{"row": r, "hospital": hospitals[r.hospital_id], "can_delete": r.hospital_id in editable} for r in rows]


def zone_label(tz_name: str) -> str:
    """"Europe/London (GMT)": the zone's name and its abbreviation now."""
    return f"{tz_name} ({datetime.now(ZoneInfo(tz_name)).tzname()})"


def add_routes(bp, path: str, endpoint_prefix: str, make_editor) -> None:
    """Register the editor's three URLs on a blueprint; make_editor(**view_args) checks access and builds it."""
    def page(**kwargs):
        return schedule_page(make_editor(**kwargs))

    def exception(**kwargs):
        return add_exception(make_editor(**kwargs))

    def exception_delete(exception_id: int, **kwargs):
        return delete_exception(make_editor(**kwargs), exception_id)

    bp.add_url_rule(path, f"{endpoint_prefix}availability", page, methods=["GET", "POST"])
    bp.add_url_rule(f"{path}/exceptions", f"{endpoint_prefix}availability_exception", exception, methods=["POST"])
    bp.add_url_rule(f"{path}/exceptions/<int:exception_id>/delete", f"{endpoint_prefix}availability_exception_delete",
                    exception_delete, methods=["POST"])
