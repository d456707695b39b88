"""The patient's own data: profile photo files, the JSON export, and account deletion that keeps what the hospital
must keep (the appointments stay, linked to an anonymised patient row).

No request objects here: callers pass bytes and users; functions flush and never commit (the view commits once).
Photo files are written before the commit and removed only after it, by the caller, so a rolled-back request
never leaves a row pointing at a missing file.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, or_, select

from app.extensions import db
from app.models import ApiToken, Appointment, AuditEvent, Patient, QueueEntry, Role, User
from app.models.base import utcnow
from app.scheduling.lifecycle import CHECKED_IN, SCHEDULED
from app.services import audit, booking, signals
from app.services.accounts import sessions
from app.services.accounts.passwords import verify_password

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_DIR = "patients"
DELETED_NAME = "Deleted patient"
REDACTED = "[deleted]"
UNUSABLE_PASSWORD = "!deleted"  # not an argon2 hash: verify_password() can never accept it
PERSONAL_FIELDS = ("name", "email", "phone", "birth_date", "address", "emergency_contact_name",
                   "emergency_contact_phone", "photo")
STAFF_ROLES = (Role.DOCTOR, Role.NURSE, Role.STAFF, Role.ADMIN)


class ProfileError(Exception):
    """A refusal with a message for the form; `field` names the field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- photos ---

def patient_of(user: User) -> Patient | None:
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


def create_patient_record(user: User) -> Patient:
    """The patient record of an account that has none yet (operators create accounts without one)."""
    patient = Patient(user_id=user.id, name=user.name)
    db.session.add(patient)
    db.session.flush()
    return patient


def image_extension(data: bytes) -> str | None:
    """The image type by its magic bytes (never by the file name): 'jpg', 'png', 'webp' or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def upload_root() -> Path:
    return Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")


def store_photo(data: bytes, root: Path | None = None, directory: str = PHOTO_DIR) -> str:
    """Check and write an uploaded photo into `directory` (patients, doctors); returns its stored name (relative to
    the upload root)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ProfileError("The photo is larger than 2 MB.", "photo_upload")
    ext = image_extension(data)
    if ext is None:
        raise ProfileError("Only JPEG, PNG or WebP images are accepted.", "photo_upload")
    folder = (root or upload_root()) / directory
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{directory}/{secrets.token_hex(16)}.{ext}"  # random: the name reveals nothing and cannot be guessed
    (folder.parent / name).write_bytes(data)
    return name


def remove_photo(name: str | None, root: Path | None = None, directory: str = PHOTO_DIR) -> None:
    """Delete a stored photo file (after the commit that stopped pointing at it)."""
    if not name:
        return
    path = (root or upload_root()) / name
    if path.parent.name == directory:  # only our own folder, whatever the column holds
        path.unlink(missing_ok=True)


@dataclass
class ProfileUpdate:
    """What the profile form sends: the account's name and language, and for a patient their record fields,
    notification preferences and photo (new bytes, or removed)."""

    name: str
    language: str
    record: dict[str, object] = field(default_factory=dict)
    preferences: dict[str, bool] = field(default_factory=dict)
    photo: bytes | None = None
    remove_photo: bool = False


def update_profile(user: User, patient: Patient | None, change: ProfileUpdate) -> str | None:
    """Save one's own details (audited). Returns the stored photo that nothing points at any more, for the caller to
    delete after the commit; raises ProfileError for an unusable photo before anything changes."""
    fields = ("name", *change.record, *change.preferences, "photo") if patient else ("name",)
    target = patient or user
    before = audit.snapshot(target, fields)
    old_photo = None
    if patient is not None:
        if change.photo is not None:
            old_photo, patient.photo = patient.photo, store_photo(change.photo)
        elif change.remove_photo:
            old_photo, patient.photo = patient.photo, None
        for name, value in change.record.items():
            setattr(patient, name, value)
        for name, value in change.preferences.items():
            setattr(patient, name, value)
        patient.name = change.name
    user.name = change.name
    user.language = change.language
    audit.record(user.id, "user.profile", "patient" if patient else "user", target.id, before=before,
                 after=audit.snapshot(target, fields))
    return old_photo


def may_see_photo(viewer: User, patient: Patient) -> bool:
    """The patient themself, a region admin, or hospital people where the patient has an appointment."""
    if not patient.photo or patient.anonymised_at is not None:
        return False
    if patient.user_id is not None and patient.user_id == viewer.id:
        return True
    if viewer.role not in STAFF_ROLES:
        return False
    if viewer.is_region_admin:
        return True
    hospitals = viewer.hospital_ids
    return bool(hospitals) and db.session.scalar(select(Appointment.id).where(
        Appointment.patient_id == patient.id, Appointment.hospital_id.in_(hospitals)).limit(1)) is not None


# --- export ---

def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _local(instant: datetime, tz: str) -> str:
    return instant.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).isoformat()


def export_data(user: User, patient: Patient) -> dict:
    """Everything the portal holds about this patient and their own actions, as JSON-safe values."""
    appointments = list(db.session.scalars(
        select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.start)))
    appointment_ids = [a.id for a in appointments]
    about = [(AuditEvent.target_type == "user") & (AuditEvent.target_id == user.id),
             (AuditEvent.target_type == "patient") & (AuditEvent.target_id == patient.id)]
    if appointment_ids:
        about.append((AuditEvent.target_type == "appointment") & AuditEvent.target_id.in_(appointment_ids))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id, or_(*about))
                                .order_by(AuditEvent.at, AuditEvent.id))
    return {
        "format": "waitless-export-1",
        "exported_at": _iso(utcnow()) + "Z",
        "account": {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                    "language": user.language, "created_at": _iso(user.created_at),
                    "email_verified_at": _iso(user.email_verified_at)},
        "patient": {"id": patient.id, "name": patient.name, "birth_date": _iso(patient.birth_date),
                    "sex": patient.sex, "blood_type": patient.blood_type, "phone": patient.phone,
                    "address": patient.address, "emergency_contact_name": patient.emergency_contact_name,
                    "emergency_contact_phone": patient.emergency_contact_phone,
                    "notify_email": patient.notify_email, "notify_sms": patient.notify_sms,
                    "has_photo": bool(patient.photo), "created_at": _iso(patient.created_at)},
        "appointments": [_appointment(a) for a in appointments],
        "audit_events": [{"at": _iso(e.at), "action": e.action, "target_type": e.target_type,
                          "target_id": e.target_id, "before": e.before, "after": e.after, "comment": e.comment}
                         for e in events],
    }


