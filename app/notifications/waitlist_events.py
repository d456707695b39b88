"""Waitlist messages (issue #7): the offer of a freed slot with its signed link, and "it has been taken".

They reach the patient by the same channels and choices as their appointment messages (app/notifications/events.py).
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import Appointment, Patient
from app.notifications.events import MUTED_KEY, base_url, language_for, sms_enabled
from app.notifications.outbox import queue

OFFER_SALT = "waitless.waitlist-offer"
OFFER_MAX_AGE = 7 * 86400  # a cap only: the offer really ends with its hold, checked when it is accepted


def offer_token(offer) -> str:
    """The offer's id, signed: the link alone lets its patient accept or decline, like a manage link."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=OFFER_SALT).dumps([offer.id])


def read_offer_token(token: str) -> int | None:
    """The offer id a link names, or None when the link is not one we made (tampered, truncated, too old)."""
    try:
        (offer_id,) = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=OFFER_SALT).loads(
            token, max_age=OFFER_MAX_AGE)
    except (BadSignature, SignatureExpired, TypeError, ValueError):
        return None
    return offer_id if isinstance(offer_id, int) else None


def offer_link(offer) -> str:
    return f"{base_url()}/offers/{offer_token(offer)}"


def _offer_context(offer, hold: Appointment, patient: Patient) -> dict:
    hospital = hold.hospital
    return {
        "offer_id": offer.id,
        "patient_name": patient.name,
        "doctor_name": hold.doctor.name if hold.doctor is not None else "",
        "hospital_name": hospital.name,
        "hospital_address": hospital.address or hospital.city,
        "hospital_phone": hospital.phone or "",
        "room_name": hold.room.name if hold.room else "",
        "appointment_type": hold.appointment_type,
        "start": hold.start.isoformat(),
        "end": hold.end.isoformat(),
        "tz": hospital.timezone,
        "expires_at": offer.expires_at.isoformat(),
        "link": f"{base_url()}/patient/",
    }


def _to_waiting_patient(offer, template: str, key: str, extra: dict | None = None) -> int:
    """An offer's messages, by the patient's channel choices, as _to_patient does for their appointments."""
    patient = offer.entry.patient
    if patient is None or db.session.info.get(MUTED_KEY):
        return 0
    user = patient.user if patient.user_id and patient.user and patient.user.active else None
    hold = offer.hold
    language = language_for(user, hold)
    ctx = _offer_context(offer, hold, patient) | (extra or {})
    queued = 0
    if user is not None and patient.notify_email is not False:
        queued += queue("email", user.email, template, ctx, f"{key}:email", language=language,
                        appointment_id=hold.id, user_id=user.id)
    if patient.phone and patient.notify_sms is not False and sms_enabled():
        queued += queue("sms", patient.phone, template, ctx, f"{key}:sms", language=language,
                        appointment_id=hold.id, user_id=user.id if user else None)
    return queued


def waitlist_offer(offer) -> int:
    """A freed slot is held for the patient until the offer expires: e-mail and SMS with the signed link."""
    return _to_waiting_patient(offer, "waitlist_offer", f"offer:{offer.id}", {"offer_link": offer_link(offer)})


def waitlist_taken(offer) -> int:
    """Someone else accepted first: the patient stays on the list."""
    return _to_waiting_patient(offer, "waitlist_taken", f"offer:{offer.id}:taken")


def absence_offer(offer) -> int:
    """The doctor is absent at the patient's booked time: a new time is held for them (waitlist/absence.py). The
    signed link opens the offer: accept moves the booking, decline ("find me another") keeps the patient waiting
    for another time, and the old booking stands until one of them is accepted."""
    return _to_waiting_patient(offer, "absence_offer", f"offer:{offer.id}:absence",
                               {"offer_link": offer_link(offer)})


def emergency_offer(offer) -> int:
    """An emergency needs the doctor at the patient's booked time: a new time is held for them
    (waitlist/emergency.py); the same link and answers as an absence's new time."""
    return _to_waiting_patient(offer, "emergency_offer", f"offer:{offer.id}:emergency",
                               {"offer_link": offer_link(offer)})
