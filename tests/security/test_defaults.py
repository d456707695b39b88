"""Fail closed (issue #11, part 2; docs/security.md): production is the default, it refuses a missing, short or
published SECRET_KEY, what the old development key signed is worthless there, and /dev/mail exists only in
development and only for loopback clients."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_login.utils import encode_cookie
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from app import create_app
from app.extensions import db, limiter, socketio
from app.models import Role
from app.notifications import events, waitlist_events
from app.scheduling import SchedulingError
from app.services import queue as queue_service
from app.services.accounts import sessions
from app.services.queue.operations import CHECKIN_SALT
from config import DEV_SECRET_KEY, ConfigError
from tests.conftest import ROOT

OLD_DEV_KEY = "dev-only-change-me"  # the key every earlier release published as its default
REAL_KEY = "k" * 20 + "3f9a0c7d21e84b56b7c0"  # 40 characters, known only to this test


@pytest.fixture
def bare_env(monkeypatch):
    """The environment of `gunicorn wsgi:app` on a machine where nobody set anything."""
    for name in ("WAITLESS_ENV", "SECRET_KEY", "DEV_MAIL_VIEWER"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@contextmanager
def extensions_kept():
    """A second app re-initialises the shared extensions; give the session's app its own state back afterwards."""
    saved = {ext: dict(vars(ext)) for ext in (socketio, limiter)}
    try:
        yield
    finally:
        for ext, state in saved.items():
            vars(ext).clear()
            vars(ext).update(state)


@pytest.fixture
def production(app, bare_env):
    """A production app with a real key on the tests' database (WAITLESS_ENV unset)."""
    bare_env.setenv("SECRET_KEY", REAL_KEY)
    with extensions_kept():
        prod = create_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                          MAIL_FOLDER=app.config["MAIL_FOLDER"], RATELIMIT_ENABLED=False)
        yield prod
        with prod.app_context():
            db.session.remove()
            db.engine.dispose()


def test_no_environment_and_no_key_refuses_to_start(bare_env):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_a_short_key_is_refused(bare_env):
    bare_env.setenv("SECRET_KEY", "x" * 20)
    with pytest.raises(ConfigError, match="shorter than 32"):
        create_app()


@pytest.mark.parametrize("key", [OLD_DEV_KEY, DEV_SECRET_KEY, "test-secret"])
def test_published_keys_are_refused_in_production(bare_env, key):
    bare_env.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError):
        create_app("production")


def test_gunicorn_entry_refuses_without_key():
    """What `gunicorn wsgi:app` imports, in a clean environment: it stops with the reason, not a traceback maze."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "ConfigError: SECRET_KEY is not set" in result.stderr


def test_a_long_key_starts_production(production):
    assert production.config["WAITLESS_ENV"] == "production"
    assert production.config["DEBUG"] is False and not production.debug
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["SECRET_KEY"] == REAL_KEY
    assert not [r.rule for r in production.url_map.iter_rules() if r.rule.startswith("/dev")]
    assert "dev" not in production.blueprints


def test_dev_mail_viewer_cannot_be_turned_on_in_production(bare_env):
    bare_env.setenv("SECRET_KEY", REAL_KEY)
    with pytest.raises(ConfigError, match="DEV_MAIL_VIEWER"):
        create_app(DEV_MAIL_VIEWER=True)


def _signed_by(key: str, fn):
    """What `fn` returns inside an app whose only setting is SECRET_KEY = key (the forger's app)."""
    forger = Flask("forger")
    forger.config["SECRET_KEY"] = key
    with forger.app_context():
        return fn()


def test_a_forged_remember_cookie_is_refused(production, make):
    user = make.user(Role.PATIENT)
    user_id = sessions.start(user)  # a real login's token: the remember cookie carries it, not the user id
    db.session.commit()
    client = production.test_client()
    forged = _signed_by(OLD_DEV_KEY, lambda: encode_cookie(user_id))
    client.set_cookie("remember_token", forged, domain="localhost")
    res = client.get("/patient/", base_url="https://localhost")
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]

    # the same cookie signed with the production key does log in: the refusal above is the signature's
    genuine = production.test_client()
    genuine.set_cookie("remember_token", _signed_by(REAL_KEY, lambda: encode_cookie(user_id)), domain="localhost")
    assert genuine.get("/patient/", base_url="https://localhost").status_code == 200


def test_a_forged_manage_link_is_refused(production):
    payload = [1, 1_800_000_000]
    forged = URLSafeTimedSerializer(OLD_DEV_KEY, salt=events.MANAGE_SALT).dumps(payload)
    res = production.test_client().get(f"/manage/{forged}", base_url="https://localhost")
    assert res.status_code == 400
    with production.app_context():
        with pytest.raises(events.ManageLinkError) as refused:
            events.read_manage_token(forged)
        assert refused.value.reason == "invalid"
        genuine = URLSafeTimedSerializer(REAL_KEY, salt=events.MANAGE_SALT).dumps(payload)
        with pytest.raises(events.ManageLinkError) as gone:  # signature good, no such appointment
            events.read_manage_token(genuine)
        assert gone.value.reason == "gone"


def test_a_forged_offer_link_is_refused(production):
    forged = URLSafeTimedSerializer(OLD_DEV_KEY, salt=waitlist_events.OFFER_SALT).dumps([7])
    genuine = URLSafeTimedSerializer(REAL_KEY, salt=waitlist_events.OFFER_SALT).dumps([7])
    with production.app_context():
        assert waitlist_events.read_offer_token(forged) is None
        assert waitlist_events.read_offer_token(genuine) == 7
    assert production.test_client().get(f"/offers/{forged}", base_url="https://localhost").status_code != 200


def test_a_forged_kiosk_code_is_refused(production):
    forged = URLSafeSerializer(OLD_DEV_KEY, salt=CHECKIN_SALT).dumps([1, 1_800_000_000])
    genuine = URLSafeSerializer(REAL_KEY, salt=CHECKIN_SALT).dumps([1, 1_800_000_000])
    with production.app_context():
        with pytest.raises(SchedulingError) as refused:
            queue_service.appointment_from_code(forged)
        assert "not valid any more" not in refused.value.message  # refused for its signature
        with pytest.raises(SchedulingError) as outdated:
            queue_service.appointment_from_code(genuine)
        assert "not valid any more" in outdated.value.message  # signature good, no such appointment


def test_dev_mail_answers_only_loopback_clients(client, mail_folder):
    assert client.get("/dev/mail").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/dev/mail", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    for address in ("10.0.0.5", "192.168.1.20", "2001:db8::1", "::ffff:10.0.0.5"):
        assert client.get("/dev/mail", environ_base={"REMOTE_ADDR": address}).status_code == 404
        assert client.get("/dev/mail/20260101T000000-0123abcd.eml",
                          environ_base={"REMOTE_ADDR": address}).status_code == 404


def test_dev_mail_is_not_registered_when_switched_off(app):
    with extensions_kept():
        dev = create_app("development", DEV_MAIL_VIEWER=False,
                         SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
        on = create_app("development", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert "dev" not in dev.blueprints
    assert "dev" in on.blueprints and on.config["SECRET_KEY"] == DEV_SECRET_KEY
