"""The patient's profile: photo upload and access, notification preferences, data export, account deletion."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, Appointment, AuditEvent, Claim, OutboxMessage, Patient, Role, User
from app.models.base import utcnow
from app.services import booking
from app.services.accounts.profile import image_extension
from app.services.accounts.tokens import token_digest
from tests.conftest import PASSWORD

PHONE = "+447911123456"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PROFILE = {"name": "Ada Patient", "language": "en", "phone": PHONE, "sex": "", "blood_type": "", "notify_email": "y",
           "notify_sms": "y"}


@pytest.fixture
def uploads(app, tmp_path, monkeypatch) -> Path:
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="Europe/London")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Grey")
    make.schedule(doctor, hospital, horizon_days=30)
    return hospital, doctor


def slot(days: int, hh: int = 10) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hh, 0)


def book(patient, doctor, start: datetime) -> Appointment:
    appointment = booking.book(None, patient, doctor, start, now=min(utcnow(), start - timedelta(hours=1)))
    db.session.commit()
    return appointment


def patient_of(user) -> Patient:
    db.session.expire_all()
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


def upload(client, data: bytes, filename: str, **form):
    return client.post("/auth/profile", data={**PROFILE, **form, "photo_upload": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


# --- photos ---

def test_magic_bytes_decide_the_type():
    assert (image_extension(PNG), image_extension(JPEG), image_extension(WEBP)) == ("png", "jpg", "webp")
    assert image_extension(b"GIF89a...") is None and image_extension(b"<svg></svg>") is None


def test_photo_upload_accepted_and_served_to_owner(client, auth, make, uploads):
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    res = upload(client, JPEG, "holiday.png")  # the name says png, the bytes say JPEG: the bytes win
    assert res.status_code == 302
    patient = patient_of(user)
    assert patient.photo.startswith("patients/") and patient.photo.endswith(".jpg")
    assert (uploads / patient.photo).read_bytes() == JPEG
    assert "holiday" not in patient.photo
    res = client.get(f"/auth/patients/{patient.id}/photo")
    assert res.status_code == 200 and res.data == JPEG and res.mimetype == "image/jpeg"
    assert "no-store" in res.headers["Cache-Control"]
    assert f"/auth/patients/{patient.id}/photo".encode() in client.get("/auth/profile").data
    assert client.get(f"/static/{patient.photo}").status_code == 404

    old = uploads / patient.photo
    assert upload(client, WEBP, "me.webp").status_code == 302  # a new photo replaces the old file
    assert not old.exists() and patient_of(user).photo.endswith(".webp")
    res = client.post("/auth/profile", data={**PROFILE, "remove_photo": "y"})
    assert res.status_code == 302 and patient_of(user).photo is None
    assert list((uploads / "patients").iterdir()) == []


@pytest.mark.parametrize("data,filename,message", [
    (b"<?php echo 'hi'; ?>" + b"\x00" * 32, "photo.png", b"Only JPEG, PNG or WebP"),  # right name, wrong bytes
    (b"GIF89a" + b"\x00" * 32, "photo.jpg", b"Only JPEG, PNG or WebP"),
    (PNG, "photo.gif", b"Only JPEG, PNG or WebP"),  # right bytes, refused name
    (PNG + b"\x00" * (2 * 1024 * 1024), "big.png", b"larger than 2 MB"),
])
def test_photo_upload_rejected(client, auth, make, uploads, data, filename, message):
    user = make.user(Role.PATIENT, phone=PHONE)
    auth.login(user.email)
    res = upload(client, data, filename, name="Changed Name")
    assert res.status_code == 422 and message in res.data
    patient = patient_of(user)
    assert patient.photo is None and patient.name != "Changed Name"
    assert not (uploads / "patients").exists() or list((uploads / "patients").iterdir()) == []


def test_photo_access_owner_and_treating_hospital_only(client, auth, make, clinic, uploads):
    hospital, doctor = clinic
    owner = make.user(Role.PATIENT)
    auth.login(owner.email)
    upload(client, PNG, "me.png")
    auth.logout()
    patient = patient_of(owner)
    url = f"/auth/patients/{patient.id}/photo"

    other = make.user(Role.PATIENT)
    auth.login(other.email)
    assert client.get(url).status_code == 404  # another patient: looks like nothing is there
    auth.logout()

    staff = make.user(Role.STAFF, hospital)
    elsewhere = make.user(Role.STAFF, make.hospital(name="Elsewhere"))
    auth.login(staff.email)
    assert client.get(url).status_code == 404  # no appointment at this hospital yet
    book(patient, doctor, slot(3))
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(elsewhere.email)
    assert client.get(url).status_code == 404
    auth.logout()
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.get("/auth/patients/999999/photo").status_code in (302, 404)


# --- preferences ---

def test_sms_preference_needs_a_valid_phone(client, auth, make):
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    res = client.post("/auth/profile", data={**PROFILE, "phone": ""})
    assert res.status_code == 422 and b"valid mobile phone number" in res.data
    res = client.post("/auth/profile", data={**PROFILE, "phone": "12345"})
    assert res.status_code == 422
    res = client.post("/auth/profile", data={**PROFILE, "phone": "", "notify_sms": ""})
    assert res.status_code == 302
    patient = patient_of(user)
    assert (patient.notify_email, patient.notify_sms) == (True, False)


@pytest.mark.parametrize("off,kept", [("notify_email", "sms"), ("notify_sms", "email")])
def test_preference_off_queues_nothing_on_that_channel(client, auth, make, clinic, off, kept):
    _, doctor = clinic
    user = make.user(Role.PATIENT, phone=PHONE)
    auth.login(user.email)
    assert client.post("/auth/profile", data={**PROFILE, off: ""}).status_code == 302
    appointment = book(patient_of(user), doctor, slot(3))
    booking.cancel(None, appointment, "Doctor ill")
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment.id)).all()
    assert {r.channel for r in rows} == {kept}
    assert sorted(r.template for r in rows) == ["appointment_booked", "appointment_cancelled"]


# --- export ---

def test_export_contains_own_data_only(client, auth, make, clinic):
    hospital, doctor = clinic
    user = make.user(Role.PATIENT, phone=PHONE, name="Ada Own")
    other = make.user(Role.PATIENT, name="Bob Other", email="bob-other@example.org")
    mine = book(patient_of(user), doctor, slot(3, 10))
    theirs = book(patient_of(other), doctor, slot(3, 11))
    auth.login(other.email)
    client.post(f"/patient/appointments/{theirs.id}/cancel", data={"reason": "Bob's private reason"})
    auth.logout()
    assert db.session.get(Appointment, theirs.id).cancel_reason == "Bob's private reason"
    auth.login(user.email)
    client.post("/auth/profile", data={**PROFILE, "name": "Ada Own", "blood_type": "AB-"})

    res = client.get("/patient/export")
    assert res.status_code == 200 and res.mimetype == "application/json"
    assert "attachment" in res.headers["Content-Disposition"]
    data = json.loads(res.data)
    assert data["account"]["email"] == user.email and data["patient"]["blood_type"] == "AB-"
    assert data["patient"]["phone"] == PHONE and data["patient"]["notify_sms"] is True
    (appt,) = data["appointments"]
    assert appt["id"] == mine.id and appt["hospital"] == hospital.name and appt["doctor"] == "Dr Grey"
    assert appt["timezone"] == "Europe/London" and appt["start"].startswith(slot(3, 10).date().isoformat())
    assert appt["start"][-6:] in ("+00:00", "+01:00")  # a local time with its offset
    actions = {e["action"] for e in data["audit_events"]}
    assert "user.profile" in actions
    text = res.data.decode()
    for foreign in ("Bob Other", "bob-other@example.org", "Bob's private reason"):
        assert foreign not in text
    assert theirs.id not in [a["id"] for a in data["appointments"]]


def test_export_needs_a_patient_login(client, auth, make):
    assert client.get("/patient/export").status_code == 302
    auth.login(make.user(Role.STAFF, make.hospital()).email)
    assert client.get("/patient/export").status_code == 403


# --- deletion ---

def test_delete_account(client, auth, make, clinic, uploads):
    hospital, doctor = clinic
    user = make.user(Role.PATIENT, phone=PHONE)
    email = user.email
    patient = patient_of(user)
    past = book(patient, doctor, slot(-3))
    for status in ("checked_in", "in_progress", "completed"):
        booking.transition(None, past, status)
    db.session.commit()
    future = book(patient, doctor, slot(4))
    db.session.add(ApiToken(user_id=user.id, token_hash=token_digest("secret-token")))
    db.session.commit()
    auth.login(user.email)
    upload(client, PNG, "me.png", address="1 Secret Lane", emergency_contact_name="Kin")
    photo_file = uploads / patient_of(user).photo
    assert photo_file.exists()

    assert b"1 upcoming appointment will be cancelled" in client.get("/patient/delete").data
    res = client.post("/patient/delete", data={"password": PASSWORD, "confirm": "y"})
    assert res.status_code == 302 and res.headers["Location"].endswith("/")
    assert client.get("/patient/").status_code == 302  # logged out

    db.session.expire_all()
    account = db.session.get(User, user.id)
    assert not account.active and account.email == f"deleted-{user.id}@invalid"
    assert not account.password_hash.startswith("$argon2")
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
    assert auth.login(email).status_code == 422  # the old address no longer exists
    assert auth.login(account.email).status_code != 302
    assert client.get("/api/v1/appointments?mine=1",
                      headers={"Authorization": "Bearer secret-token"}).status_code == 401

    row = db.session.get(Patient, patient.id)
    assert row.name == "Deleted patient" and row.anonymised_at is not None
    assert (row.birth_date, row.phone, row.address, row.emergency_contact_name, row.photo) == (None,) * 5
    assert not photo_file.exists()

    assert db.session.get(Appointment, future.id).status == "cancelled"
    assert db.session.get(Appointment, future.id).cancel_reason == "Patient deleted account"
    assert db.session.scalar(select(func.count()).select_from(Claim).where(Claim.appointment_id == future.id)) == 0
    assert db.session.get(Appointment, past.id).status == "completed"
    assert db.session.get(Appointment, past.id).patient_id == patient.id
    rebooked = book(make.patient(), doctor, slot(4))  # the freed slot is bookable again
    assert rebooked.start == future.start

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.delete")).all()
    assert event.actor_id == user.id and event.after["cancelled_appointments"] == [future.id]
    for old in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.profile")):
        assert "1 Secret Lane" not in json.dumps([old.before, old.after])
    leftovers = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient.in_((email, PHONE))))
    assert list(leftovers) == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.user_id == user.id)) == 0


def test_delete_with_wrong_password_changes_nothing(client, auth, make, clinic):
    _, doctor = clinic
    user = make.user(Role.PATIENT, phone=PHONE)
    future = book(patient_of(user), doctor, slot(4))
    auth.login(user.email)
    res = client.post("/patient/delete", data={"password": "not-my-password", "confirm": "y"})
    assert res.status_code == 422 and b"password is not correct" in res.data
    res = client.post("/patient/delete", data={"password": PASSWORD})  # not confirmed
    assert res.status_code == 422
    db.session.expire_all()
    account = db.session.get(User, user.id)
    assert account.active and account.email == user.email
    patient = patient_of(user)
    assert patient.anonymised_at is None and patient.phone == PHONE
    assert db.session.get(Appointment, future.id).status == "scheduled"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.delete")) is None
    assert client.get("/patient/").status_code == 200  # still logged in
