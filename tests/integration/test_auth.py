"""Accounts: registration, verification, login, reset, change password, profile (throttling: tests/security)."""
import re
from email import policy
from email.parser import BytesParser

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Patient, Role, User
from tests.conftest import PASSWORD


def _links(mail_folder, subject_part: str) -> list[str]:
    links = []
    for path in sorted(mail_folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if subject_part in msg["subject"]:
            links += re.findall(r"http://localhost(/auth/\S+)", msg.get_body(("plain",)).get_content())
    return links


def _register(client, **over):
    data = {"name": "Ada Lovelace", "email": "ada@example.org", "password": PASSWORD, "confirm": PASSWORD,
            "language": "en", "phone": "+44 7911 123456"}
    data.update(over)
    return client.post("/auth/register", data=data)


def test_register_verify_login(client, auth, mail_folder):
    res = _register(client)
    assert res.status_code == 200 and b"Check your e-mail" in res.data
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert user.role == Role.PATIENT and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    assert patient.phone == "+447911123456"  # stored as E.164

    res = auth.login("ada@example.org")
    assert res.status_code == 422 and b"confirm your e-mail" in res.data

    (link,) = _links(mail_folder, "Confirm")
    assert client.get(link).status_code == 302
    res = auth.login("ada@example.org")
    assert res.status_code == 302 and res.headers["Location"].endswith("/patient/")
    assert b"Hello, Ada Lovelace" in client.get("/patient/").data


def test_registration_errors_keep_what_was_typed(client, make):
    make.user(Role.PATIENT, email="taken@example.org")
    res = _register(client, email="taken@example.org", phone="12345", password="password123",
                    confirm="password123")
    assert res.status_code == 422
    page = res.data.decode()
    assert "already exists" not in page  # the address being taken is not told (tests/security/test_enumeration.py)
    assert "international format" in page
    assert "too common" in page
    assert 'value="Ada Lovelace"' in page and 'value="taken@example.org"' in page
    assert "password123" not in page  # passwords are never echoed back
    assert db.session.scalar(select(User).where(User.name == "Ada Lovelace")) is None


def test_weak_password_variants(client):
    assert b"at least 10" in _register(client, password="Ab1!", confirm="Ab1!").data
    assert b"e-mail address in your password" in _register(
        client, email="lovelace@example.org", password="lovelace-2024!", confirm="lovelace-2024!").data
    assert b"do not match" in _register(client, confirm="something-else-9").data


def test_rate_limit_on_login_answers_429(app, make):
    from app.extensions import limiter

    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    try:
        client = app.test_client()
        statuses = [client.post("/auth/login", data={"email": "x@example.org", "password": "nope-nope"},
                                environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(12)]
        assert 429 in statuses
        limited = client.post("/auth/login", data={"email": "x@example.org", "password": "nope"},
                              environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert limited.status_code == 429 and "Retry-After" in limited.headers
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
        limiter.reset()


def test_deactivated_user_cannot_log_in(auth, make):
    user = make.user(Role.STAFF)
    user.active = False
    db.session.commit()
    res = auth.login(user.email)
    assert res.status_code == 403 and b"deactivated" in res.data


def test_password_reset_link_works_once(client, auth, make, mail_folder):
    user = make.user(Role.PATIENT)
    client.post("/auth/forgot", data={"email": user.email})
    client.post("/auth/forgot", data={"email": "nobody@example.org"})  # same answer, no mail
    (link,) = _links(mail_folder, "Reset")
    new = "brand-New-secret-42"
    res = client.post(link, data={"password": new, "confirm": new})
    assert res.status_code == 302
    assert auth.login(user.email, new).status_code == 302
    auth.logout()
    res = client.post(link, data={"password": "another-Secret-43", "confirm": "another-Secret-43"})
    assert res.status_code == 302 and "/auth/forgot" in res.headers["Location"]
    assert b"already been used" in client.get("/auth/forgot").data


def test_tampered_reset_link(client):
    res = client.get("/auth/reset/not-a-real-token", follow_redirects=True)
    assert b"not valid" in res.data


def test_change_password_and_profile(client, auth, make):
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    res = client.post("/auth/password", data={"current_password": "wrong", "password": "new-Secret-999x",
                                              "confirm": "new-Secret-999x"})
    assert b"current password is not correct" in res.data
    res = client.post("/auth/password", data={"current_password": PASSWORD, "password": "new-Secret-999x",
                                              "confirm": "new-Secret-999x"})
    assert res.status_code == 302
    res = client.post("/auth/profile", data={"name": "New Name", "language": "de", "phone": "+49 30 901820",
                                             "blood_type": "O-", "sex": "female",
                                             "emergency_contact_name": "Kin", "emergency_contact_phone": "bad"})
    assert res.status_code == 422
    res = client.post("/auth/profile", data={"name": "New Name", "language": "de", "phone": "+49 30 901820",
                                             "blood_type": "O-", "sex": "female"})
    assert res.status_code == 302
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    db.session.refresh(patient)
    assert (patient.name, patient.phone, patient.blood_type) == ("New Name", "+4930901820", "O-")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.profile"))
    assert event.before["blood_type"] is None and event.after["blood_type"] == "O-"


def test_open_redirect_is_refused(client, auth, make):
    user = make.user(Role.PATIENT)
    res = client.post("/auth/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD})
    assert res.headers["Location"].endswith("/patient/")


def test_session_cookie_flags(app, make):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        client = app.test_client()
        user = make.user(Role.PATIENT)
        res = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        cookie = res.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_expired_links(client, make, mail_folder, monkeypatch):
    from app.services.accounts import users as accounts

    user = make.user(Role.PATIENT, verified=False)
    client.post("/auth/verify/resend", data={"email": user.email})
    client.post("/auth/forgot", data={"email": user.email})
    (verify,) = _links(mail_folder, "Confirm")
    (reset,) = _links(mail_folder, "Reset")
    monkeypatch.setattr(accounts, "VERIFY_MAX_AGE", -1)
    monkeypatch.setattr(accounts, "RESET_MAX_AGE", -1)
    assert b"has expired" in client.get(verify, follow_redirects=True).data
    assert b"has expired" in client.get(reset, follow_redirects=True).data
    db.session.refresh(user)
    assert user.email_verified_at is None
