"""Two Waitless portals as one region (docs/federation.md, "Two portals"): A runs in its own process on its own
database; B (this test's app) federates A through FHIR. The test walks the timeline written down in the docs: book
through FHIR, A stopped, A back, a slot sold on A meanwhile."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from app import create_app
from app.extensions import db
from app.jobs import sync_sources
from app.models import Appointment, ExternalBooking, ExternalSlot, FederationSource, Patient, User
from app.models.base import utcnow
from app.services.accounts.tokens import issue_token
from app.services.availability import answers
from app.services.directory import choices
from app.services.federation import slots as federation_slots
from app.services.federation import sources
from app.services.fhir.resources import parse_slot_id
from app.transaction import transaction
from tests.conftest import Factory, sibling_database

ROOT = Path(__file__).resolve().parents[2]


def _database_for_a(tmp_path: Path) -> str:
    """SQLite: a file of its own. MariaDB: the test database's name with `_a` (made here when missing)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("mysql"):
        return f"sqlite:///{tmp_path / 'a.sqlite'}"
    return sibling_database(url, "a")


class Portal:
    """Portal A: its database filled once, its server started and stopped as a real process."""

    def __init__(self, database: str):
        self.database = database
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None
        self.app = create_app("testing", SQLALCHEMY_DATABASE_URI=database)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | {"WAITLESS_ENV": "development", "RATELIMIT_ENABLED": "false"}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.integration.waitless_peer", self.database,
                                         str(self.port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"  # blocks until it listens (no sleep)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process = None

    def scheduled(self) -> list[tuple[int, object]]:
        """A's booked appointments, (patient id, start), read from A's own database."""
        with self.app.app_context():
            rows = db.session.execute(db.select(Appointment.patient_id, Appointment.start)
                                      .where(Appointment.status == "scheduled")).all()
            db.session.remove()
        return [tuple(r) for r in rows]


@pytest.fixture
def portal_a(app, tmp_path):
    portal = Portal(_database_for_a(tmp_path))
    with portal.app.app_context():
        from flask_migrate import downgrade, upgrade

        if db.engine.dialect.name != "sqlite":
            downgrade(revision="base")
        upgrade()
        make = Factory()
        cardiology = make.specialty()
        hospital = make.hospital(name="St Anne (system A)")
        doctor = make.doctor(hospital, cardiology, name="Dr Ada Lovelace")
        make.schedule(doctor, hospital, start="09:00", end="10:00")  # four slots a day
        partner = make.user(email="region-b@partner.example", name="Region B")  # B books with this account
        walk_in = make.user(email="direct@a.example")
        with transaction():
            portal.partner_token = issue_token(partner, "region B")
            portal.direct_token = issue_token(walk_in, "direct")
        portal.partner_patient = db.session.scalar(db.select(Patient.id).join(User).where(User.id == partner.id))
        db.session.remove()
    choices.clear()  # the directory and answer caches are this process's: they must hold B's rows, not A's
    answers.clear()
    portal.start()
    try:
        yield portal
    finally:
        if portal.process is not None:
            portal.stop()
        with portal.app.app_context():
            db.engine.dispose()


def external(remote_id: str) -> ExternalSlot | None:
    db.session.expire_all()
    return db.session.scalar(db.select(ExternalSlot).where(ExternalSlot.remote_id == remote_id))


def test_two_portals_federate_through_fhir(app, client, auth, make, portal_a):
    cardiology = make.specialty()  # B's own catalogue names the same specialty code
    patient = make.user(email="patient@b.example")
    with transaction():
        source_id = sources.add("System A", f"{portal_a.base}/fhir", "fhir", 60, portal_a.partner_token).id

    # t0: B syncs A through its FHIR search
    t0 = utcnow()
    first = sync_sources(t0)
    assert first["sources"] == 1 and first["errors"] == 0 and first["removed"] == 0
    offered = first["upserted"]
    assert offered >= 40  # four a day for two weeks, less what has passed today

    # a patient on B finds A's slot and books it: $hold, then $book on A
    auth.login(patient.email)
    page = client.get(f"/search?specialty={cardiology.id}")
    assert page.status_code == 200 and b"St Anne (system A)" in page.data and b"From System A" in page.data
    chosen = federation_slots.for_specialty(cardiology.id)[0].slot
    chosen_id, chosen_remote, chosen_start = chosen.id, chosen.remote_id, chosen.start
    booked = client.post(f"/patient/external/{chosen_id}")
    assert booked.status_code == 302, booked.data[:500]
    confirmation = client.get(booked.headers["Location"])
    assert confirmation.status_code == 200 and b"System A" in confirmation.data
    assert b"St Anne (system A)" in client.get("/patient/").data  # on the patient's own list
    assert portal_a.scheduled() == [(portal_a.partner_patient, chosen_start)]  # A holds exactly one booking
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalBooking)) == 1
    assert external(chosen_remote) is None  # sold: gone from B's search at once
    again = sync_sources(utcnow())
    assert again["upserted"] == offered - 1 and again["errors"] == 0  # A no longer lists it either

    # A stopped: B keeps serving, marks A's slots stale, then drops them past the budget
    portal_a.stop()
    down = sync_sources(utcnow())
    assert down["errors"] == 1 and down["stale"] == offered - 1 and down["removed"] == 0
    page = client.get(f"/search?specialty={cardiology.id}")
    assert page.status_code == 200 and b"Source not reachable" in page.data
    assert client.get(f"/api/v1/slots?specialty={cardiology.id}").status_code == 200
    dropped = sync_sources(utcnow() + timedelta(minutes=61))
    assert dropped["errors"] == 1 and dropped["removed"] == offered - 1 and dropped["stale"] == 0
    assert b"At partner hospitals" not in client.get(f"/search?specialty={cardiology.id}").data
    db.session.expire_all()
    assert "Could not reach the source" in db.session.get(FederationSource, source_id).last_error

    # A back: sync resumes
    portal_a.start()
    back = sync_sources(utcnow())
    assert back["errors"] == 0 and back["upserted"] == offered - 1

    # a slot sold on A before B syncs again is never sold on B: A refuses, the slot vanishes, alternatives shown
    taken = federation_slots.for_specialty(cardiology.id)[0].slot
    taken_id, taken_remote = taken.id, taken.remote_id
    doctor_id, hospital_id, start = parse_slot_id(taken_remote)
    direct = requests.post(f"{portal_a.base}/api/v1/appointments", timeout=10,
                           headers={"Authorization": f"Bearer {portal_a.direct_token}"},
                           json={"doctor_id": doctor_id, "hospital_id": hospital_id,
                                 "start": start.isoformat() + "+00:00"})
    assert direct.status_code == 201, direct.text
    refused = client.post(f"/patient/external/{taken_id}")
    assert refused.status_code == 409
    assert b"no longer available" in refused.data and b"At partner hospitals" in refused.data
    assert external(taken_remote) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalBooking)) == 1
    assert sorted(s for _, s in portal_a.scheduled()) == sorted([chosen_start, start])  # one booking each
