"""What each event tells whom. Every function only queues outbox rows in the caller's transaction: the booking
services call these at their end, so the messages commit (or roll back) with the booking itself."""
from __future__ import annotations

import functools
import hashlib
import secrets
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Integer, bindparam, func, insert, select, union

from app.extensions import db
from app.models import (
    Appointment,
    AuditEvent,
    AvailabilityException,
    Membership,
    Patient,
    Role,
    SchedulableResource,
    StaffNotice,
    User,
)
from app.models.base import utcnow
from app.notifications import render
from app.notifications.ics import appointment_uid
from app.notifications.outbox import queue, queue_fresh
from app.scheduling.codes import Kind, Status

GERMAN_COUNTRIES = {"DE", "AT", "CH", "LI"}
CHANGE_ACTIONS = ("appointment.book", "appointment.reschedule", "appointment.cancel", "location.book",
                  "location.emergency")
SUMMARIES = {"en": "Appointment with {doctor} at {hospital}", "de": "Termin bei {doctor}, {hospital}"}


MUTED_KEY = "notify.muted"


@contextmanager
def muted():
    """Queue nothing for what happens inside (demo data, imports): nobody is waiting to hear of it."""
    db.session.info[MUTED_KEY] = True
    try:
        yield
    finally:
        db.session.info.pop(MUTED_KEY, None)


BY_PATIENT_KEY = "notify.by_patient"


@contextmanager
def by_patient():
    """What happens inside is the patient's own act without a login (the manage link): messages say so."""
    db.session.info[BY_PATIENT_KEY] = True
    try:
        yield
    finally:
        db.session.info.pop(BY_PATIENT_KEY, None)


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


# --- signed links about one appointment: the manage link (issue 6), the confirm-or-release link of a high-risk
# booking (docs/noshow.md), and the reminders' confirm and cancel links (docs/operations.md, "Reminders").
# One mechanism: the token is [appointment id, start], signed with a salt per purpose, so a token opens only the
# page it was made for, and a moved appointment's old links die.
LINK_PURPOSES = {  # purpose -> (salt, page under /manage, max age in seconds: a cap only; the checks below decide)
    "manage": ("waitless.manage-appointment", "", 400 * 86400),
    "attend": ("waitless.confirm-or-release", "attend/", 14 * 86400),
    "confirm": ("waitless.reminder-confirm", "c/", 60 * 86400),
    "cancel": ("waitless.reminder-cancel", "x/", 60 * 86400),
}
MANAGE_SALT = LINK_PURPOSES["manage"][0]


class ManageLinkError(Exception):
    """status 400: not a link we made (tampered, truncated, another purpose's); 410: ours, but no longer valid."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.reason, self.status = reason, status


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_PURPOSES[purpose][0])


def _epoch(instant: datetime) -> int:
    return int((instant - datetime(1970, 1, 1)).total_seconds())


def link_token(appointment: Appointment, purpose: str) -> str:
    """The appointment's id and its current start, signed for one purpose."""
    return _serializer(purpose).dumps([appointment.id, _epoch(appointment.start)])


def link_for(appointment: Appointment, purpose: str) -> str:
    return f"{base_url()}/manage/{LINK_PURPOSES[purpose][1]}{link_token(appointment, purpose)}"


def read_link(token: str, purpose: str) -> Appointment:
    """The appointment a token of this purpose names, or ManageLinkError: tampered or another purpose's (400);
    gone or moved (410). Each purpose adds its own checks of the appointment's state."""
    try:
        appointment_id, start = _serializer(purpose).loads(token, max_age=LINK_PURPOSES[purpose][2])
    except SignatureExpired:
        raise ManageLinkError("expired", 410) from None
    except (BadSignature, TypeError, ValueError):
        raise ManageLinkError("invalid", 400) from None
    appointment = db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None
    if appointment is None or appointment.kind == Kind.LOCATION:
        raise ManageLinkError("gone", 410)
    if _epoch(appointment.start) != start:
        raise ManageLinkError("moved", 410)
    return appointment


def manage_token(appointment: Appointment) -> str:
    return link_token(appointment, "manage")


def manage_link(appointment: Appointment, page: str = "") -> str:
    return f"{link_for(appointment, 'manage')}{'/' + page if page else ''}"


def read_manage_token(token: str, now: datetime | None = None) -> Appointment:
    """The appointment a manage link names, or ManageLinkError: tampered (400), moved, gone or over (410)."""
    appointment = read_link(token, "manage")
    if (now or utcnow()) >= appointment.end:
        raise ManageLinkError("expired", 410)
    return appointment


def attendance_link(appointment: Appointment) -> str:
    return link_for(appointment, "attend")