def record_export(user: User, patient: Patient) -> None:
    """A download of the patient's data: who and when, in the audit trail (docs/security.md, "Audit")."""
    audit.record(user.id, "patient.export", "patient", patient.id)


def _appointment(a: Appointment) -> dict:
    tz = a.hospital.timezone
    return {"id": a.id, "status": a.status, "hospital": a.hospital.name, "timezone": tz,
            "doctor": a.doctor.name if a.doctor is not None else None,
            "room": a.room.name if a.room is not None else None,
            "start": _local(a.start, tz), "end": _local(a.end, tz), "appointment_type": a.appointment_type,
            "urgency": a.urgency, "reason": a.reason, "fee": str(a.fee) if a.fee is not None else None,
            "currency": a.currency,
            "booked_at": _iso(a.created_at), "cancelled_at": _iso(a.cancelled_at), "cancel_reason": a.cancel_reason}


# --- deletion ---

def delete_account(user: User, patient: Patient, password: str, now: datetime | None = None) -> str | None:
    """Deactivate and anonymise; cancel future appointments (their slots free up), keep past ones.

    Raises ProfileError (nothing changed) when the password is wrong. Returns the photo file the caller removes
    after the commit.
    """
    if not verify_password(user, password):
        raise ProfileError("Your password is not correct.", "password")
    now = now or utcnow()
    photo = patient.photo
    redactions = _redactions(user, patient)
    user.active = False  # first: the cancellations below then queue no message to the old address
    user.email = f"deleted-{user.id}@invalid"
    user.name = DELETED_NAME
    user.password_hash = UNUSABLE_PASSWORD
    sessions.end_all(user)  # every browser still logged in to the closed account is logged out
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    patient.name = DELETED_NAME
    patient.birth_date = patient.phone = patient.address = None
    patient.emergency_contact_name = patient.emergency_contact_phone = None
    patient.photo = None
    patient.notify_email = patient.notify_sms = False
    patient.anonymised_at = now
    db.session.flush()
    future = db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status.in_((SCHEDULED, CHECKED_IN)),
        Appointment.start > now).order_by(Appointment.start)).all()
    for appointment in future:
        booking.cancel(user.id, appointment, "Patient deleted account")
    appointment_ids = list(db.session.scalars(select(Appointment.id).where(Appointment.patient_id == patient.id)))
    # the other features remove or redact their copies: off the live queues, names out of notices and the outbox
    signals.patient_erased.send(None, actor_id=user.id, patient_id=patient.id, user_id=user.id,
                                appointment_ids=appointment_ids, redactions=redactions, now=now)
    _scrub_history(user, patient, appointment_ids, redactions)
    audit.record(user.id, "patient.delete", "patient", patient.id,
                 after={"cancelled_appointments": [a.id for a in future], "anonymised_at": _iso(now)})
    return photo


def _redactions(user: User, patient: Patient) -> dict[str, str]:
    """Each personal value the patient's records held, and what replaces it in copies elsewhere."""
    values = {user.name: DELETED_NAME, patient.name: DELETED_NAME, user.email: REDACTED}
    for value in (patient.phone, patient.emergency_contact_name, patient.emergency_contact_phone, patient.address):
        values[value] = REDACTED
    return {k: v for k, v in values.items() if k and k not in (DELETED_NAME, REDACTED)}


def _scrub_history(user: User, patient: Patient, appointment_ids: list[int], redactions: dict[str, str]) -> None:
    """The audit trail keeps what happened under pseudonymous references (ids): personal values in the snapshots
    of the patient, their account, their appointments and their queue entries go (docs/security.md, "Erasure")."""
    about = [(AuditEvent.target_type == "user") & (AuditEvent.target_id == user.id),
             (AuditEvent.target_type == "patient") & (AuditEvent.target_id == patient.id)]
    if appointment_ids:
        about.append((AuditEvent.target_type == "appointment") & AuditEvent.target_id.in_(appointment_ids))
    entry_ids = list(db.session.scalars(select(QueueEntry.id).where(QueueEntry.patient_id == patient.id)))
    if entry_ids:
        about.append((AuditEvent.target_type == "queue_entry") & AuditEvent.target_id.in_(entry_ids))
    for event in db.session.scalars(select(AuditEvent).where(or_(*about))):
        event.before = _redacted(event.before, redactions)
        event.after = _redacted(event.after, redactions)
        if event.comment:
            event.comment = _replace(event.comment, redactions)


def _replace(text: str, redactions: dict[str, str]) -> str:
    for old in sorted(redactions, key=len, reverse=True):
        if len(old) >= 3:
            text = text.replace(old, redactions[old])
    return text


def _redacted(values: dict | None, redactions: dict[str, str]) -> dict | None:
    if not values:
        return values
    return {k: (REDACTED if k in PERSONAL_FIELDS and v is not None
                else _replace(v, redactions) if isinstance(v, str) else v) for k, v in values.items()}
