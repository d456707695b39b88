"""Issue #11, part 6: the front desk sees its own patients (docs/security.md, "Patients at the desk").

The probes: a hospital 1 desk read the date of birth and phone of a patient with no tie to that hospital, and the
search treated `%%` and `__` as wildcards, listing everybody.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AuditEvent, Role
from tests.conftest import PASSWORD

DOB = date(1971, 4, 12)


@pytest.fixture
def desk(make, auth):
    mine, other = make.hospital(name="Mine"), make.hospital(name="Other")
    doctor = make.doctor(other, make.specialty())
    tied = [make.patient(name=f"Tied Patient {i}", phone=f"+4479111234{i:02d}") for i in range(3)]
    for patient in tied:
        patient.registered_hospital_id = mine.id
    stranger = make.patient(name="Sam Stranger", phone="+447700900123", birth_date=DOB)
    start = datetime(2030, 1, 7, 10, 0)
    db.session.add(Appointment(patient_id=stranger.id, doctor_id=doctor.id, hospital_id=other.id, start=start,
                               end=start + timedelta(minutes=15)))  # tied to the other hospital only
    db.session.commit()
    staff = make.user(Role.STAFF, mine)
    auth.login(staff.email, PASSWORD)
    return {"mine": mine, "other": other, "tied": tied, "stranger": stranger, "staff": staff}


def lookups() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.lookup")))


@pytest.mark.parametrize("term", ["%%", "__", "%_", "\\%", "Tied%", "T_ed"])
def test_wildcards_match_only_themselves(client, desk, term):
    page = client.get("/staff/patients", query_string={"q": term}).get_data(as_text=True)
    assert "Tied Patient" not in page and "Sam Stranger" not in page
    desk_page = client.get(f"/staff/desk/{desk['mine'].id}", query_string={"q": term}).get_data(as_text=True)
    assert "Tied Patient" not in desk_page


def test_tied_patients_are_found_with_their_full_record(client, desk):
    page = client.get("/staff/patients", query_string={"q": "tied patient"}).get_data(as_text=True)
    assert page.count("Tied Patient") == 3 and "+447911123400" in page
    tied = desk["tied"][0]
    record = client.get(f"/staff/patients/{tied.id}")
    assert record.status_code == 200 and "1980-01-01" in record.get_data(as_text=True)
    db.session.expire_all()
    [viewed] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.view")).all()
    assert (viewed.actor_id, viewed.target_id) == (desk["staff"].id, tied.id)


@pytest.mark.parametrize("term", ["stranger", "Sam", "7700900", "1971-04-12"])
def test_untied_patient_is_not_listed_by_a_partial_search(client, desk, term):
    page = client.get("/staff/patients", query_string={"q": term}).get_data(as_text=True)
    assert "Sam Stranger" not in page and "+447700900123" not in page
    assert "No patient of our hospitals matches." in page


def test_untied_patient_by_id_is_404(client, desk):
    assert client.get(f"/staff/patients/{desk['stranger'].id}").status_code == 404


@pytest.mark.parametrize("identifiers", [{"name": "  sam   STRANGER "}, {"phone": "+44 7700 900123"}])
def test_exact_lookup_shows_a_minimal_card_and_is_audited(client, desk, identifiers):
    stranger = desk["stranger"]
    res = client.post("/staff/patients/lookup", data={**identifiers, "birth_date": DOB.isoformat(),
                                                      "reason": "walked in, booked elsewhere"})
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    card = page[page.index('id="lookup-results"'):]
    assert "Sam Stranger" in card and "not yet a patient here" in card
    assert f"/staff/patients/{stranger.id}/book" in card
    assert "+447700900123" not in page and "1971-04-12" not in card and f"/staff/patients/{stranger.id}\"" not in page
    [event] = lookups()
    assert (event.actor_id, event.target_id, event.comment) == (desk["staff"].id, stranger.id,
                                                                "walked in, booked elsewhere")
    assert event.after["found"] == [stranger.id] and event.at is not None
    assert "Sam" not in str(event.after) and "1971" not in str(event.after)  # the identifiers typed are not kept


def test_lookup_needs_two_identifiers_and_a_reason(client, desk):
    res = client.post("/staff/patients/lookup", data={"name": "Sam Stranger", "birth_date": DOB.isoformat()})
    assert res.status_code == 422 and "Say why you look this patient up." in res.get_data(as_text=True)
    res = client.post("/staff/patients/lookup", data={"name": "Sam Stranger", "reason": "check"})
    assert res.status_code == 422 and "The date of birth is needed." in res.get_data(as_text=True)
    res = client.post("/staff/patients/lookup", data={"birth_date": DOB.isoformat(), "reason": "check"})
    assert res.status_code == 422 and "Give the full name or the phone number." in res.get_data(as_text=True)
    assert lookups() == []
    # a near miss finds nobody (and the attempt is kept)
    res = client.post("/staff/patients/lookup", data={"name": "Sam Strange", "birth_date": DOB.isoformat(),
                                                      "reason": "check"})
    assert "Sam Stranger" not in res.get_data(as_text=True)
    assert [e.after["found"] for e in lookups()] == [[]]


def test_registration_at_the_desk_ties_the_patient(client, desk):
    res = client.post("/staff/patients/new", data={"name": "Walk In", "phone": "+44 7911 123457"})
    assert res.status_code == 302 and client.get(res.headers["Location"]).status_code == 200
    assert "Walk In" in client.get("/staff/patients", query_string={"q": "walk"}).get_data(as_text=True)


def test_admin_searches_escape_wildcards(client, auth, make):
    admin = make.user(Role.ADMIN)
    make.user(Role.STAFF, make.hospital(), name="Percy Staff")
    auth.login(admin.email, PASSWORD)
    assert "Percy Staff" not in client.get("/admin/users", query_string={"q": "%%"}).get_data(as_text=True)
    assert "Percy Staff" in client.get("/admin/users", query_string={"q": "percy"}).get_data(as_text=True)
    assert client.get("/admin/audit", query_string={"q": "__"}).status_code == 200


def test_booking_pages_open_for_an_untied_patient_only_after_the_exact_lookup(client, desk):
    stranger = desk["stranger"]
    assert client.get(f"/staff/patients/{stranger.id}/book").status_code == 404  # no enumeration of names by id
    client.post("/staff/patients/lookup", data={"name": "Sam Stranger", "birth_date": DOB.isoformat(),
                                                "reason": "booking by phone"})
    assert client.get(f"/staff/patients/{stranger.id}/book").status_code == 200
    assert client.get(f"/staff/patients/{stranger.id}").status_code == 404  # still no full record