def read_attendance_token(token: str, now: datetime | None = None) -> Appointment:
    """The appointment a confirm-or-release link names, or ManageLinkError: tampered (400); moved, gone, over,
    answered already (410). Only links of scheduled appointments without an answer open."""
    appointment = read_link(token, "attend")
    if appointment.patient_id is None:
        raise ManageLinkError("gone", 410)
    if appointment.attendance_answer is not None:
        raise ManageLinkError("used", 410)
    if appointment.status != Status.SCHEDULED:
        raise ManageLinkError("gone", 410)
    if (now or utcnow()) >= appointment.start:
        raise ManageLinkError("expired", 410)
    return appointment


def read_reminder_token(token: str, purpose: str, now: datetime | None = None) -> Appointment:
    """The appointment a reminder's confirm or cancel link names, or ManageLinkError: tampered (400); moved,
    cancelled, past, or (confirm) confirmed already (410). A confirmed appointment may still be cancelled."""
    appointment = read_link(token, purpose)
    if appointment.patient_id is None:
        raise ManageLinkError("gone", 410)
    if appointment.status == Status.CANCELLED:
        raise ManageLinkError("cancelled", 410)
    if (now or utcnow()) >= appointment.start or appointment.status != Status.SCHEDULED:
        raise ManageLinkError("past", 410)
    if purpose == "confirm" and appointment.attendance_answer is not None:
        raise ManageLinkError("used", 410)
    return appointment


def confirm_request(appointment: Appointment, hours: int) -> int:
    """The extra reminder of a high-risk booking: confirm you are coming, or release the time for others."""
    key = f"appt:{appointment.id}:confirm:{appointment.start.isoformat()}"
    return _to_patient(appointment, "appointment_confirm", key,
                       {"hours": hours, "attend_link": attendance_link(appointment)})


def sms_enabled() -> bool:
    return current_app.config.get("NOTIFY_SMS", True)


def language_for(user: User | None, appointment: Appointment) -> str:
    if user is not None:
        return user.language
    return "de" if appointment.hospital.country in GERMAN_COUNTRIES else "en"


def _patient_contacts(appointment: Appointment) -> tuple[Patient | None, User | None]:
    patient = appointment.patient
    if patient is None:
        return None, None
    user = patient.user if patient.user_id else None
    return patient, user if user is not None and user.active else None


def _sequence(appointment: Appointment) -> int:
    """How many times this appointment changed before (the iCalendar SEQUENCE): its booking, moves, cancellation."""
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.target_type == "appointment", AuditEvent.target_id == appointment.id,
        AuditEvent.action.in_(CHANGE_ACTIONS)))
    return max(0, (count or 1) - 1)


def appointment_context(appointment: Appointment, language: str) -> dict:
    hospital = appointment.hospital
    doctor = appointment.doctor
    doctor_name = doctor.name if doctor is not None else ""
    return {
        "appointment_id": appointment.id,
        "patient_name": appointment.patient.name if appointment.patient else "",
        "doctor_name": doctor_name,
        "hospital_name": hospital.name,
        "hospital_address": hospital.address or hospital.city,
        "hospital_phone": hospital.phone or "",
        "room_name": appointment.room.name if appointment.room else "",
        "appointment_type": appointment.appointment_type,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "tz": hospital.timezone,
        "link": f"{base_url()}/patient/",
        "manage_link": manage_link(appointment),
    }


def _ics(appointment: Appointment, ctx: dict, language: str, method: str, sequence: int) -> dict:
    summary = SUMMARIES.get(language, SUMMARIES["en"]).format(doctor=ctx["doctor_name"] or ctx["room_name"],
                                                              hospital=ctx["hospital_name"])
    return {"method": method, "uid": appointment_uid(appointment.id), "sequence": sequence, "summary": summary,
            "location": f"{ctx['hospital_name']}, {ctx['hospital_address']}"}


def _to_patient(appointment: Appointment, template: str, key: str, extra: dict | None = None,
                method: str | None = None, sequence: int = 0, sms: bool = True) -> int:
    patient, user = _patient_contacts(appointment)
    if patient is None or db.session.info.get(MUTED_KEY):
        return 0
    language = language_for(user, appointment)
    ctx = appointment_context(appointment, language) | (extra or {})
    queued = 0
    if user is not None and patient.notify_email is not False:  # the patient's channel choice: nothing queued
        email_ctx = dict(ctx)
        if method:
            email_ctx["ics"] = _ics(appointment, ctx, language, method, sequence)
        queued += queue("email", user.email, template, email_ctx, f"{key}:email", language=language,
                        appointment_id=appointment.id, user_id=user.id)
    if sms and patient.phone and patient.notify_sms is not False and sms_enabled():
        queued += queue("sms", patient.phone, template, ctx, f"{key}:sms", language=language,
                        appointment_id=appointment.id, user_id=user.id if user else None)
    return queued


