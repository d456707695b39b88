"""Self check-in and the waiting-room display of one hospital.

The kiosk checks a scanned code against the hospital it stands in before asking the queue service to check in;
the service refuses other days and cancelled appointments. A scan of an appointment that is already checked in
shows its token again instead of an error (patients scan twice).
"""
from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from app import scheduling as core
from app.extensions import csrf, db, limiter
from app.kiosk import bp
from app.kiosk.forms import CheckInForm
from app.models import Hospital, QueueEntry
from app.scheduling.codes import EntryStatus
from app.services import queue as queue_service
from app.transaction import transaction
from app.web.words import error_text

SCANS_PER_MINUTE = "30 per minute"  # a queue of people scanning, not a script guessing codes


def _hospital(hospital_id: int) -> Hospital:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not hospital.active:
        abort(404)
    return hospital


def _row_of(entry: QueueEntry):
    rows = queue_service.queue_for(entry.queue.hospital_id, entry.queue.doctor_id, entry.day)
    return next((r for r in rows if r.entry.id == entry.id), None)


@bp.route("/<int:hospital_id>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token: an expired page asks for a new scan instead of a 400 page
@limiter.limit(SCANS_PER_MINUTE, methods=["POST"])
def check_in(hospital_id: int):
    hospital = _hospital(hospital_id)
    form = CheckInForm()
    error, entry, again, status = None, None, False, 200
    if form.is_submitted():
        if not form.validate():
            status = 422
            error = (_("This page had expired. Please scan your code again.") if "csrf_token" in form.errors
                     else form.code.errors[0])
        else:
            entry, again, error = _check_in(hospital, form.code.data.strip())
            status = 200 if entry is not None else 422
        form = CheckInForm(formdata=None)  # the input is empty and focused again for the next person
    row = _row_of(entry) if entry is not None else None
    return render_template("kiosk/check_in.html", hospital=hospital, form=form, entry=entry, row=row, again=again,
                           error=error, title=_("Check in")), status


def _check_in(hospital: Hospital, code: str) -> tuple[QueueEntry | None, bool, str | None]:
    try:
        appointment = queue_service.appointment_from_code(code)
    except core.SchedulingError as err:
        return None, False, error_text(err)
    if appointment.hospital_id != hospital.id:
        return None, False, _("This appointment is at %(hospital)s. Please check in there.",
                              hospital=appointment.hospital.name)
    existing = db.session.scalar(select(QueueEntry).where(QueueEntry.appointment_id == appointment.id))
    if existing is not None and existing.status in (EntryStatus.WAITING, EntryStatus.CALLED):
        return existing, True, None
    try:
        with transaction():
            entry = queue_service.check_in(None, appointment)
    except core.SchedulingError as err:
        return None, False, error_text(err)
    return entry, False, None


def _display_context(hospital: Hospital) -> dict:
    """Per doctor: the called tokens with their room and the next waiting ones; labels only, never names."""
    columns = []
    for doctor, rows in queue_service.hospital_board(hospital.id).items():
        called = [r for r in rows if r.entry.status == EntryStatus.CALLED]
        waiting = [r for r in rows if r.entry.status == EntryStatus.WAITING]
        room = next((r.room_name for r in rows if r.room_name), None)
        columns.append({"doctor": doctor, "room": room, "called": called, "next": waiting[:4],
                        "more": max(len(waiting) - 4, 0)})
    calling = sorted((r for c in columns for r in c["called"]), key=lambda r: r.entry.called_at or r.entry.arrived_at,
                     reverse=True)
    return {"hospital": hospital, "columns": columns, "calling": calling[:4]}


@bp.route("/<int:hospital_id>/display")
def display(hospital_id: int):
    hospital = _hospital(hospital_id)
    return render_template("kiosk/display.html", title=_("Waiting room"), **_display_context(hospital))


@bp.route("/<int:hospital_id>/display/board")
def display_board(hospital_id: int):
    return render_template("kiosk/display_board.html", **_display_context(_hospital(hospital_id)))
