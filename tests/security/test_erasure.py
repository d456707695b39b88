"""Issue #11, parts 10 and 11: erasure erases (docs/security.md, "Erasure").

The probe: after a patient's erasure their name stayed in staff notices and in outbox rows' context, and their
checked-in queue entry stayed "waiting" on the live boards. Now every copy is removed or redacted, the entry leaves
the live queue (and the boards are told), and the audit trail keeps only pseudonymous references.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import select

from app import realtime
from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AuditEvent, OutboxMessage, Patient, QueueEntry, Role, StaffNotice
from app.services import booking
from app.services import queue as queue_service
from app.services.accounts import profile
from app.transaction import transaction
from tests.conftest import PASSWORD

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 2, 8, 0)  # Monday 2 March 2026, 08:00 in London
TODAY = date(2026, 3, 2)
NAME, EMAIL, PHONE = "Grace Erasable", "grace.erasable@example.org", "+447911123499"


@pytest.fixture
def erased(make, monkeypatch):
    """Grace booked, was checked in (waiting on the board), and then deleted her account."""
    current_app.config["STAFF_NOTICE_EMAIL"] = True  # the staff e-mails carry the notice's text too
    hospital = make.hospital(name="Thames Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    staff = make.user(Role.STAFF, hospital)
    other = make.patient(name="Olga Other")
    user = make.user(Role.PATIENT, email=EMAIL, name=NAME, phone=PHONE)
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    with transaction():
        appointment = booking.book(user.id, patient, doctor, core.to_utc(TODAY, time(10), LONDON),
                                   now=NOW - timedelta(days=1), by_patient=True)
        queue_service.issue_walkin(staff.id, hospital.id, other, doctor_id=doctor.id, now=NOW)
        entry = queue_service.check_in(staff.id, appointment, now=NOW + timedelta(minutes=1))
    assert db.session.scalars(select(StaffNotice)).all(), "the booking left a notice naming her"
    assert any(NAME in str(m.context) for m in db.session.scalars(select(OutboxMessage)))
    changes = []
    monkeypatch.setattr(realtime, "note_queue_change", lambda *a, **kw: changes.append((a, kw)))
    try:
        with transaction():
            profile.delete_account(user, patient, PASSWORD, now=NOW + timedelta(minutes=5))
    finally:
        current_app.config["STAFF_NOTICE_EMAIL"] = False
    db.session.expire_all()
    return {"hospital": hospital, "doctor": doctor, "staff": staff, "patient": patient, "entry_id": entry.id,
            "appointment_id": appointment.id, "changes": changes}


def personal(text: str) -> bool:
    return any(value in text for value in (NAME, "Erasable", EMAIL, PHONE))


def test_staff_notices_are_redacted(erased):
    notices = db.session.scalars(select(StaffNotice)).all()
    assert notices and not any(personal(n.text) for n in notices)
    assert any("Deleted patient" in n.text for n in notices)


def test_outbox_rows_are_redacted_pending_and_sent(erased):
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} >= {"sent"}
    for message in messages:
        assert not personal(str(message.context)) and not personal(message.recipient), message


def test_checked_in_entry_leaves_the_live_queue_and_the_boards_are_told(erased):
    entry = db.session.get(QueueEntry, erased["entry_id"])
    assert entry.status == "left"
    rows = queue_service.queue_for(erased["hospital"].id, erased["doctor"].id, TODAY,
                                   now=NOW + timedelta(minutes=6))
    waiting = [r.entry.id for r in rows if r.entry.status in ("waiting", "called")]
    assert erased["entry_id"] not in waiting and len(waiting) == 1  # Olga still waits
    board = queue_service.hospital_board(erased["hospital"].id, TODAY, now=NOW + timedelta(minutes=6))
    assert not any(personal(r.entry.patient.name) for rows in board.values() for r in rows)
    assert any(a[:2] == (erased["hospital"].id, erased["doctor"].id) for a, _kw in erased["changes"])
    assert db.session.get(Appointment, erased["appointment_id"]).status == "cancelled"


def test_audit_trail_keeps_only_pseudonymous_references(erased):
    events = db.session.scalars(select(AuditEvent)).all()
    for event in events:
        assert not personal(f"{event.before} {event.after} {event.comment}"), event.action
    actions = {e.action for e in events if e.target_type == "patient" and e.target_id == erased["patient"].id}
    assert "patient.delete" in actions  # the erasure itself is audited
    assert any(e.action == "queue.status" and e.target_id == erased["entry_id"] and e.after == {"status": "left"}
               for e in events)


def test_export_is_audited(client, auth, make):
    user = make.user(Role.PATIENT)
    auth.login(user.email, PASSWORD)
    assert client.get("/patient/export").status_code == 200
    db.session.expire_all()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.export")).all()
    assert event.actor_id == user.id
