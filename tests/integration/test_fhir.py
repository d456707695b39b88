"""FHIR R4 under /fhir (docs/fhir.md): every resource served parses with fhir.resources' R4B models, which refuse a
missing required element or a wrong type; searches, the IHE ITI Scheduling operations and the published files."""
import json
from datetime import date, datetime, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, AppointmentType, Role, User
from app.models.base import utcnow
from app.scheduling import SchedulingError
from app.services.availability.query import SlotQuery
from app.services.availability.search import indexed_search, live_search
from app.services.fhir import appointments as fhir_appointments
from app.services.fhir.capability import SEARCHES
from app.services.waitlist.offers import expire_offers
from app.transaction import transaction
from tests.integration.racing import double_booked_cells, race

FHIR = "application/fhir+json"


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def valid(resource: dict) -> dict:
    """Parse with the R4B model of its type (raises on invalid FHIR) and hand the resource back."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_json(res, status: int = 200) -> dict:
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.mimetype == FHIR
    return valid(res.get_json())


def entries(bundle: dict) -> list[dict]:
    return bundle.get("entry", [])


def refusal(res, status: int, code: str | None = None) -> dict:
    body = fhir_json(res, status)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"
    if code:
        assert body["issue"][0]["details"]["coding"][0]["code"] == code
    return body


def token_for(runner, email: str) -> dict:
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clinic(make, runner):
    london = make.hospital(name="Thames", timezone="Europe/London", lat=51.5, lon=-0.12)
    other = make.hospital(name="Spree", city="Berlin", country="DE", timezone="Europe/Berlin", lat=52.5, lon=13.4)
    cardio = make.specialty()
    doctor = make.doctor(london, cardio)
    make.schedule(doctor, london, weekdays=[0], start="09:00", end="10:00")
    db.session.add(AppointmentType(hospital_id=london.id, code="new", name="New patient", duration_minutes=15))
    db.session.commit()
    alice, bob = make.patient(), make.patient()
    desk = make.user(Role.STAFF, london)
    foreign_desk = make.user(Role.STAFF, other)
    return {"london": london, "other": other, "cardio": cardio, "doctor": doctor, "alice": alice, "bob": bob,
            "monday": next_monday(),
            "alice_h": token_for(runner, alice.user.email), "bob_h": token_for(runner, bob.user.email),
            "desk_h": token_for(runner, desk.email), "foreign_h": token_for(runner, foreign_desk.email)}


def slot_params(c, **extra) -> dict:
    monday = c["monday"]
    return {"specialty": "CAR", "start": [f"ge{monday}", f"lt{monday + timedelta(days=1)}"], **extra}


def parameters(**values) -> dict:
    params = []
    for name, value in values.items():
        if isinstance(value, dict):
            params.append({"name": name, "resource": value})
        else:
            params.append({"name": name.replace("_", "-"), "valueString": value})
    return {"resourceType": "Parameters", "parameter": params}


def test_capability_statement(client):
    body = fhir_json(client.get("/fhir/metadata"))
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(served) == {"Organization", "Location", "Practitioner", "PractitionerRole", "HealthcareService",
                           "Schedule", "Slot", "Appointment"}
    assert {o["name"] for o in served["Appointment"]["operation"]} == {"find", "hold", "book"}
    assert {p["name"] for p in served["Slot"]["searchParam"]} >= {"specialty", "service-type", "schedule", "start",
                                                                  "status", "_count"}


def test_directory_reads_and_searches(client, clinic):
    doctor, london = clinic["doctor"], clinic["london"]
    pair = f"{doctor.id}-{london.id}"
    reads = {"Organization": london.id, "Location": london.id, "Practitioner": doctor.id, "PractitionerRole": pair,
             "Schedule": pair, "HealthcareService": f"{london.id}-{clinic['cardio'].id}"}
    for kind, ident in reads.items():
        resource = fhir_json(client.get(f"/fhir/{kind}/{ident}"))
        assert resource["resourceType"] == kind and resource["id"] == str(ident)
        bundle = fhir_json(client.get(f"/fhir/{kind}"))
        assert bundle["type"] == "searchset" and bundle["total"] == len(bundle["entry"]) >= 1
        assert str(ident) in {e["resource"]["id"] for e in bundle["entry"]}
        refusal(client.get(f"/fhir/{kind}/999999"), 404, "not_found")
    schedule = fhir_json(client.get(f"/fhir/Schedule/{pair}"))
    assert {a["reference"] for a in schedule["actor"]} >= {f"Practitioner/{doctor.id}", f"Location/{london.id}"}
    assert fhir_json(client.get(f"/fhir/Schedule?actor=Location/{clinic['other'].id}"))["total"] == 0
    assert fhir_json(client.get("/fhir/PractitionerRole?specialty=CAR"))["total"] == 1
    assert fhir_json(client.get("/fhir/Location?address-city=berlin"))["total"] == 1
    # every search parameter the CapabilityStatement names is understood
    for kind, params in SEARCHES.items():
        if kind in ("Slot", "Appointment"):
            continue
        for name in params:
            assert client.get(f"/fhir/{kind}", query_string={name: "1"}).status_code in (200, 400, 404), name
        refusal(client.get(f"/fhir/{kind}?colour=blue"), 400, "invalid")
    refusal(client.get("/fhir/Location?organization=Organization/abc"), 400, "invalid")
    refusal(client.get("/fhir/Patient/1"), 404)
    refusal(client.get("/fhir/Observation"), 404)


def test_slot_search_filters_and_pages(client, clinic):
    monday, doctor, london = clinic["monday"], clinic["doctor"], clinic["london"]
    bundle = fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic)))
    slots = [e["resource"] for e in bundle["entry"]]
    assert "total" not in bundle and [s["status"] for s in slots] == ["free"] * 4
    assert [s["start"][11:16] for s in slots] == ["09:00", "09:15", "09:30", "09:45"]
    assert all(s["schedule"]["reference"] == f"Schedule/{doctor.id}-{london.id}" for s in slots)
    # paging: two by two, following `next`
    page = fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic, _count="2")))
    seen = [e["resource"]["id"] for e in page["entry"]]
    nxt = {link["relation"]: link["url"] for link in page["link"]}["next"]
    page2 = fhir_json(client.get(nxt.replace("http://localhost", "")))
    seen += [e["resource"]["id"] for e in page2["entry"]]
    assert seen == [s["id"] for s in slots] and "next" not in {link["relation"] for link in page2["link"]}
    # start bounds with times, schedule, service type, status
    narrow = slot_params(clinic)
    narrow["start"] = [f"ge{monday}T09:15:00+00:00", f"lt{monday}T09:45:00+00:00"]
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=narrow)))) == 2
    by_schedule = {"schedule": f"Schedule/{doctor.id}-{london.id}", "start": slot_params(clinic)["start"]}
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=by_schedule)))) == 4
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic, status="busy"))))) == 0
    typed = slot_params(clinic, **{"service-type": "urn:waitless:appointment-type|new"})
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=typed)))) == 4
    # refusals: an unknown parameter, a bad date, an unknown specialty, another resource's reference
    refusal(client.get("/fhir/Slot", query_string=slot_params(clinic, colour="blue")), 400, "invalid")
    refusal(client.get("/fhir/Slot?specialty=CAR&start=ge2026-99-01"), 400)
    refusal(client.get("/fhir/Slot?specialty=ASTROLOGY"), 400)
    refusal(client.get("/fhir/Slot?schedule=Location/1"), 400)
    refusal(client.get("/fhir/Slot?specialty=CAR&_count=0"), 400)
    refusal(client.get("/fhir/Slot?specialty=CAR&_count=1000"), 400)
    refusal(client.get("/fhir/Slot?specialty=CAR&_count=100&_offset=450"), 400)
    assert refusal(client.get("/fhir/Slot/1-2-3"), 404)


def _propose(client, clinic, headers, expected: int = 4) -> dict:
    body = parameters(start=f"{clinic['monday']}T00:00:00+00:00", end=f"{clinic['monday']}T23:59:00+00:00",
                      specialty="CAR")
    bundle = fhir_json(client.post("/fhir/Appointment/$find", json=body, headers=headers))
    assert bundle["type"] == "searchset" and len(bundle["entry"]) == expected
    proposal = bundle["entry"][0]["resource"]
    assert proposal["status"] == "proposed" and proposal["slot"][0]["reference"].startswith("Slot/")
    return proposal


def test_find_hold_book_and_read_back(client, clinic):
    alice_h = clinic["alice_h"]
    proposal = _propose(client, clinic, alice_h)
    assert f"Patient/{clinic['alice'].id}" in {p["actor"]["reference"] for p in proposal["participant"]}
    held = fhir_json(client.post("/fhir/Appointment/$hold", json=parameters(appointment=proposal), headers=alice_h))
    hold = held["entry"][0]["resource"]
    assert hold["status"] == "pending" and hold["id"]
    # the held slot is no longer offered, and reads as busy
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic))))) == 3
    slot_id = proposal["slot"][0]["reference"].split("/")[1]
    assert fhir_json(client.get(f"/fhir/Slot/{slot_id}"))["status"] == "busy"
    # another patient can neither see nor book Alice's hold
    refusal(client.get(f"/fhir/Appointment/{hold['id']}", headers=clinic["bob_h"]), 404)
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment={
        "resourceType": "Appointment", "id": hold["id"], "status": "pending", "participant": [
            {"actor": {"reference": f"Patient/{clinic['bob'].id}"}, "status": "accepted"}]}),
        headers=clinic["bob_h"]), 404, "not_found")
    booked = fhir_json(client.post("/fhir/Appointment/$book", json=parameters(appointment=hold), headers=alice_h))
    appointment = booked["entry"][0]["resource"]
    assert appointment["status"] == "booked" and appointment["id"] == hold["id"]
    row = db.session.get(Appointment, int(hold["id"]))
    assert row.status == "scheduled" and row.patient_id == clinic["alice"].id
    # read back: the owner and the hospital's desk see it; another patient and another hospital get 404
    assert fhir_json(client.get(f"/fhir/Appointment/{hold['id']}", headers=alice_h))["status"] == "booked"
    assert fhir_json(client.get(f"/fhir/Appointment/{hold['id']}", headers=clinic["desk_h"]))["id"] == hold["id"]
    refusal(client.get(f"/fhir/Appointment/{hold['id']}", headers=clinic["bob_h"]), 404, "not_found")
    refusal(client.get(f"/fhir/Appointment/{hold['id']}", headers=clinic["foreign_h"]), 404)
    mine = fhir_json(client.get("/fhir/Appointment", headers=alice_h))
    assert [e["resource"]["id"] for e in mine["entry"]] == [hold["id"]]
    assert fhir_json(client.get("/fhir/Appointment", headers=clinic["bob_h"])).get("entry", []) == []
    assert fhir_json(client.get("/fhir/Appointment?status=booked", headers=clinic["desk_h"]))["entry"]
    assert fhir_json(client.get("/fhir/Appointment", headers=clinic["foreign_h"])).get("entry", []) == []
    refusal(client.get("/fhir/Appointment?colour=blue", headers=alice_h), 400)
    refusal(client.get("/fhir/Appointment"), 401, "unauthorized")


def test_book_refusals_carry_the_rest_codes(client, clinic):
    proposal = _propose(client, clinic, clinic["desk_h"])
    for_alice = dict(proposal, participant=proposal["participant"] + [
        {"actor": {"reference": f"Patient/{clinic['alice'].id}"}, "status": "needs-action"}])
    booked = fhir_json(client.post("/fhir/Appointment/$book", json=parameters(appointment=for_alice),
                                   headers=clinic["desk_h"]))
    assert booked["entry"][0]["resource"]["status"] == "booked"
    # the same slot again: taken (409), whoever asks
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=proposal),
                        headers=clinic["bob_h"]), 409, "slot_taken")
    # a start the doctor does not work: outside hours (422)
    evening = dict(proposal, slot=[{"reference": proposal["slot"][0]["reference"][:-4] + "2000"}])
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=evening),
                        headers=clinic["bob_h"]), 422, "outside_hours")
    # a patient books for themselves only (403, as the REST API says)
    second = _propose(client, clinic, clinic["bob_h"], expected=3)
    refusal(client.post("/fhir/Appointment/$book", json=parameters(
        appointment=second, patient=f"Patient/{clinic['alice'].id}"), headers=clinic["bob_h"]), 403, "forbidden")
    # the desk of another hospital may not book here: the hospital looks like none (404)
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=for_alice | {
        "slot": second["slot"]}), headers=clinic["foreign_h"]), 404)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_attacker_requests_get_operation_outcomes(app, client, auth, clinic):
    proposal = _propose(client, clinic, clinic["alice_h"])
    forged = {"Authorization": "Bearer not-a-real-token"}
    refusal(client.get("/fhir/Slot?specialty=CAR", headers=forged), 401)
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=proposal), headers=forged), 401)
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=proposal)), 401, "unauthorized")
    refusal(client.post("/fhir/Appointment/$book", data=b'{"resourceType": "Parameters", ' + b" " * 70_000 + b"}",
                        content_type=FHIR, headers=clinic["alice_h"]), 413)
    refusal(client.post("/fhir/Appointment/$book", data=b'{"resourceType": ', content_type=FHIR,
                        headers=clinic["alice_h"]), 400, "invalid")
    refusal(client.post("/fhir/Appointment/$book", data=b"[" * 5000 + b"]" * 5000, content_type=FHIR,
                        headers=clinic["alice_h"]), 400)
    refusal(client.post("/fhir/Appointment/$book", json={"resourceType": "Patient"}, headers=clinic["alice_h"]),
            400, "invalid")
    refusal(client.post("/fhir/Appointment/$book", json={"resourceType": "Parameters", "parameter": [
        {"name": "appointment", "resource": {"resourceType": "Appointment"}}]}, headers=clinic["alice_h"]), 400)
    refusal(client.post("/fhir/Appointment/$find", json=parameters(colour="blue"), headers=clinic["alice_h"]), 400)
    refusal(client.post("/fhir/Appointment/$hold", json=parameters(appointment={
        "resourceType": "Appointment", "status": "proposed", "participant": [
            {"actor": {"reference": "Location/1"}, "status": "accepted"}],
        "slot": [{"reference": f"Slot/99999-1-{clinic['monday']:%Y%m%d}0900"}]}), headers=clinic["alice_h"]), 404)
    refusal(client.post("/fhir/Appointment/$find", data="start=today", content_type="text/plain",
                        headers=clinic["alice_h"]), 415)
    # a session (not a token) must send the CSRF token, as on the REST API
    auth.login(clinic["alice"].user.email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=proposal)), 400)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_holds_are_capped_per_caller_and_lapse(client, clinic):
    body = parameters(start=f"{clinic['monday']}T00:00:00+00:00", specialty="CAR")
    proposals = [e["resource"] for e in fhir_json(client.post("/fhir/Appointment/$find", json=body))["entry"]]
    for proposal in proposals[:3]:
        fhir_json(client.post("/fhir/Appointment/$hold", json=parameters(appointment=proposal),
                              headers=clinic["alice_h"]))
    refusal(client.post("/fhir/Appointment/$hold", json=parameters(appointment=proposals[3]),
                        headers=clinic["alice_h"]), 409, "hold_limit")
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic))))) == 1
    # unbooked holds lapse with the hold job (the hospital's offer hold minutes), and the slots are sold again
    with transaction():
        expire_offers(now=utcnow() + timedelta(hours=1))
    assert len(entries(fhir_json(client.get("/fhir/Slot", query_string=slot_params(clinic))))) == 4
    fhir_json(client.post("/fhir/Appointment/$hold", json=parameters(appointment=proposals[3]),
                          headers=clinic["alice_h"]))


def test_bulk_publish_manifest_and_files(client, auth, clinic):
    manifest = client.get("/fhir/$bulk-publish").get_json()
    assert manifest["transactionTime"] and manifest["request"].endswith("/fhir/$bulk-publish")
    outputs = {o["type"]: o["url"] for o in manifest["output"]}
    assert set(outputs) == {"Location", "Schedule", "Slot"}
    files = {}
    for kind, url in outputs.items():
        res = client.get(url.replace("http://localhost", ""))
        assert res.status_code == 200 and res.mimetype == "application/fhir+ndjson"
        files[kind] = [valid(json.loads(line)) for line in res.get_data(as_text=True).splitlines()]
        assert {r["resourceType"] for r in files[kind]} == {kind}
    locations = {f"Location/{r['id']}" for r in files["Location"]}
    schedules = {f"Schedule/{r['id']}" for r in files["Schedule"]}
    assert all(any(a["reference"] in locations for a in s["actor"]) for s in files["Schedule"])
    monday_slots = [s for s in files["Slot"] if s["start"].startswith(str(clinic["monday"]))]
    assert len(monday_slots) == 4
    for slot in files["Slot"]:
        assert slot["status"] == "free" and slot["schedule"]["reference"] in schedules
        link = next(e["valueUrl"] for e in slot["extension"] if e["url"].endswith("booking-deep-link"))
        assert link.startswith("http://localhost/patient/book?doctor=")
    # the deep link opens the booking page for that very slot (a start the doctor does not offer would be a 404)
    auth.login(clinic["alice"].user.email)
    page = client.get(monday_slots[1]["extension"][0]["valueUrl"].replace("http://localhost", ""))
    assert page.status_code == 200 and "09:15" in page.get_data(as_text=True)
    refusal(client.get("/fhir/$bulk-publish/patients.ndjson"), 404)


def test_earliest_bounds_the_index_and_the_live_search_alike(app, clinic):
    monday = clinic["monday"]
    query = SlotQuery(first_day=monday - timedelta(days=1), last_day=monday + timedelta(days=1),
                      specialty_id=clinic["cardio"].id, limit=2, earliest=datetime.combine(monday, datetime.min.time())
                      + timedelta(hours=9, minutes=15))
    now = utcnow()
    indexed = [(r.doctor_id, r.start) for r in indexed_search(query, now)]
    assert indexed == [(r.doctor_id, r.start) for r in live_search(query, now)]
    assert [start.strftime("%H:%M") for _, start in indexed] == ["09:15", "09:30"]


def test_find_reads_references_codings_and_refuses_bad_parameters(client, clinic):
    monday, doctor = clinic["monday"], clinic["doctor"]

    def find(*extra) -> list[dict]:
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "start", "valueDate": str(monday)}, {"name": "end", "valueDate": str(monday)}, *extra]}
        return entries(fhir_json(client.post("/fhir/Appointment/$find", json=body)))

    by_doctor = find({"name": "practitioner", "valueReference": {"reference": f"Practitioner/{doctor.id}"}},
                     {"name": "visit-type", "valueCoding": {"system": "urn:waitless:appointment-type",
                                                            "code": "new"}})
    assert [e["resource"]["start"][11:16] for e in by_doctor] == ["09:00", "09:15", "09:30", "09:45"]
    assert all(e["resource"]["serviceType"][0]["coding"][0]["code"] == "new" for e in by_doctor)
    assert find({"name": "location", "valueReference": {"reference": f"Location/{clinic['other'].id}"}}) == []
    assert len(find({"name": "specialty", "valueCodeableConcept": {"coding": [
        {"system": "urn:waitless:specialty", "code": "CAR"}]}}, {"name": "_count", "valueInteger": 1})) == 1
    for bad in ({"name": "specialty", "valueString": "ASTROLOGY"},
                {"name": "visit-type", "valueCoding": {"system": "http://elsewhere.example", "code": "new"}},
                {"name": "start", "valueString": "soon"},
                {"name": "_count", "valueString": "9999"}):
        refusal(client.post("/fhir/Appointment/$find", json={"resourceType": "Parameters", "parameter": [
            {"name": "location", "valueString": f"Location/{clinic['london'].id}"}, bad]}), 400)
    refusal(client.post("/fhir/Appointment/$find", json=parameters(specialty="CAR", practitioner="Practitioner/1")
                        | {"parameter": [{"name": "specialty", "valueString": "CAR"}] * 2}), 400)
    # a patient named by someone who may not book for them is refused, not searched for
    refusal(client.post("/fhir/Appointment/$find", json=parameters(
        specialty="CAR", patient=f"Patient/{clinic['alice'].id}")), 422)


def test_racing_holds_and_books_of_one_slot_leave_one_winner(app, client, make, clinic):
    proposal = _propose(client, clinic, {})  # asked anonymously: it names no patient
    racers = [make.patient().user_id for _ in range(6)]
    body = parameters(appointment=proposal)

    def work(i: int):
        user = db.session.get(User, racers[i])
        operation = fhir_appointments.hold if i % 2 else fhir_appointments.book
        return operation(user, body).id

    results, errors = race(app, work, len(racers))
    db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep the one before the race
    assert errors == []
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1 and all(isinstance(r, SchedulingError) for r in results if r not in winners)
    assert double_booked_cells() == 0
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
