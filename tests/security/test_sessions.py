"""Issue #11 part 3: sessions and remember-me cookies that end (docs/security.md, "Sessions")."""
from __future__ import annotations

import re
from datetime import timedelta

from flask_login.utils import encode_cookie
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Role, User, UserSession
from app.models.base import utcnow
from app.services import accounts
from tests.conftest import PASSWORD
from tests.security.conftest import REMEMBER, cookie, logged_in, login

NEW_PASSWORD = "brand-New-secret-42"


def _sessions_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def test_forged_remember_cookie_is_refused(app, make, new_client):
    """A remember cookie signed with the right key but carrying a user id (what the old cookie held) or a guessed
    token opens nothing: the id in the cookie must be a live session's token."""
    user = make.user(Role.PATIENT)
    with app.test_request_context():
        forged_id = encode_cookie(str(user.id))
        forged_token = encode_cookie("not-a-session-token")
    for value in (forged_id, forged_token, f"{user.id}|0000"):
        browser = new_client()
        browser.set_cookie(REMEMBER, value)
        assert not logged_in(browser)


def test_remember_cookie_differs_per_login_and_works(make, new_client):
    user = make.user(Role.PATIENT)
    first, second = new_client(), new_client()
    assert login(first, user.email, PASSWORD, remember=True).status_code == 302
    assert login(second, user.email, PASSWORD, remember=True).status_code == 302
    assert cookie(first, REMEMBER) and cookie(second, REMEMBER)
    assert cookie(first, REMEMBER) != cookie(second, REMEMBER)
    replay = new_client()  # the remember cookie alone, without the session cookie, logs in
    replay.set_cookie(REMEMBER, cookie(first, REMEMBER))
    assert logged_in(replay)
    assert _sessions_of(user) == 2


def test_remember_cookie_lasts_at_most_the_setting(app, make, client):
    user = make.user(Role.PATIENT)
    login(client, user.email, PASSWORD, remember=True)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    row.expires_at = utcnow() - timedelta(seconds=1)  # its time is up: the cookie opens nothing any more
    db.session.commit()
    assert not logged_in(client)


def test_replayed_session_and_remember_cookie_after_logout_are_refused(make, client, new_client):
    user = make.user(Role.PATIENT)
    login(client, user.email, PASSWORD, remember=True)
    session_cookie, remember_cookie = cookie(client, "session"), cookie(client, REMEMBER)
    assert logged_in(client)
    assert client.post("/auth/logout").status_code == 302
    assert _sessions_of(user) == 0
    for name, value in (("session", session_cookie), (REMEMBER, remember_cookie)):
        replay = new_client()
        replay.set_cookie(name, value)
        assert not logged_in(replay), name


def test_logout_ends_only_this_session(make, new_client):
    user = make.user(Role.PATIENT)
    laptop, phone = new_client(), new_client()
    login(laptop, user.email, PASSWORD)
    login(phone, user.email, PASSWORD)
    laptop.post("/auth/logout")
    assert not logged_in(laptop) and logged_in(phone)


def test_password_change_logs_out_the_other_sessions(make, new_client):
    user = make.user(Role.PATIENT)
    laptop, phone = new_client(), new_client()
    login(laptop, user.email, PASSWORD, remember=True)
    login(phone, user.email, PASSWORD, remember=True)
    phone_remember = cookie(phone, REMEMBER)
    res = laptop.post("/auth/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD})
    assert res.status_code == 302
    assert logged_in(laptop)  # the browser that changed it goes on, in a fresh session
    assert not logged_in(phone)
    replay = new_client()
    replay.set_cookie(REMEMBER, phone_remember)
    assert not logged_in(replay)
    assert _sessions_of(user) == 1


def test_log_out_everywhere(make, new_client):
    user = make.user(Role.STAFF, make.hospital())
    laptop, phone = new_client(), new_client()
    login(laptop, user.email, PASSWORD, remember=True)
    login(phone, user.email, PASSWORD, address="10.1.1.1")
    stamp = user.security_stamp
    assert "Log out everywhere" in laptop.get("/auth/profile").get_data(as_text=True)
    res = laptop.post("/auth/logout-everywhere")
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]
    assert not logged_in(laptop) and not logged_in(phone)
    assert _sessions_of(user) == 0
    assert db.session.get(User, user.id).security_stamp != stamp
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.logout_everywhere"))
    assert event.actor_id == user.id and event.address == "127.0.0.1"


