"""Federation against a misbehaving source (docs/federation.md, "Faults"): each fault is refused or skipped with
its reason in the source's health, never a 5xx on our own pages. The source is a real local HTTP server."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.jobs import sync_sources
from app.models import ExternalBooking, ExternalSlot, FederationSource
from app.models.base import utcnow
from app.services.federation import slots as federation_slots
from app.services.federation import sources
from app.transaction import transaction
from tests.integration.fhir_source import HANG, LOCATION, SCHEDULE, Source, manifest, ndjson, slot

JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/fhir+ndjson"}


@pytest.fixture
def source():
    with Source() as running:
        yield running


@pytest.fixture
def now():
    return utcnow().replace(second=0, microsecond=0)


def iso(moment) -> str:
    return moment.isoformat() + "+00:00"


def publish(source: Source, now, *slots_, files_base: str | None = None, etag: str | None = None):
    source.routes["/manifest.json"] = (200, JSON | ({"ETag": etag} if etag else {}),
                                       manifest(source.base, files_base))
    source.routes["/locations.ndjson"] = (200, NDJSON, ndjson(LOCATION))
    source.routes["/schedules.ndjson"] = (200, NDJSON, ndjson(SCHEDULE))
    source.routes["/slots.ndjson"] = (200, NDJSON, ndjson(*slots_))


def register(source: Source, kind: str = "smart-links", max_age: int = 60, path: str = "/manifest.json"):
    with transaction():
        return sources.add("Partner", source.base + path, kind, max_age).id


def health(source_id: int) -> FederationSource:
    db.session.expire_all()
    return db.session.get(FederationSource, source_id)


def two_slots(now):
    first, second = now + timedelta(days=2), now + timedelta(days=2, hours=1)
    return (slot("X1", iso(first), iso(first + timedelta(minutes=15))),
            slot("X2", iso(second), iso(second + timedelta(minutes=15))))


def test_a_manifest_is_read_with_its_files_and_its_slots_show_in_search(app, client, make, source, now):
    cardiology = make.specialty()
    publish(source, now, *two_slots(now))
    source_id = register(source)
    report = sync_sources(now)
    assert report == {"sources": 1, "fetched": 4, "upserted": 2, "removed": 0, "errors": 0, "stale": 0}
    listed = federation_slots.for_specialty(cardiology.id, now=now)
    assert [x.slot.remote_id for x in listed] == ["X1", "X2"]
    assert listed[0].slot.location == "Partner Clinic" and listed[0].source == "Partner"
    page = client.get(f"/search?specialty={cardiology.id}")
    assert page.status_code == 200 and b"At partner hospitals" in page.data and b"From Partner" in page.data
    api = client.get(f"/api/v1/slots?specialty={cardiology.id}").get_json()["slots"]
    assert [s["source"]["name"] for s in api] == ["Partner", "Partner"]
    assert api[0]["doctor_id"] is None and api[0]["hospital_id"] is None
    assert health(source_id).last_success_at == now


def test_a_slot_gone_from_the_source_is_removed_and_a_hidden_one_stays_hidden(app, make, source, now):
    cardiology = make.specialty()
    first, second = two_slots(now)
    publish(source, now, first, second)
    register(source)
    sync_sources(now)
    hidden = db.session.scalar(db.select(ExternalSlot).where(ExternalSlot.remote_id == "X2"))
    with transaction():
        sources.set_hidden(hidden, True)
    publish(source, now, second)
    report = sync_sources(now + timedelta(minutes=5))
    assert report["removed"] == 1 and report["upserted"] == 1
    assert federation_slots.for_specialty(cardiology.id, now=now) == []  # X1 gone, X2 hidden by hand


def test_conditional_requests_a_304_confirms_the_slots_without_reading_the_files(app, make, source, now):
    make.specialty()
    publish(source, now, *two_slots(now), etag='"v1"')
    source_id = register(source)
    sync_sources(now)
    source.routes["/manifest.json"] = lambda handler: (
        (304, {}, b"") if handler.headers.get("If-None-Match") == '"v1"' else (500, {}, b""))
    files_before = source.hits("/slots.ndjson")
    report = sync_sources(now + timedelta(minutes=30))
    assert report["upserted"] == 0 and report["errors"] == 0
    assert source.hits("/slots.ndjson") == files_before
    fetched = db.session.scalars(db.select(ExternalSlot.fetched_at).where(ExternalSlot.source_id == source_id))
    assert set(fetched) == {now + timedelta(minutes=30)}


@pytest.mark.parametrize(("fault", "reason"), [
    ((200, JSON, b"{not json"), "not valid JSON"),
    ((200, JSON, {"resourceType": "Bundle"}), "no output list"),
    ((500, JSON, b"{}"), "answered 500"),
    ((302, {"Location": "http://localhost:1/elsewhere"}, b""), "another host"),
])
def test_a_broken_manifest_fails_the_sync_with_its_reason_and_the_pages_stay_up(app, client, make, source, now,
                                                                                fault, reason):
    cardiology = make.specialty()
    source.routes["/manifest.json"] = fault
    source_id = register(source)
    report = sync_sources(now)
    assert report["errors"] == 1 and report["upserted"] == 0
    assert reason in health(source_id).last_error
    assert client.get(f"/search?specialty={cardiology.id}").status_code == 200


def test_a_500_is_retried_with_backoff_before_the_sync_gives_up(app, make, source, now):
    make.specialty()
    source.routes["/manifest.json"] = (503, {}, b"busy")
    register(source)
    sync_sources(now)
    assert source.hits("/manifest.json") == app.config["FEDERATION_RETRIES"] == 3


def test_a_redirect_on_the_same_host_is_followed(app, make, source, now):
    cardiology = make.specialty()
    publish(source, now, *two_slots(now))
    source.routes["/old.json"] = (301, {"Location": "/manifest.json"}, b"")
    register(source, path="/old.json")
    assert sync_sources(now)["upserted"] == 2
    assert len(federation_slots.for_specialty(cardiology.id, now=now)) == 2


def test_a_slow_source_times_out(app, make, source, now, monkeypatch):
    monkeypatch.setitem(app.config, "FEDERATION_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "FEDERATION_RETRIES", 1)
    make.specialty()
    source.routes["/manifest.json"] = HANG
    source_id = register(source)
    assert sync_sources(now)["errors"] == 1
    assert "No answer within 0.3 s" in health(source_id).last_error


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_answer_is_refused_whether_or_not_its_size_is_declared(app, make, source, now, monkeypatch, declared):
    monkeypatch.setitem(app.config, "FEDERATION_MAX_BYTES", 10_000)
    make.specialty()
    huge = ndjson(*[slot(f"H{i}", iso(now + timedelta(days=1, minutes=i)), iso(now + timedelta(days=1, minutes=i + 1)))
                    for i in range(200)])
    publish(source, now)
    source.routes["/slots.ndjson"] = (200, NDJSON | ({"Content-Length": str(len(huge))} if declared else {}), huge)
    source_id = register(source)
    assert sync_sources(now)["errors"] == 1
    assert "larger than 10000 bytes" in health(source_id).last_error
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalSlot)) == 0


def test_files_on_another_host_are_not_fetched(app, make, source, now):
    make.specialty()
    publish(source, now, *two_slots(now), files_base=f"http://localhost:{source.server.server_port}")
    source_id = register(source)
    report = sync_sources(now)
    assert report["upserted"] == 0 and report["errors"] == 3  # three entries skipped
    assert source.hits("/slots.ndjson") == 0
    assert "on another host: refused" in health(source_id).last_error


def test_bad_resources_are_skipped_and_the_good_ones_kept(app, make, source, now):
    cardiology = make.specialty()
    good, _ = two_slots(now)
    missing_start = {k: v for k, v in slot("M1", iso(now), iso(now)).items() if k != "start"}
    publish(source, now, good, missing_start, {"resourceType": "Patient", "id": "p1"}, "not an object")
    source.routes["/slots.ndjson"] = (200, NDJSON, source.routes["/slots.ndjson"][2] + b"{broken\n")
    source_id = register(source)
    report = sync_sources(now)
    assert report["upserted"] == 1 and report["errors"] == 4
    error = health(source_id).last_error
    assert "Invalid Slot M1" in error and "Unexpected resource type 'Patient'" in error
    assert [x.slot.remote_id for x in federation_slots.for_specialty(cardiology.id, now=now)] == ["X1"]


def test_the_circuit_opens_after_failures_in_a_row_and_closes_after_its_cool_down(app, make, source, now):
    make.specialty()
    source.routes["/manifest.json"] = (500, {}, b"")
    source_id = register(source)
    for minute in range(3):
        sync_sources(now + timedelta(minutes=minute))
    assert health(source_id).circuit_open(now + timedelta(minutes=3))
    hits = source.hits("/manifest.json")
    report = sync_sources(now + timedelta(minutes=4))
    assert report["errors"] == 1 and source.hits("/manifest.json") == hits  # not even asked
    publish(source, now, *two_slots(now))
    report = sync_sources(now + timedelta(minutes=2 + app.config["FEDERATION_BREAKER_MINUTES"] + 1))
    assert report["upserted"] == 2 and not health(source_id).circuit_open(now + timedelta(minutes=30))


def test_stale_slots_are_marked_then_dropped_after_the_budget(app, client, make, source, now):
    cardiology = make.specialty()
    publish(source, now, *two_slots(now))
    register(source, max_age=60)
    sync_sources(now)
    source.routes["/manifest.json"] = (500, {}, b"")
    report = sync_sources(now + timedelta(minutes=10))
    assert report["stale"] == 2 and report["removed"] == 0
    listed = federation_slots.for_specialty(cardiology.id, now=now + timedelta(minutes=10))
    assert [x.stale for x in listed] == [True, True] and listed[0].age_minutes == 10
    assert federation_slots.for_specialty(cardiology.id, now=now + timedelta(minutes=61)) == []  # past the budget
    report = sync_sources(now + timedelta(minutes=61))
    assert report["removed"] == 2 and report["stale"] == 0


def test_a_paused_source_is_not_synced_and_its_slots_leave_the_search(app, make, source, now):
    cardiology = make.specialty()
    publish(source, now, *two_slots(now))
    source_id = register(source)
    sync_sources(now)
    with transaction():
        sources.set_paused(db.session.get(FederationSource, source_id), True)
    hits = source.hits("/manifest.json")
    assert sync_sources(now)["sources"] == 0 and source.hits("/manifest.json") == hits
    assert federation_slots.for_specialty(cardiology.id, now=now) == []


def test_a_smart_links_slot_is_booked_through_its_deep_link(app, client, auth, make, source, now):
    cardiology = make.specialty()
    publish(source, now, *two_slots(now))
    register(source)
    sync_sources(now)
    patient = make.user()
    auth.login(patient.email)
    listed = federation_slots.for_specialty(cardiology.id, now=now)
    assert client.get(f"/patient/external/{listed[0].slot.id}").status_code == 200
    answer = client.post(f"/patient/external/{listed[0].slot.id}")
    assert answer.status_code == 302 and answer.headers["Location"] == "https://partner.example/book?slot=1"


def test_a_source_sending_too_many_resources_is_refused(app, make, source, now, monkeypatch):
    monkeypatch.setitem(app.config, "FEDERATION_MAX_SLOTS", 5)
    make.specialty()
    day = now + timedelta(days=1)
    many = [slot(f"N{i}", iso(day + timedelta(minutes=15 * i)), iso(day + timedelta(minutes=15 * i + 15)))
            for i in range(20)]
    publish(source, now, *many)
    source_id = register(source)
    assert sync_sources(now)["errors"] == 1
    assert "more than 10 resources" in health(source_id).last_error
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalSlot)) == 0


def _fhir_slot(source: Source, now) -> int:
    with transaction():
        source_id = sources.add("Partner FHIR", source.base + "/fhir", "fhir", 60, token="region-token").id
        row = ExternalSlot(source_id=source_id, remote_id="1-1-203001010900", start=now + timedelta(days=1),
                           end=now + timedelta(days=1, minutes=15), specialty_code="CAR",
                           practitioner_ref="Practitioner/1", location_ref="Location/1", fetched_at=now,
                           hidden=False)
        db.session.add(row)
    return row.id


def test_a_source_that_does_not_answer_a_booking_books_nothing_and_keeps_the_slot(app, client, auth, make, source,
                                                                                  now):
    make.specialty()
    slot_id = _fhir_slot(source, now)
    source.routes["/fhir/Appointment/$hold"] = (500, {}, b"")
    auth.login(make.user().email)
    answer = client.post(f"/patient/external/{slot_id}", follow_redirects=True)
    assert answer.status_code == 200 and b"did not answer" in answer.data
    assert source.hits("/fhir/Appointment/$hold") == 1  # a POST is never retried
    assert source.requests[0][2]["Authorization"] == "Bearer region-token"
    assert db.session.get(ExternalSlot, slot_id) is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalBooking)) == 0


def test_a_source_refusing_the_book_step_makes_the_slot_vanish(app, client, auth, make, source, now):
    make.specialty()
    slot_id = _fhir_slot(source, now)
    held = {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": {"resourceType": "Appointment", "id": "44", "status": "pending"}}]}
    source.routes["/fhir/Appointment/$hold"] = (200, JSON, held)
    refusal = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "conflict",
                                                              "diagnostics": "That slot was just taken."}]}
    source.routes["/fhir/Appointment/$book"] = (409, JSON, refusal)
    auth.login(make.user().email)
    answer = client.post(f"/patient/external/{slot_id}")
    assert answer.status_code == 409 and b"That slot was just taken." in answer.data
    db.session.expire_all()
    assert db.session.get(ExternalSlot, slot_id) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalBooking)) == 0
