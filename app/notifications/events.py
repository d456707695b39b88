"""What each event tells whom. Every function only queues outbox rows in the caller's transaction: the booking
services call these at their end, so the messages commit (or roll back) with the booking itself."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, AuditEvent, Patient, User
from app.notifications.ics import appointment_uid
from app.notifications.outbox import queue

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


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _sms_enabled() -> bool:
    return current_app.config.get("NOTIFY_SMS", True)


def _language(user: User | None, appointment: Appointment) -> str:
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
        "link": f"{_base_url()}/patient/",
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
    language = _language(user, appointment)
    ctx = appointment_context(appointment, language) | (extra or {})
    queued = 0
    if user is not None:
        email_ctx = dict(ctx)
        if method:
            email_ctx["ics"] = _ics(appointment, ctx, language, method, sequence)
        queued += queue("email", user.email, template, email_ctx, f"{key}:email", language=language,
                        appointment_id=appointment.id, user_id=user.id)
    if sms and patient.phone and _sms_enabled():
        queued += queue("sms", patient.phone, template, ctx, f"{key}:sms", language=language,
                        appointment_id=appointment.id, user_id=user.id if user else None)
    return queued


def appointment_booked(appointment: Appointment) -> int:
    if appointment.kind == "location":
        return 0  # a room booking is the booker's own act; only displacement is news to them
    seq = _sequence(appointment)
    return _to_patient(appointment, "appointment_booked", f"appt:{appointment.id}:booked:{seq}",
                       method="REQUEST", sequence=seq)


def appointment_moved(appointment: Appointment, old_start: datetime, old_tz: str | None = None) -> int:
    seq = _sequence(appointment)
    extra = {"old_start": old_start.isoformat()}
    if old_tz and old_tz != appointment.hospital.timezone:
        extra["old_tz"] = old_tz
    return _to_patient(appointment, "appointment_moved", f"appt:{appointment.id}:moved:{seq}", extra,
                       method="REQUEST", sequence=seq)


def appointment_cancelled(appointment: Appointment, actor_id: int | None, reason: str | None) -> int:
    if appointment.kind == "location":
        return 0  # displaced room bookings: app/locations tells their booker and patient after the commit
    seq = _sequence(appointment)
    patient = appointment.patient
    by = "patient" if patient is not None and actor_id is not None and actor_id == patient.user_id else "hospital"
    return _to_patient(appointment, "appointment_cancelled", f"appt:{appointment.id}:cancelled:{seq}",
                       {"by": by, "reason": reason or ""}, method="CANCEL", sequence=seq)


def appointment_reminder(appointment: Appointment, hours: int) -> int:
    key = f"appt:{appointment.id}:reminder:{hours}h:{appointment.start.isoformat()}"
    return _to_patient(appointment, "appointment_reminder", key, {"hours": hours})


def account_email(user: User, template: str, link: str, token: str) -> bool:
    """Verification and reset mails: one row per token issued (the token's hash keeps the key short)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:24]
    return queue("email", user.email, template, {"user": {"name": user.name}, "link": link},
                 f"user:{user.id}:{template}:{digest}", language=user.language, user_id=user.id)
