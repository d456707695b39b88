"""Doctors have a photo like patients do: uploaded by the doctor or an admin, checked by size and by content (JPEG,
PNG or WebP), public like the doctor's page, shown on it and beside their free times with alt text."""
from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Doctor, Role
from tests.conftest import PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture
def uploads(app, tmp_path, monkeypatch) -> Path:
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart", email="ada@example.org")
    make.schedule(doctor, hospital)
    return hospital, doctor


def fresh(doctor) -> Doctor:
    db.session.expire_all()
    return db.session.get(Doctor, doctor.id)


def upload(client, data: bytes, filename: str, **form):
    return client.post("/doctor/photo", data={**form, "photo_upload": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_doctor_uploads_a_photo_that_everyone_sees(client, auth, clinic, uploads):
    hospital, doctor = clinic
    auth.login("ada@example.org", PASSWORD)
    assert client.get("/doctor/photo").status_code == 200
    assert upload(client, JPEG, "me.jpg").status_code == 302
    stored = fresh(doctor).photo
    assert stored.startswith("doctors/") and stored.endswith(".jpg") and (uploads / stored).read_bytes() == JPEG
    assert [e.after["photo"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "doctor.photo"))] == [stored]
    auth.logout()

    page = client.get(f"/doctors/{doctor.id}").get_data(as_text=True)
    assert f"/doctors/{doctor.id}/photo?v=" in page and 'alt="Photo of Dr Ada Heart"' in page
    served = client.get(f"/doctors/{doctor.id}/photo")
    assert served.status_code == 200 and served.data == JPEG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    day = (date.today() + timedelta(days=3)).isoformat()
    results = client.get(f"/search?hospital={hospital.id}&from={day}&to={day}").get_data(as_text=True)
    assert 'alt="Photo of Dr Ada Heart"' in results and "doctor-thumb" in results

    auth.login("ada@example.org", PASSWORD)
    assert upload(client, WEBP, "new.webp").status_code == 302  # a new photo replaces the old file
    assert not (uploads / stored).exists() and fresh(doctor).photo.endswith(".webp")
    replaced = fresh(doctor).photo
    assert client.post("/doctor/photo", data={"remove_photo": "y"}).status_code == 302
    assert fresh(doctor).photo is None and not (uploads / replaced).exists()
    assert client.get(f"/doctors/{doctor.id}/photo").status_code == 404


@pytest.mark.parametrize("data, filename, message", [
    (PNG + b"\x00" * (2 * 1024 * 1024), "big.png", "larger than 2 MB"),
    (b"<?php echo 'hi'; ?>" + b"\x00" * 32, "photo.png", "Only JPEG, PNG or WebP"),  # right name, wrong bytes
    (b"GIF89a" + b"\x00" * 32, "photo.jpg", "Only JPEG, PNG or WebP"),
    (PNG, "photo.svg", "Only JPEG, PNG or WebP"),  # right bytes, refused name
])
def test_not_an_image_or_too_large_is_refused(client, auth, clinic, uploads, data, filename, message):
    _, doctor = clinic
    auth.login("ada@example.org", PASSWORD)
    res = upload(client, data, filename)
    assert res.status_code == 422 and message in res.get_data(as_text=True)
    assert fresh(doctor).photo is None
    assert list((uploads / "doctors").glob("*")) == []  # nothing written


def test_the_service_checks_the_content_whatever_the_file_name(client, auth, clinic, uploads):
    """The form's name check passed: the bytes still decide (app.services.directory.people)."""
    _, doctor = clinic
    auth.login("ada@example.org", PASSWORD)
    res = upload(client, b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "photo.png")
    assert res.status_code == 422 and "Only JPEG, PNG or WebP" in res.get_data(as_text=True)
    assert fresh(doctor).photo is None


def test_nothing_chosen_is_said_on_the_field(client, auth, clinic, uploads):
    auth.login("ada@example.org", PASSWORD)
    res = client.post("/doctor/photo", data={})
    assert res.status_code == 422 and "Choose a photo to upload." in res.get_data(as_text=True)


def test_admin_sets_and_removes_a_doctors_photo(client, auth, make, clinic, uploads):
    hospital, doctor = clinic
    auth.login(make.user(Role.ADMIN, email="region@example.org").email, PASSWORD)
    form = {"name": "Dr Ada Heart", "specialty_id": doctor.specialty_id, "hospital_ids": [hospital.id],
            "languages": "en", "fee": "80"}
    assert 'enctype="multipart/form-data"' in client.get(f"/admin/doctors/{doctor.id}/edit").get_data(as_text=True)
    res = client.post(f"/admin/doctors/{doctor.id}/edit", content_type="multipart/form-data",
                      data={**form, "photo_upload": (io.BytesIO(b"GIF89a"), "a.png")})
    assert res.status_code == 422 and "Only JPEG, PNG or WebP" in res.get_data(as_text=True)
    assert fresh(doctor).photo is None
    res = client.post(f"/admin/doctors/{doctor.id}/edit", content_type="multipart/form-data",
                      data={**form, "photo_upload": (io.BytesIO(PNG), "a.png")})
    assert res.status_code == 302
    stored = fresh(doctor).photo
    assert stored.startswith("doctors/") and (uploads / stored).read_bytes() == PNG
    assert client.post(f"/admin/doctors/{doctor.id}/edit", data={**form, "remove_photo": "y"}).status_code == 302
    assert fresh(doctor).photo is None and not (uploads / stored).exists()


def test_only_doctors_reach_the_photo_page(client, auth, make, clinic):
    auth.login(make.user(Role.PATIENT).email, PASSWORD)
    assert client.get("/doctor/photo").status_code == 403
