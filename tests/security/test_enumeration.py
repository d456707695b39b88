"""Issue #11 part 7: nobody learns who has an account, from the answer or from the time it takes
(docs/security.md, "Logins")."""
from __future__ import annotations

import re
import statistics
import time

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Role, User
from tests.conftest import PASSWORD
from tests.security.conftest import login


def _page(res, email: str) -> str:
    """The page with the address typed and the per-render CSRF token left out."""
    page = res.get_data(as_text=True).replace(email, "EMAIL")
    # the token is signed with the second it was rendered in: two answers a second boundary apart differ there
    return re.sub(r'(name="csrf[-_]token"(?: type="hidden")? (?:content|value)=)"[^"]*"', r"\1", page)


def test_login_answers_the_same_for_unknown_and_known_addresses(client, make):
    user = make.user(Role.PATIENT, email="known@example.org")
    known = login(client, user.email, "wrong-password-1")
    unknown = login(client, "unknown@example.org", "wrong-password-1")
    assert known.status_code == unknown.status_code == 422
    assert _page(known, user.email) == _page(unknown, "unknown@example.org")
    assert "Wrong e-mail address or password." in known.get_data(as_text=True)


def test_login_takes_as_long_for_unknown_as_for_known_addresses(app, client, make):
    """Equal work: an unknown address is checked against a dummy argon2 hash made with the same parameters.
    Interleaved tries, compared by the ratio of medians, each from its own address so no throttle interferes."""
    user = make.user(Role.PATIENT, email="known@example.org")
    # the TestConfig parameters are cheap; make the hash the larger part of a login, as in production
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=16384)
    try:
        user.password_hash = __import__("app.services.accounts.passwords", fromlist=["x"]).hash_password(PASSWORD)
        db.session.commit()
        timings = {"known": [], "unknown": []}
        for i in range(15):
            for kind, email in (("known", user.email), ("unknown", "nobody@example.org")):
                started = time.perf_counter()
                res = login(client, email, "wrong-password-1", address=f"10.{i}.{len(kind)}.1")
                timings[kind].append(time.perf_counter() - started)
                assert res.status_code == 422
    finally:
        app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.5 < ratio < 2.0, timings


def test_registration_with_a_taken_address_answers_the_same_and_tells_the_owner(client, make, mail_folder):
    owner = make.user(Role.PATIENT, email="taken@example.org", name="Owner Person")
    form = {"name": "Somebody Else", "password": PASSWORD, "confirm": PASSWORD, "language": "en"}
    taken = client.post("/auth/register", data={**form, "email": "taken@example.org"})
    fresh = client.post("/auth/register", data={**form, "email": "fresh@example.org"})
    assert taken.status_code == fresh.status_code == 200
    assert _page(taken, "taken@example.org") == _page(fresh, "fresh@example.org")
    # the owner's account is untouched, and the owner is told
    assert db.session.get(User, owner.id).name == "Owner Person"
    assert db.session.scalar(select(User).where(User.name == "Somebody Else", User.email == "taken@example.org")) \
        is None
    [told] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "account_exists")).all()
    assert told.recipient == "taken@example.org" and told.status == "sent"
    text = "".join(p.read_text() for p in mail_folder.glob("*.eml"))
    assert "Someone tried to register with your address" in text and "/auth/forgot" in text
    # a second try within the hour does not mail the owner again
    client.post("/auth/register", data={**form, "email": "taken@example.org"})
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "account_exists")).all()) == 1


def test_reset_request_answers_the_same(client, make):
    user = make.user(Role.PATIENT, email="known@example.org")
    known = client.post("/auth/forgot", data={"email": user.email}, follow_redirects=True)
    unknown = client.post("/auth/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert _page(known, user.email) == _page(unknown, "nobody@example.org")



def test_logins_are_audited_with_the_address(client, make):
    user = make.user(Role.PATIENT)
    login(client, user.email, "wrong-password-1", address="192.0.2.7")
    login(client, "nobody@example.org", "wrong-password-1", address="192.0.2.8")
    login(client, user.email, PASSWORD, address="192.0.2.9")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("user.login%"))
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.target_id, e.address) for e in events] == [
        ("user.login_failed", user.id, "192.0.2.7"),
        ("user.login_failed", None, "192.0.2.8"),
        ("user.login", user.id, "192.0.2.9"),
    ]
