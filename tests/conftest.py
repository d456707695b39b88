"""Fixtures after flaskr: app, client, runner, auth; plus factories with defaults (indico style).

The database comes from TEST_DATABASE_URL (SQLite file by default; CI also runs MariaDB). The schema is built by
the real Alembic history once per session; each test starts from empty tables.
"""
from __future__ import annotations

import contextvars
import os
from datetime import date
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.models import Hospital, Membership, Patient, Role, Room, Specialty
from app.services.accounts import create_user
from app.services.availability import answers, stamps
from app.services.directory import choices, create_doctor_profile

PASSWORD = "correct-Horse-battery-9"
ROOT = Path(__file__).resolve().parent.parent

# Without WAITLESS_ENV the app is production and refuses to start without a real key (docs/security.md). The tests'
# own app is "testing"; processes they start (a second server, a Celery worker) run development, as `make test` says.
os.environ.setdefault("WAITLESS_ENV", "development")


def _database_url(tmp_root: Path) -> str:
    """SQLite: a file in this run's (and this xdist worker's) own temporary folder. MySQL/MariaDB: the named
    database, or with `pytest -n N` one database per worker, `<name>_gw0`, `<name>_gw1` ... made here when missing
    (the user needs rights on `<name>_%`; .ci/run grants them), so workers never empty each other's tables."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("mysql"):
        return url
    return sibling_database(url, worker)


def sibling_database(url: str, suffix: str) -> str:
    """The MySQL/MariaDB database `<name>_<suffix>` beside the one of ``url``, made when missing; its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    own = base.set(database=f"{base.database}_{suffix}")
    server = create_engine(base.set(database=None))
    try:
        with server.begin() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{own.database}` "
                              "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        server.dispose()
    return own.render_as_string(hide_password=False)


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite (temporary file)"
    workers = " (one per xdist worker)" if getattr(config.option, "numprocesses", None) else ""
    return f"database: {url.split('@')[-1]}{workers}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g`, user and db session.

    The fixture's app context stays pushed for the test body; without this, requests would reuse it and `g`
    (Flask-Login's cached user among others) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect followed inside the request's own context
            return super().open(*args, **kwargs)
        db.session.commit()  # the request sees what the test wrote; the test's next read sees what it wrote
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def _app_session(tmp_path_factory):
    tmp_root = tmp_path_factory.mktemp("waitless")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(tmp_root),
                     MAIL_FOLDER=str(tmp_root / "mail"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        if db.engine.dialect.name != "sqlite":
            downgrade(revision="base")  # a previous run may have left tables behind
        upgrade()
        backend = db.engine.dialect.name
    marker = ROOT / "instance" / "test-backends.txt"
    marker.parent.mkdir(exist_ok=True)
    with marker.open("a") as fh:
        fh.write(backend + "\n")
    return app


def _empty_tables() -> None:
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    choices.clear()  # the rows it remembers are gone
    answers.clear()


@pytest.fixture(autouse=True)
def _socketio_kept():
    """A test that makes a second app (tests/security) re-points the one Socket.IO extension at that app's new
    server; put it back, or a later test's live server joins rooms on a server its clients never reach."""
    from app.extensions import socketio

    saved = dict(vars(socketio))
    yield
    vars(socketio).clear()
    vars(socketio).update(saved)


@pytest.fixture
def app(_app_session):
    # the search caches' settings are per process, and a test that makes an app of its own (tests/integration/
    # test_replica.py) sets them for everything after it: each test starts from this app's
    answers.configure(_app_session.config["SLOT_ANSWER_CACHE_SIZE"])
    stamps.configure(_app_session.config["SLOT_STAMP_CHECK_SECONDS"])
    with _app_session.app_context():
        _empty_tables()
        yield _app_session
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def mail_folder(app) -> Path:
    folder = Path(app.config["MAIL_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.eml"):
        f.unlink()
    return folder


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, follow: bool = False):
        return self._client.post("/auth/login", data={"email": email, "password": password},
                                 follow_redirects=follow)

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class Factory:
    """Rows with sensible defaults; each call commits so HTTP requests see it."""

    def __init__(self):
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def hospital(self, **kw) -> Hospital:
        n = self._next()
        values = dict(name=f"Hospital {n}", city="London", country="GB", lat=51.5, lon=-0.12,
                      timezone="Europe/London")
        values.update(kw)
        hospital = Hospital(**values)
        db.session.add(hospital)
        db.session.commit()
        return hospital

    def room(self, hospital: Hospital, name: str = "Consultation 1", **kw) -> Room:
        room = Room(hospital_id=hospital.id, name=name, kind="consultation", bookable=True, **kw)
        db.session.add(room)
        db.session.commit()
        return room

    def specialty(self, name: str = "Cardiology", code: str = "CAR") -> Specialty:
        specialty = Specialty(name=name, code=code)
        db.session.add(specialty)
        db.session.commit()
        return specialty

    def user(self, role: str = Role.PATIENT, hospital: Hospital | None = None, email: str | None = None,
             verified: bool = True, name: str | None = None, **kw):
        n = self._next()
        user = create_user(email or f"{role}{n}@example.org", PASSWORD, role, name or f"{role.title()} {n}",
                           verified=verified)
        if role == Role.PATIENT:
            db.session.add(Patient(user_id=user.id, name=user.name, birth_date=kw.get("birth_date", date(1980, 1, 1)),
                                   phone=kw.get("phone")))
        if hospital is not None:
            db.session.add(Membership(user_id=user.id, hospital_id=hospital.id, role=role))
        db.session.commit()
        return user

    def doctor(self, hospital: Hospital, specialty: Specialty | None = None, **kw):
        user = self.user(Role.DOCTOR, hospital, **kw)
        doctor = create_doctor_profile(user, hospital.id, specialty.id if specialty else None)
        db.session.commit()
        return doctor


    def schedule(self, doctor, hospital, *, valid_from: date | None = None, weekdays=range(7), start="09:00",
                 end="12:00", slot_minutes: int = 15, kind: str = "slots", tokens_per_slot: int = 1,
                 appointment_types=(), room_id=None, **policy):
        """Weekly hours for the doctor at the hospital (every day 09:00-12:00 by default, no notice needed)."""
        from datetime import time as _time

        from app.services.availability import resource_for_doctor
        from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule

        policy.setdefault("min_notice_minutes", 0)
        rules = [RuleInput(weekday=d, start=_time.fromisoformat(start), end=_time.fromisoformat(end), kind=kind,
                           slot_minutes=slot_minutes, tokens_per_slot=tokens_per_slot,
                           appointment_types=list(appointment_types), room_id=room_id) for d in weekdays]
        row = put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                           ScheduleInput(valid_from=valid_from or date(2020, 1, 1), valid_till=None, rules=rules,
                                         **policy))
        db.session.commit()
        return row

    TYPE_NAMES = {"new": "New patient", "ecg": "ECG with consultation"}

    def priced_types(self, hospital: Hospital, **fees) -> None:
        """The hospital's appointment types with their fees, e.g. ``priced_types(h, new=80, ecg=120)``."""
        from decimal import Decimal

        from app.models import AppointmentType

        db.session.add_all([AppointmentType(hospital_id=hospital.id, code=code, name=self.TYPE_NAMES[code],
                                            kind="new", fee=Decimal(str(fee))) for code, fee in fees.items()])
        db.session.commit()

    def patient(self, **kw) -> Patient:
        user = self.user(Role.PATIENT, **kw)
        return db.session.scalar(db.select(Patient).where(Patient.user_id == user.id))


@pytest.fixture
def make(app) -> Factory:
    return Factory()
