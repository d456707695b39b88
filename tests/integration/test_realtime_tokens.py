"""A token slot stays on everyone's results until its last place is taken."""
from __future__ import annotations

from datetime import datetime, timedelta

from app import realtime
from app.extensions import db, socketio
from app.models import Appointment
from app.models.base import utcnow
from app.services import booking


def test_token_slot_is_announced_as_gone_only_when_full(make, monkeypatch):
    sent = []
    monkeypatch.setattr(socketio, "emit", lambda event, data, to=None, **kw: sent.append(data["status"]))
    hospital = make.hospital(timezone="UTC")
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, start="09:00", end="10:00", slot_minutes=60, kind="tokens", tokens_per_slot=3)
    tomorrow = utcnow().date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time()) + timedelta(hours=9)
    patients = [make.patient() for _ in range(3)]
    announced = []
    for patient in patients:
        booking.book(None, patient, doctor, start)
        db.session.commit()
        sent.clear()
        realtime.publish_slot_changes()
        announced.append(list(sent))
    assert announced == [[], [], ["booked"]]  # places left after the first two: nothing to hide
    first = patients[0]
    appointment = db.session.scalar(db.select(Appointment).where(Appointment.patient_id == first.id))
    booking.cancel(None, appointment, "cannot come")
    db.session.commit()
    sent.clear()
    realtime.publish_slot_changes()
    assert sent == ["freed"]  # a place opened in a full slot: it is back on offer
