"""Secure messages over HTTP (docs/messages.md): the patient writes to the desk or their doctor, the desk's and the
doctor's inboxes with unread counts, the e-mail that says only that a message is waiting, attachments checked by
content, and the attacker's tries (someone else's thread, visit or attachment, another hospital's desk, forged and
oversized files, script in the text). Runs on SQLite and MariaDB."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Message, MessageAttachment, MessageThread, OutboxMessage, Patient, Role, User
from app.services import messages
from app.services.accounts import tokens
from app.services.accounts.profile import delete_account
from app.transaction import transaction
from tests.conftest import PASSWORD
from tests.integration.racing import race

SECRET = "my rash is spreading on the left arm"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def visit(patient: Patient, doctor, hospital, days: int = 3) -> Appointment:
    start = datetime(2030, 1, 1, 9) + timedelta(days=days)
    appointment = Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                              end=start + timedelta(minutes=15), status="scheduled")
    db.session.add(appointment)
    db.session.commit()
    return appointment


@pytest.fixture
def clinic(make):
    cardio = make.specialty()
    thames = make.hospital(name="Thames Hospital")
    spree = make.hospital(name="Spree Klinikum", timezone="Europe/Berlin", country="DE")
    doctor = make.doctor(thames, cardio, name="Dr Ada Heart")
    other_doctor = make.doctor(thames, cardio, name="Dr Ben Other")
    desk = make.user(Role.STAFF, thames, name="Dee Desk")
    far_desk = make.user(Role.STAFF, spree, name="Far Desk")
    admin = make.user(Role.ADMIN, thames, name="Hospital Admin")
    nurse = make.user(Role.NURSE, thames, name="Nina Nurse")
    grace_user = make.user(Role.PATIENT, name="Grace Hopper")
    grace = db.session.scalar(select(Patient).where(Patient.user_id == grace_user.id))
    alan_user = make.user(Role.PATIENT, name="Alan Turing")
    alan = db.session.scalar(select(Patient).where(Patient.user_id == alan_user.id))
    return dict(thames=thames, spree=spree, doctor=doctor, other_doctor=other_doctor, desk=desk, far_desk=far_desk,
                admin=admin, nurse=nurse, grace_user=grace_user, grace=grace, alan_user=alan_user, alan=alan,
                grace_visit=visit(grace, doctor, thames), alan_visit=visit(alan, doctor, thames, 4))


def write_to_desk(client, auth, c, body=SECRET, files=None, **extra):
    auth.login(c["grace_user"].email)
    data = {"recipient": f"desk:{c['thames'].id}", "appointment": str(c["grace_visit"].id), "subject": "My visit",
            "body": body, **extra}
    if files:
        data["attachment"] = files
    res = client.post("/messages/new", data=data, content_type="multipart/form-data")
    auth.logout()
    return res


def bearer(user) -> dict:
    """API calls carry a bearer token (session calls would need the CSRF token, docs/api.md)."""
    with transaction():
        token = tokens.issue_token(user)
    return {"Authorization": f"Bearer {token}"}


def only_thread() -> MessageThread:
    return db.session.scalar(select(MessageThread))


def emails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)))


def test_patient_writes_with_an_image_the_desk_sees_it_unread_and_replies(client, auth, clinic, mail_folder):
    c = clinic
    res = write_to_desk(client, auth, c, files=(io.BytesIO(png_bytes()), "rash.png"))
    assert res.status_code == 302, res.get_data(as_text=True)
    thread = only_thread()
    assert (thread.hospital_id, thread.doctor_id, thread.appointment_id) == (c["thames"].id, None, c["grace_visit"].id)
    assert thread.hospital_unread == 1
    # the desk is told by e-mail that something is waiting, never what
    [mail] = emails_to(c["desk"].email)
    assert mail.template == "message_waiting" and mail.status == "sent"
    sent = "\n".join(p.read_text() for p in mail_folder.glob("*.eml"))
    assert f"/messages/{thread.id}" in sent
    assert "rash" not in sent and "My visit" not in sent and "Grace" not in sent
    assert emails_to(c["far_desk"].email) == []

    auth.login(c["desk"].email)
    inbox = client.get("/messages/").get_data(as_text=True)
    assert 'data-message-unread="1"' in inbox and "My visit" in inbox and "Grace Hopper" in inbox
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert SECRET in page and "rash.png" in page
    db.session.refresh(thread)
    assert thread.hospital_unread == 0
    assert 'data-message-unread' not in client.get("/messages/").get_data(as_text=True)
    [attachment] = db.session.scalars(select(MessageAttachment)).all()
    download = client.get(f"/messages/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == png_bytes()
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"] == 'attachment; filename="rash.png"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    res = client.post(f"/messages/{thread.id}", data={"body": "Please come at 9."}, content_type="multipart/form-data")
    assert res.status_code == 302
    auth.logout()

    db.session.refresh(thread)
    assert thread.patient_unread == 1
    [to_patient] = emails_to(c["grace_user"].email)
    assert "Please come" not in str(to_patient.context)
    auth.login(c["grace_user"].email)
    assert 'data-message-unread="1"' in client.get("/patient/").get_data(as_text=True)
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "Please come at 9." in page and "Dee Desk" in page
    db.session.refresh(thread)
    assert thread.patient_unread == 0


def test_a_message_to_the_doctor_reaches_that_doctor_only(client, auth, clinic):
    c = clinic
    auth.login(c["grace_user"].email)
    res = client.post("/messages/new", data={"recipient": f"doctor:{c['grace_visit'].id}", "subject": "Pills",
                                             "body": "Should I stop the pills?"}, content_type="multipart/form-data")
    assert res.status_code == 302
    auth.logout()
    thread = only_thread()
    assert thread.doctor_id == c["doctor"].id
    assert [m.template for m in emails_to(c["doctor"].user.email)] == ["message_waiting"]
    assert emails_to(c["desk"].email) == []  # the desk may read it, but it is not addressed to the desk

    auth.login(c["other_doctor"].user.email)
    assert client.get(f"/messages/{thread.id}").status_code == 404
    assert "Pills" not in client.get("/messages/").get_data(as_text=True)
    auth.logout()
    auth.login(c["desk"].email)  # the desk of the thread's hospital reads it; it does not count as theirs unread
    assert client.get(f"/messages/{thread.id}").status_code == 200
    db.session.refresh(thread)
    assert thread.hospital_unread == 1
    auth.logout()
    auth.login(c["doctor"].user.email)
    assert 'data-message-unread="1"' in client.get("/doctor/").get_data(as_text=True)
    assert "Should I stop the pills?" in client.get(f"/messages/{thread.id}").get_data(as_text=True)
    db.session.refresh(thread)
    assert thread.hospital_unread == 0


@pytest.mark.parametrize("who", ["alan_user", "far_desk", "admin", "nurse"])
def test_nobody_else_reads_a_thread_or_its_attachment(client, auth, clinic, who):
    c = clinic
    write_to_desk(client, auth, c, files=(io.BytesIO(pdf_bytes()), "letter.pdf"))
    thread = only_thread()
    attachment = db.session.scalar(select(MessageAttachment))
    assert attachment.content_type == "application/pdf"
    auth.login(c[who].email)
    refused = (404,) if who in ("alan_user", "far_desk") else (403,)  # nurses and admins have no messages pages
    assert client.get(f"/messages/{thread.id}").status_code in refused
    assert client.post(f"/messages/{thread.id}", data={"body": "hi"}).status_code in refused
    assert client.get(f"/messages/attachments/{attachment.id}").status_code in refused
    auth.logout()
    headers = bearer(c[who])
    api = client.get(f"/api/v1/messages/threads/{thread.id}", headers=headers)
    assert api.status_code == 404 and api.get_json()["error"]
    assert client.post(f"/api/v1/messages/threads/{thread.id}/messages", json={"body": "hi"},
                       headers=headers).status_code == 404
    assert client.get("/api/v1/messages/threads", headers=headers).get_json() == {"threads": []}
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_someone_elses_visit_is_refused(client, auth, clinic):
    c = clinic
    auth.login(c["grace_user"].email)
    for data in ({"recipient": f"doctor:{c['alan_visit'].id}"},
                 {"recipient": f"desk:{c['thames'].id}", "appointment": str(c["alan_visit"].id)},
                 {"recipient": f"desk:{c['spree'].id}"}):
        res = client.post("/messages/new", data={"subject": "x", "body": "y", **data},
                          content_type="multipart/form-data")
        assert res.status_code == 422 and "Not a valid choice" in res.get_data(as_text=True), data
    headers = bearer(c["grace_user"])
    res = client.post("/api/v1/messages/threads", json={"to": "doctor", "appointment_id": c["alan_visit"].id,
                                                        "subject": "x", "body": "y"}, headers=headers)
    assert res.status_code == 404 and res.get_json()["fields"] == {"appointment_id": "No such appointment of yours."}
    res = client.post("/api/v1/messages/threads", json={"to": "desk", "hospital_id": c["spree"].id,
                                                        "subject": "x", "body": "y"}, headers=headers)
    assert res.status_code == 404
    assert db.session.scalar(select(func.count(MessageThread.id))) == 0


def test_script_is_shown_as_text_and_oversized_text_is_refused(client, auth, clinic, app):
    c = clinic
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert write_to_desk(client, auth, c, body=script).status_code == 302
    thread = only_thread()
    auth.login(c["desk"].email)
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    long = "a" * (app.config["MESSAGE_MAX_CHARS"] + 1)
    res = client.post(f"/messages/{thread.id}", data={"body": long}, content_type="multipart/form-data")
    assert res.status_code == 422 and "at most 5000 characters" in res.get_data(as_text=True)
    res = client.post(f"/api/v1/messages/threads/{thread.id}/messages", json={"body": long},
                      headers=bearer(c["desk"]))
    assert res.status_code == 422 and "body" in res.get_json()["fields"]
    res = client.post(f"/messages/{thread.id}", data={"body": "bidi \u202e gpj.exe"})
    assert res.status_code == 422
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_a_forged_image_is_refused_by_its_content(client, auth, clinic):
    c = clinic
    exe = b"MZ\x90\x00" + b"\x00" * 200  # a Windows program renamed to look like a picture
    res = write_to_desk(client, auth, c, files=(io.BytesIO(exe), "holiday.png"))
    assert res.status_code == 422 and "Only PNG or JPEG images and PDF files" in res.get_data(as_text=True)
    fake_png = b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10  # the right magic bytes, nothing behind them
    res = write_to_desk(client, auth, c, files=(io.BytesIO(fake_png), "x.png"))
    assert res.status_code == 422
    fake_pdf = b"%PDF-1.7\n<script>alert(1)</script>"
    res = write_to_desk(client, auth, c, files=(io.BytesIO(fake_pdf), "x.pdf"))
    assert res.status_code == 422
    assert db.session.scalar(select(func.count(MessageThread.id))) == 0  # nothing half-written


def test_a_jpeg_keeps_a_clean_name_that_matches_its_content(client, auth, clinic):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "JPEG")
    assert write_to_desk(client, auth, clinic, files=(io.BytesIO(out.getvalue()), "..\\evil<x>.pdf")).status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    assert (attachment.filename, attachment.content_type) == ("evilx.jpg", "image/jpeg")


def test_six_megabytes_are_refused_on_the_form(client, auth, clinic):
    c = clinic
    big = png_bytes() + b"\x00" * (6 * 1024 * 1024)
    res = write_to_desk(client, auth, c, files=(io.BytesIO(big), "big.png"))
    assert res.status_code == 413
    page = res.get_data(as_text=True)
    assert "The file must be smaller than 5 MB." in page and 'name="subject"' in page
    assert db.session.scalar(select(func.count(MessageThread.id))) == 0


def test_just_under_the_limit_is_refused_by_the_check_not_the_server(client, auth, clinic, app):
    """A body that the form limit lets through but is not smaller than the attachment limit: the service says so."""
    c = clinic
    data = png_bytes() + b"\x00" * (app.config["MESSAGE_ATTACHMENT_MAX_BYTES"] - len(png_bytes()))
    res = write_to_desk(client, auth, c, files=(io.BytesIO(data), "edge.png"))
    assert res.status_code == 422 and "smaller than 5 MB" in res.get_data(as_text=True)


def test_the_rest_api_lists_creates_and_answers(client, clinic):
    c = clinic
    grace = bearer(c["grace_user"])
    res = client.post("/api/v1/messages/threads", json={"to": "desk", "hospital_id": c["thames"].id,
                                                        "subject": "Parking", "body": "Where can I park?"},
                      headers=grace)
    assert res.status_code == 201, res.get_json()
    created = res.get_json()
    assert created["hospital_id"] == c["thames"].id and created["doctor_id"] is None
    assert [m["body"] for m in created["messages"]] == ["Where can I park?"]
    res = client.post("/api/v1/messages/threads", json={"to": "doctor", "appointment_id": c["grace_visit"].id,
                                                        "subject": "Dose", "body": "Twice a day?"}, headers=grace)
    assert res.status_code == 201 and res.get_json()["doctor_id"] == c["doctor"].id
    listed = client.get("/api/v1/messages/threads", headers=grace).get_json()["threads"]
    assert [t["subject"] for t in listed] == ["Dose", "Parking"]

    desk = bearer(c["desk"])
    inbox = client.get("/api/v1/messages/threads", headers=desk).get_json()["threads"]
    assert {t["subject"]: t["unread"] for t in inbox} == {"Parking": 1, "Dose": 0}
    res = client.post(f"/api/v1/messages/threads/{created['id']}/messages", json={"body": "Behind building B."},
                      headers=desk)
    assert res.status_code == 201 and res.get_json()["from_patient"] is False
    assert client.post("/api/v1/messages/threads", json={"to": "desk", "hospital_id": c["thames"].id,
                                                         "subject": "x", "body": "y"}, headers=desk).status_code == 403
    assert {t["subject"]: t["unread"] for t in client.get("/api/v1/messages/threads", headers=grace)
            .get_json()["threads"]} == {"Parking": 1, "Dose": 0}
    doctor = bearer(c["doctor"].user)
    assert [t["subject"] for t in client.get("/api/v1/messages/threads", headers=doctor)
            .get_json()["threads"]] == ["Dose"]
    assert client.get("/api/v1/messages/threads", headers=bearer(c["far_desk"])).get_json() == {"threads": []}
    assert client.get("/api/v1/messages/threads").status_code == 401

    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/messages/threads", "/api/v1/messages/threads/{thread_id}/messages"} <= set(spec["paths"])


def test_erasing_the_patient_deletes_their_threads_and_attachments(client, auth, clinic):
    c = clinic
    write_to_desk(client, auth, c, files=(io.BytesIO(png_bytes()), "rash.png"))
    assert db.session.scalar(select(func.count(MessageAttachment.id))) == 1
    with transaction():
        delete_account(c["grace_user"], c["grace"], PASSWORD)
    for model in (MessageThread, Message, MessageAttachment):
        assert db.session.scalar(select(func.count(model.id))) == 0, model
    mail = emails_to(c["desk"].email)
    assert mail and all(re.search("Grace|rash", str(m.context)) is None for m in mail)


def test_german_pages_and_refusals(client, auth, clinic):
    c = clinic
    c["grace_user"].language = "de"
    db.session.commit()
    auth.login(c["grace_user"].email)
    page = client.get("/messages/new").get_data(as_text=True)
    assert "Neue Nachricht" in page and "Empfang, Thames Hospital" in page
    res = client.post("/messages/new", data={"recipient": f"desk:{c['thames'].id}", "subject": "Hallo", "body": "x",
                                             "attachment": (io.BytesIO(b"MZ" + b"\0" * 50), "bild.png")},
                      content_type="multipart/form-data")
    assert "Nur PNG- oder JPEG-Bilder und PDF-Dateien können angehängt werden." in res.get_data(as_text=True)
    big = io.BytesIO(b"\0" * (6 * 1024 * 1024))
    res = client.post("/messages/new", data={"subject": "x", "attachment": (big, "big.pdf")},
                      content_type="multipart/form-data")
    assert res.status_code == 413 and "Die Datei muss kleiner als 5 MB sein." in res.get_data(as_text=True)


def test_messages_written_at_once_are_all_counted_unread(app, client, auth, clinic, make):
    """Two desk members answer at the same moment, each on its own connection: the patient's count is 2, not 1."""
    c = clinic
    write_to_desk(client, auth, c)
    thread_id = only_thread().id
    writers = [c["desk"].id, make.user(Role.STAFF, c["thames"], name="Second Desk").id]

    def answer(i: int) -> int:
        thread = db.session.get(MessageThread, thread_id)
        return messages.reply(db.session.get(User, writers[i]), thread, f"answer {i}").id

    results, errors = race(app, answer, 2)
    assert errors == [] and len(results) == 2
    db.session.commit()  # a fresh snapshot: MariaDB's repeatable read would still show the count before the race
    assert db.session.get(MessageThread, thread_id).patient_unread == 2