# --- staff notices: the in-app list at /notices (app/notices). No e-mail to staff: there is no opt-in yet.
NOTICE_TEXTS = {
    "booked": _l("Booked: %(patient)s with %(doctor)s, %(when)s."),
    "moved": _l("Moved: %(patient)s with %(doctor)s, from %(old)s to %(when)s."),
    "cancelled": _l("Cancelled by the hospital: %(patient)s with %(doctor)s, %(when)s. Reason: %(reason)s"),
    "cancelled_by_patient": _l("Cancelled by the patient: %(patient)s with %(doctor)s, %(when)s. "
                               "Reason: %(reason)s"),
}


def _notice_readers(appointment: Appointment) -> list[User]:
    """The hospital's active staff and the doctor: who runs this appointment's day."""
    doctor = appointment.doctor
    return list(db.session.scalars(_readers_statement(), {
        "hospital": appointment.hospital_id, "doctor": doctor.user_id if doctor is not None else None}))


@functools.cache
def _readers_statement():
    """One statement, built once: the reader ids as a derived table joined to users. An `id IN (staff) OR id =
    doctor` condition reads every user row instead (MariaDB cannot use the key for it), which grows with the
    region's patients. A doctor without a login adds a NULL id, which joins nobody."""
    staff = select(Membership.user_id.label("user_id")).where(Membership.hospital_id == bindparam("hospital"),
                                                                Membership.role == Role.STAFF)
    ids = union(staff, select(bindparam("doctor", type_=Integer).label("user_id"))).subquery()
    return select(User).join(ids, ids.c.user_id == User.id).where(User.active).order_by(User.id)


@functools.cache
def _notice_insert():
    return insert(StaffNotice.__table__)  # built once; each notice binds its values


def staff_notices(appointment: Appointment, kind: str, actor_id: int | None = None, *,
                  old_start: datetime | None = None, reason: str | None = None) -> int:
    """Add a notice for each reader (not the one who did it), worded in the reader's language."""
    if appointment.kind == Kind.LOCATION or db.session.info.get(MUTED_KEY):
        return 0
    tz = appointment.hospital.timezone
    notices, mails = [], []
    mail = current_app.config.get("STAFF_NOTICE_EMAIL", True)
    for reader in _notice_readers(appointment):
        if reader.id == actor_id:
            continue
        lang = reader.language if reader.language in current_app.config["LANGUAGES"] else "en"
        with force_locale(lang):
            text = gettext(NOTICE_TEXTS[kind], patient=appointment.patient.name if appointment.patient else "—",
                           doctor=appointment.doctor.name if appointment.doctor else "—",
                           when=render.format_when(appointment.start.isoformat(), tz, lang),
                           old=render.format_when(old_start.isoformat(), tz, lang) if old_start else "",
                           reason=reason or "—")
        notices.append(dict(user_id=reader.id, hospital_id=appointment.hospital_id, appointment_id=appointment.id,
                            kind=kind.split("_")[0], text=text[:2000]))
        if mail:
            # each notice's own e-mail: a key made new here, so nothing dedupes it away
            mails.append(dict(channel="email", recipient=reader.email, template="staff_notice",
                              context={"headline": text[:120], "text": text, "link": f"{base_url()}/notices/"},
                              dedupe_key=f"notice:{appointment.id}:{kind}:{reader.id}:{secrets.token_hex(8)}:email",
                              language=lang, appointment_id=appointment.id, user_id=reader.id))
    if notices:
        # plain inserts, one statement each for all the readers, however many staff the hospital has
        db.session.execute(_notice_insert(), notices)
        queue_fresh(mails)
    return len(notices)


def appointment_booked(appointment: Appointment, *, new: bool = False) -> int:
    """`new`: the appointment was made in this transaction, so its iCalendar SEQUENCE is 0 without counting."""
    if appointment.kind == Kind.LOCATION:
        return 0  # a room booking is the booker's own act; only displacement is news to them
    staff_notices(appointment, "booked", appointment.booked_by_id)
    seq = 0 if new else _sequence(appointment)
    return _to_patient(appointment, "appointment_booked", f"appt:{appointment.id}:booked:{seq}",
                       method="REQUEST", sequence=seq)


def appointment_moved(appointment: Appointment, old_start: datetime, old_tz: str | None = None) -> int:
    staff_notices(appointment, "moved", old_start=old_start)
    seq = _sequence(appointment)
    extra = {"old_start": old_start.isoformat()}
    if old_tz and old_tz != appointment.hospital.timezone:
        extra["old_tz"] = old_tz
    return _to_patient(appointment, "appointment_moved", f"appt:{appointment.id}:moved:{seq}", extra,
                       method="REQUEST", sequence=seq)


