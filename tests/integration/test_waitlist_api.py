"""The waitlist's REST contract (docs/api.md) over HTTP: status codes and shapes.

Requests run on the real clock, so the clinic's slots are next week's."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Offer, Role
from app.services import booking, waitlist
from tests.integration.test_api import next_monday, token_for


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def _slot(day: date, hour: int = 10) -> datetime:
    # London: UTC in winter, UTC+1 in summer; the schedule is 09:00-12:00 local, so 10:00 UTC is inside either way
    return datetime.combine(day, time(hour))


def _offer_day() -> date:
    # next week's Wednesday: always more than 48 hours ahead (the matcher's urgent window), even on a Sunday
    return next_monday() + timedelta(days=2)


def _offer_to(make, doctor, waiting_patient) -> Offer:
    """A booked slot next week, cancelled: the waiting patient gets an offer."""
    appointment = booking.book(None, make.patient(), doctor, _slot(_offer_day()))
    db.session.commit()
    booking.cancel(None, appointment, "")
    db.session.commit()
    return db.session.scalar(select(Offer).where(Offer.entry.has(patient_id=waiting_patient.id)))


def test_join_list_and_leave(client, runner, make, clinic):
    _, specialty, doctor = clinic
    patient = make.patient()
    headers = token_for(runner, patient.user.email)
    latest = (next_monday() + timedelta(days=7)).isoformat()

    created = client.post("/api/v1/waitlist", json={"specialty": "Cardiology", "latest": latest}, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["status"] == "waiting" and isinstance(body["id"], int)

    dup = client.post("/api/v1/waitlist", json={"specialty": specialty.id, "latest": latest}, headers=headers)
    assert dup.status_code == 409 and dup.get_json()["error"] == "waitlist" and "specialty" in dup.get_json()["fields"]
    past = client.post("/api/v1/waitlist", json={"doctor_id": doctor.id, "latest": "2020-01-01"}, headers=headers)
    assert past.status_code == 422 and "latest" in past.get_json()["fields"]
    neither = client.post("/api/v1/waitlist", json={"latest": latest}, headers=headers)
    assert neither.status_code == 422
    both = client.post("/api/v1/waitlist", json={"specialty": "Cardiology", "doctor_id": doctor.id,
                                                 "latest": latest}, headers=headers)
    assert both.status_code == 422
    assert client.post("/api/v1/waitlist", json={"specialty": "Astrology", "latest": latest},
                       headers=headers).status_code == 422
    assert client.post("/api/v1/waitlist", json={"specialty": "Cardiology"}, headers=headers).status_code == 422

    listed = client.get("/api/v1/waitlist?mine=1", headers=headers)
    assert listed.status_code == 200
    entries = listed.get_json()["entries"]
    assert [e["id"] for e in entries] == [body["id"]] and entries[0]["offers"] == []
    assert entries[0]["latest"] == latest and entries[0]["specialty_id"] == specialty.id

    other = make.patient()
    other_headers = token_for(runner, other.user.email)
    assert client.delete(f"/api/v1/waitlist/{body['id']}", headers=other_headers).status_code == 404
    assert client.get("/api/v1/waitlist?mine=1", headers=other_headers).get_json() == {"entries": []}
    left = client.delete(f"/api/v1/waitlist/{body['id']}", headers=headers)
    assert left.status_code == 200 and left.get_json()["status"] == "cancelled"
    assert client.delete(f"/api/v1/waitlist/{body['id']}", headers=headers).status_code == 409


def test_login_is_required(client):
    assert client.get("/api/v1/waitlist?mine=1").status_code == 401
    assert client.post("/api/v1/waitlist", json={}).status_code == 401
    assert client.post("/api/v1/offers/1/accept").status_code == 401


def test_offers_listed_accepted_and_closed(client, runner, make, clinic):
    _, specialty, doctor = clinic
    b, c = make.patient(), make.patient()
    for patient in (b, c):
        waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id,
                                                   latest=next_monday() + timedelta(days=7)))
    db.session.commit()
    offer_b = _offer_to(make, doctor, b)
    offer_c = db.session.scalar(select(Offer).where(Offer.id != offer_b.id))
    hb, hc = token_for(runner, b.user.email), token_for(runner, c.user.email)

    entries = client.get("/api/v1/waitlist?mine=1", headers=hb).get_json()["entries"]
    offers = entries[0]["offers"]
    assert len(offers) == 1 and set(offers[0]) >= {"id", "doctor_id", "start", "end", "expires_at"}
    assert offers[0]["id"] == offer_b.id and offers[0]["doctor_id"] == doctor.id
    assert datetime.fromisoformat(offers[0]["start"]).utcoffset() is not None

    assert client.post(f"/api/v1/offers/{offer_b.id}/accept", headers=hc).status_code == 404  # not C's
    accepted = client.post(f"/api/v1/offers/{offer_b.id}/accept", headers=hb)
    assert accepted.status_code == 200
    appointment = accepted.get_json()["appointment"]
    assert appointment["status"] == "scheduled" and appointment["patient_id"] == b.id
    assert set(appointment) >= {"id", "status", "start", "end", "doctor_id", "patient_id"}
    assert appointment["start"] == offers[0]["start"]

    taken = client.post(f"/api/v1/offers/{offer_c.id}/accept", headers=hc)
    assert taken.status_code == 409 and taken.get_json()["error"] == "offer_closed"
    assert "taken" in taken.get_json()["message"]
    assert client.post(f"/api/v1/offers/{offer_b.id}/accept", headers=hb).status_code == 409
    assert client.post("/api/v1/offers/999999/accept", headers=hb).status_code == 404


def test_decline(client, runner, make, clinic):
    _, specialty, doctor = clinic
    b = make.patient()
    waitlist.join(None, b, waitlist.Wish(specialty_id=specialty.id, latest=next_monday() + timedelta(days=7)))
    db.session.commit()
    offer = _offer_to(make, doctor, b)
    hb = token_for(runner, b.user.email)
    declined = client.post(f"/api/v1/offers/{offer.id}/decline", headers=hb)
    assert declined.status_code == 200 and declined.get_json() == {"id": offer.id, "status": "declined"}
    assert client.post(f"/api/v1/offers/{offer.id}/decline", headers=hb).status_code == 409
    assert client.post(f"/api/v1/offers/{offer.id}/accept", headers=hb).status_code == 409
    db.session.refresh(offer.hold)
    assert offer.hold.status == "cancelled"  # nobody else waits: the hold is let go


def test_staff_add_a_patient_and_others_may_not(client, runner, make, clinic):
    hospital, _, _ = clinic
    patient = make.patient()
    staff = make.user(Role.STAFF, hospital)
    nurse = make.user(Role.NURSE, hospital)
    latest = (next_monday() + timedelta(days=7)).isoformat()
    made = client.post("/api/v1/waitlist", json={"specialty": "Cardiology", "latest": latest,
                                                 "patient_id": patient.id},
                       headers=token_for(runner, staff.email))
    assert made.status_code == 201
    assert client.post("/api/v1/waitlist", json={"specialty": "Cardiology", "latest": latest},
                       headers=token_for(runner, staff.email)).status_code == 422
    assert client.post("/api/v1/waitlist", json={"specialty": "Cardiology", "latest": latest,
                                                 "patient_id": patient.id},
                       headers=token_for(runner, nurse.email)).status_code == 403


def _free_utc(client, doctor) -> set[datetime]:
    day = _offer_day().isoformat()
    slots = client.get(f"/api/v1/slots?doctor={doctor.id}&from={day}&to={day}&limit=500").get_json()["slots"]
    return {datetime.fromisoformat(s["start"]).astimezone(UTC).replace(tzinfo=None) for s in slots}


def test_the_held_slot_is_not_sold_by_the_slots_endpoint(client, runner, make, clinic):
    _, specialty, doctor = clinic
    b = make.patient()
    waitlist.join(None, b, waitlist.Wish(specialty_id=specialty.id, latest=next_monday() + timedelta(days=7)))
    db.session.commit()
    offer = _offer_to(make, doctor, b)
    free = _free_utc(client, doctor)
    assert offer.hold.start not in free and len(free) == 11  # 12 morning slots, one held
    assert client.post(f"/api/v1/offers/{offer.id}/decline", headers=token_for(runner, b.user.email)).status_code \
        == 200
    assert offer.hold.start in _free_utc(client, doctor)  # nobody else waits: back on sale
