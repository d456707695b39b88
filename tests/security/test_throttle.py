"""Issue #11 part 7: no lock a stranger can trigger; throttling per (account, address) pair with growing delays;
forwarded addresses believed only behind TRUSTED_PROXIES (docs/security.md, "Logins")."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, request
from sqlalchemy import select

from app import register_proxies
from app.extensions import db
from app.models import AuditEvent, LoginThrottle
from app.models.base import utcnow
from tests.conftest import PASSWORD
from tests.security.conftest import logged_in, login

STRANGER, OWNER = "203.0.113.66", "198.51.100.7"


def _fail(client, email: str, address: str, times: int) -> list[int]:
    return [login(client, email, "wrong-password-1", address=address).status_code for _ in range(times)]


def test_a_strangers_failures_do_not_lock_the_owner_out(app, make, new_client):
    user = make.user()
    attacker = new_client()
    statuses = _fail(attacker, user.email, STRANGER, app.config["LOGIN_THROTTLE_FREE"] + 3)
    assert 429 in statuses
    owner = new_client()
    assert login(owner, user.email, PASSWORD, address=OWNER).status_code == 302
    assert logged_in(owner, OWNER)


def _fail_delayed(client, email: str, address: str, delay: int) -> int:
    """One failed try; checks that the pair must now wait `delay` seconds counted from the try's own whole second,
    which lies between the whole seconds read just before and just after the try (no wall-clock guess)."""
    before = utcnow().replace(microsecond=0)
    status = login(client, email, "wrong-password-1", address=address).status_code
    after = utcnow().replace(microsecond=0)
    row = db.session.scalar(select(LoginThrottle))
    db.session.refresh(row)
    assert row.blocked_until is not None
    assert before + timedelta(seconds=delay) <= row.blocked_until <= after + timedelta(seconds=delay)
    return status


def test_growing_delay_refuses_rapid_retries_from_the_same_pair(app, make, new_client):
    user = make.user()
    browser = new_client()
    free = app.config["LOGIN_THROTTLE_FREE"]
    assert _fail(browser, user.email, STRANGER, free - 1) == [422] * (free - 1)
    assert _fail_delayed(browser, user.email, STRANGER, 2) == 422  # the last free try starts the delay
    refused = login(browser, user.email, PASSWORD, address=STRANGER)  # even the right password waits its turn
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    page = refused.get_data(as_text=True)
    assert "Wrong e-mail address or password." in page and "try again in a moment" in page
    assert "locked" not in page

    row = db.session.scalar(select(LoginThrottle))
    assert user.email not in (row.email_hash, row.address)  # the table keeps no e-mail address
    row.blocked_until = utcnow() - timedelta(seconds=1)  # the wait is over (no sleeping in tests)
    db.session.commit()
    assert _fail_delayed(browser, user.email, STRANGER, 4) == 422  # 2, 4, 8 ... seconds
    assert login(browser, user.email, PASSWORD, address=STRANGER).status_code == 429

    row = db.session.scalar(select(LoginThrottle))
    row.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(browser, user.email, PASSWORD, address=STRANGER).status_code == 302  # the right one, in time
    assert db.session.scalar(select(LoginThrottle)) is None  # and the pair's failures are forgotten


def test_unknown_addresses_are_throttled_alike(app, client):
    free = app.config["LOGIN_THROTTLE_FREE"]
    statuses = _fail(client, "nobody@example.org", STRANGER, free + 1)
    assert statuses == [422] * free + [429]


def _address_app(**settings) -> Flask:
    app = Flask(__name__)
    app.config.update(settings)
    register_proxies(app)  # the step create_app takes

    @app.get("/_address")
    def _address():
        return f"{request.scheme} {request.remote_addr}"

    return app


@pytest.mark.parametrize(("settings", "seen"), [({}, "http 10.0.0.1"), ({"TRUSTED_PROXIES": 0}, "http 10.0.0.1"),
                                                ({"TRUSTED_PROXIES": 1}, "https 203.0.113.5")])
def test_forwarded_address_only_behind_trusted_proxies(settings, seen):
    app = _address_app(**settings)
    res = app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"},
                                environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert res.get_data(as_text=True) == seen


def test_the_portal_ignores_forwarded_headers_by_default(app, client, make):
    """TRUSTED_PROXIES unset: a forged X-Forwarded-For neither escapes the throttle nor lands in the audit log."""
    assert not app.config["TRUSTED_PROXIES"]
    free = app.config["LOGIN_THROTTLE_FREE"]
    statuses = [client.post("/auth/login", data={"email": "x@example.org", "password": "wrong-password-1"},
                            headers={"X-Forwarded-For": f"192.0.2.{i}"},
                            environ_base={"REMOTE_ADDR": STRANGER}).status_code for i in range(free + 1)]
    assert statuses[-1] == 429
    addresses = set(db.session.scalars(select(AuditEvent.address).where(AuditEvent.action == "user.login_failed")))
    assert addresses == {STRANGER}