def appointment_cancelled(appointment: Appointment, actor_id: int | None, reason: str | None) -> int:
    if appointment.kind == Kind.LOCATION:
        return 0  # displaced room bookings: app/locations tells their booker and patient after the commit
    seq = _sequence(appointment)
    patient = appointment.patient
    by = "patient" if patient is not None and actor_id is not None and actor_id == patient.user_id else "hospital"
    if db.session.info.get(BY_PATIENT_KEY):
        by = "patient"
    staff_notices(appointment, "cancelled_by_patient" if by == "patient" else "cancelled", actor_id, reason=reason)
    return _to_patient(appointment, "appointment_cancelled", f"appt:{appointment.id}:cancelled:{seq}",
                       {"by": by, "reason": reason or ""}, method="CANCEL", sequence=seq)


def doctor_leave(exception: AvailabilityException) -> int:
    """Time taken away (leave) over booked appointments: tell each patient, with a link to choose a new time.

    The appointments stay booked until the patient or the hospital acts; the message says so. One notice per
    appointment and exception (the dedupe key), however often this runs.
    """
    if exception.available or db.session.info.get(MUTED_KEY):
        return 0
    doctor_id = db.session.scalar(select(SchedulableResource.doctor_id).where(
        SchedulableResource.id == exception.resource_id))
    if doctor_id is None:
        return 0  # a room's closure: its bookers hear from app/locations
    affected = db.session.scalars(select(Appointment).where(
        Appointment.doctor_id == doctor_id, Appointment.status == Status.SCHEDULED, Appointment.kind != Kind.LOCATION,
        Appointment.patient_id.is_not(None), Appointment.start < exception.end,
        Appointment.end > exception.start).order_by(Appointment.start)).all()
    queued = 0
    for appointment in affected:
        queued += _to_patient(appointment, "appointment_leave", f"appt:{appointment.id}:leave:{exception.id}",
                              {"rebook_link": manage_link(appointment, "reschedule")})
    return queued


def appointment_reminder(appointment: Appointment, hours: int) -> int:
    """A reminder ``hours`` before the start, with the single-purpose confirm and cancel links."""
    key = f"appt:{appointment.id}:reminder:{hours}h:{appointment.start.isoformat()}"
    return _to_patient(appointment, "appointment_reminder", key,
                       {"hours": hours, "confirm_link": link_for(appointment, "confirm"),
                        "cancel_link": link_for(appointment, "cancel")})


def displaced_recipients(appointment: Appointment) -> list[User]:
    """Who must hear that an elective room booking was displaced: whoever booked it, and the patient."""
    users = []
    if appointment.booked_by_id:
        users.append(db.session.get(User, appointment.booked_by_id))
    if appointment.patient is not None and appointment.patient.user_id:
        users.append(appointment.patient.user)
    return [u for u in users if u is not None and u.active]


def location_displaced(appointment: Appointment, room_day_link: str) -> int:
    """An emergency took the room: tell the booker (with the room's day list to book anew) and the patient (the
    hospital will call), by e-mail through the outbox, in this transaction."""
    if db.session.info.get(MUTED_KEY):
        return 0
    hospital, room = appointment.hospital, appointment.room
    queued = 0
    for user in displaced_recipients(appointment):
        is_patient = user.role == Role.PATIENT
        ctx = {"name": user.name, "room_name": room.name if room else "", "hospital_name": hospital.name,
               "start": appointment.start.isoformat(), "end": appointment.end.isoformat(), "tz": hospital.timezone,
               "patient_name": appointment.patient.name if appointment.patient else "",
               "doctor_name": appointment.doctor.name if appointment.doctor else "", "reason": appointment.reason or "",
               "is_patient": is_patient, "link": f"{base_url()}/patient/" if is_patient else room_day_link}
        queued += queue("email", user.email, "location_displaced", ctx,
                        f"appt:{appointment.id}:displaced:{user.id}:email", language=user.language,
                        appointment_id=appointment.id, user_id=user.id)
    return queued


def account_exists(user: User, login_link: str, reset_link: str) -> bool:
    """Someone tried to register with this user's address: tell the owner, at most once an hour (the sign-up page
    answers as for a new account, docs/security.md, "Logins")."""
    hour = utcnow().strftime("%Y%m%d%H")
    return queue("email", user.email, "account_exists",
                 {"user": {"name": user.name}, "login_link": login_link, "reset_link": reset_link},
                 f"user:{user.id}:account_exists:{hour}", language=user.language, user_id=user.id)


def account_email(user: User, template: str, link: str, token: str) -> bool:
    """Verification and reset mails: one row per token issued (the token's hash keeps the key short)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:24]
    return queue("email", user.email, template, {"user": {"name": user.name}, "link": link},
                 f"user:{user.id}:{template}:{digest}", language=user.language, user_id=user.id)
