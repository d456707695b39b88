"""A busy database answers 503 with Retry-After within the lock timeout, and nothing is written
(docs/security.md, "Faults")."""
import sqlite3
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.extensions import db
from app.models import Appointment, Role


@pytest.fixture
def busy_app(app):
    """A second app on the same database whose requests give up a lock wait after one second."""
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_FOLDER=app.config["MAIL_FOLDER"], DB_LOCK_TIMEOUT_SECONDS=1)
    other.test_client_class = app.test_client_class
    yield other
    with other.app_context():
        db.engine.dispose()


@contextmanager
def database_locked(url: str):
    """Another client holds the write lock (SQLite) or a write lock on the appointments table (MariaDB)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLES appointments WRITE, claims WRITE"))
        try:
            yield
        finally:
            conn.execute(text("UNLOCK TABLES"))
    engine.dispose()


def test_booking_against_a_locked_database_answers_503_and_writes_nothing(app, busy_app, make, runner):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=21)
    patient = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", patient.email]).output.strip().splitlines()[-1]
    db.session.commit()
    day = date.today() + timedelta(days=(7 - date.today().weekday()) + 7)
    body = {"doctor_id": doctor.id, "start": f"{day}T10:00:00+00:00", "reason": "check-up"}

    with busy_app.app_context():
        client = busy_app.test_client()
        with database_locked(app.config["SQLALCHEMY_DATABASE_URI"]):
            res = client.post("/api/v1/appointments", json=body, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 503, res.get_data(as_text=True)
    assert res.headers["Retry-After"] == "5"
    assert res.get_json()["error"] == "busy"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_page_against_a_locked_database_shows_a_retry_page(app, busy_app, make):
    from tests.conftest import PASSWORD

    clerk = make.user(Role.STAFF, hospital=make.hospital())
    db.session.commit()
    with busy_app.app_context():
        client = busy_app.test_client()
        client.post("/auth/login", data={"email": clerk.email, "password": PASSWORD})
        with database_locked(app.config["SQLALCHEMY_DATABASE_URI"]):
            res = client.post("/auth/profile", data={"name": "Renamed Person", "language": "en"})
    assert res.status_code == 503 and res.headers["Retry-After"] == "5"
    assert "busy" in res.get_data(as_text=True)