def test_role_change_and_deactivation_end_sessions(make, auth, new_client):
    hospital = make.hospital()
    admin = make.user(Role.ADMIN, email="region@example.org")
    nurse = make.user(Role.NURSE, hospital)
    admin_browser, nurse_browser = new_client(), new_client()
    login(admin_browser, admin.email, PASSWORD)
    login(nurse_browser, nurse.email, PASSWORD)
    res = admin_browser.post(f"/admin/users/{nurse.id}", data={"name": nurse.name, "role": "staff", "active": "y"})
    assert res.status_code == 302
    assert not logged_in(nurse_browser)

    login(nurse_browser, nurse.email, PASSWORD)
    assert logged_in(nurse_browser)
    assert admin_browser.post(f"/admin/users/{nurse.id}/deactivate").status_code == 302
    assert not logged_in(nurse_browser)
    assert _sessions_of(nurse) == 0


def test_reset_link_carries_no_hash_and_dies_with_the_stamp(app, make, client):
    user = make.user(Role.PATIENT)
    with app.test_request_context():
        token = accounts.reset_token(user)
        _ok, payload = URLSafeTimedSerializer(app.config["SECRET_KEY"]).loads_unsafe(token)
    assert payload == {"uid": user.id}  # nothing of the password hash travels in the link
    with app.test_request_context():
        assert accounts.user_for_reset(token).id == user.id
    login(client, user.email, PASSWORD)
    client.post("/auth/logout-everywhere")  # rotates the stamp: links issued before die
    res = client.get(f"/auth/reset/{token}")
    assert res.status_code == 302 and "/auth/forgot" in res.headers["Location"]


def test_reset_ends_sessions_and_link_is_not_kept_in_the_outbox(make, client, new_client, mail_folder):
    user = make.user(Role.PATIENT)
    phone = new_client()
    login(phone, user.email, PASSWORD, remember=True)
    client.post("/auth/forgot", data={"email": user.email})
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "reset_password"))
    db.session.refresh(row)
    assert row.status == "sent"
    assert "/auth/reset/" not in str(row.context)  # sent: the outbox keeps no usable link
    link = None
    for path in mail_folder.glob("*.eml"):
        found = re.search(r"http://localhost(/auth/reset/\S+)", path.read_text())
        link = link or (found and found.group(1))
    assert link
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert not logged_in(phone)
    assert _sessions_of(user) == 0


def test_last_seen_is_recorded_after_the_request(make, client):
    user = make.user(Role.PATIENT)
    login(client, user.email, PASSWORD)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    row.last_seen_at = long_ago = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert logged_in(client)
    db.session.refresh(row)
    assert row.last_seen_at > long_ago + timedelta(minutes=59)


def test_users_compare_as_accounts_not_as_session_tokens(make):
    """get_id() is a session token now (None outside a login): two accounts must still differ."""
    first, second = make.user(Role.PATIENT), make.user(Role.PATIENT)
    assert first != second and first == db.session.get(User, first.id)
    assert first in [first] and second not in [first]
    assert len({first, second}) == 2


def test_assets_beside_a_page_leave_the_session_cookie_alone(client):
    """A browser fetches /favicon.ico and the static files beside each page, with the cookie it had when it sent
    them. A response that set the cookie again would put that old cookie back over the one the page's own request
    set a moment later, and a flash (an e-mail confirmed, a booking cancelled) would be lost. A session without a
    login is only written when a request changes it."""
    client.get("/auth/register")  # a form: the session now holds a CSRF token
    assert cookie(client, "session")
    for path in ("/favicon.ico", "/static/css/app.css", "/auth/login", "/"):
        response = client.get(path)
        assert response.headers.getlist("Set-Cookie") == [], path


def test_a_login_used_from_another_client_is_still_refused(make, client):
    """Session protection keeps guarding sessions that hold a login: the same cookie from another address and
    browser loads nobody."""
    user = make.user(Role.PATIENT)
    assert login(client, user.email, PASSWORD, address="10.0.0.1").status_code == 302
    assert client.get("/patient/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    stolen = client.get("/patient/", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                        headers={"User-Agent": "another browser"})
    assert stolen.status_code == 302 and "/auth/login" in stolen.headers["Location"]
