"""Federation's CLI contract and admin pages (docs/federation.md, docs/cli.md): add, sync, list, pause; the health
table, pause and resume, hiding a slot; who may do it; and who may see another patient's external booking."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.jobs import sync_sources
from app.models import ExternalBooking, ExternalSlot, FederationSource, Role
from app.models.base import utcnow
from app.services.federation import slots as federation_slots
from app.transaction import transaction
from tests.integration.fhir_source import LOCATION, SCHEDULE, Source, manifest, ndjson, slot

KEYS = {"sources", "fetched", "upserted", "removed", "errors", "stale"}


@pytest.fixture
def source():
    with Source() as running:
        start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0).isoformat() + "+00:00"
        end = (utcnow() + timedelta(days=3, minutes=15)).replace(second=0, microsecond=0).isoformat() + "+00:00"
        running.routes["/manifest.json"] = (200, {}, manifest(running.base))
        running.routes["/locations.ndjson"] = (200, {}, ndjson(LOCATION))
        running.routes["/schedules.ndjson"] = (200, {}, ndjson(SCHEDULE))
        running.routes["/slots.ndjson"] = (200, {}, ndjson(slot("X1", start, end)))
        yield running


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_the_cli_adds_syncs_lists_and_pauses(runner, make, source):
    make.specialty()
    added = runner.invoke(args=["federation", "add", "--name", "Partner", "--url", f"{source.base}/manifest.json",
                                "--kind", "smart-links", "--max-age-minutes", "30"])
    assert added.exit_code == 0, added.output
    synced = runner.invoke(args=["federation", "sync"])
    assert synced.exit_code == 0 and len(lines(synced.output)) == 1
    report = lines(synced.output)[0]
    assert set(report) == KEYS and report["upserted"] == 1 and report["sources"] == 1
    listed = lines(runner.invoke(args=["federation", "list"]).output)
    assert listed[0]["name"] == "Partner" and listed[0]["slots"] == 1 and listed[0]["circuit"] == "closed"
    assert runner.invoke(args=["federation", "pause", "--name", "Partner"]).exit_code == 0
    assert lines(runner.invoke(args=["federation", "sync"]).output)[0]["sources"] == 0
    assert runner.invoke(args=["federation", "pause", "--name", "Partner", "--resume"]).exit_code == 0
    assert lines(runner.invoke(args=["federation", "list"]).output)[0]["paused"] is False


@pytest.mark.parametrize("args", [
    ["--name", "Bad", "--url", "ftp://example.org/x", "--kind", "fhir"],
    ["--name", "Bad", "--url", "http://example.org/x", "--kind", "fhir", "--max-age-minutes", "0"],
    ["--name", "", "--url", "http://example.org/x", "--kind", "fhir"],
])
def test_the_cli_refuses_a_bad_source(runner, args):
    result = runner.invoke(args=["federation", "add", *args])
    assert result.exit_code == 2 and db.session.scalar(db.select(db.func.count(FederationSource.id))) == 0


def test_the_cli_refuses_a_second_source_of_the_same_name(runner):
    args = ["federation", "add", "--name", "Twice", "--url", "http://example.org/", "--kind", "fhir"]
    assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=args).exit_code == 2


def test_a_region_admin_sees_health_pauses_and_hides_a_slot(client, auth, make, runner, source):
    cardiology = make.specialty()
    runner.invoke(args=["federation", "add", "--name", "Partner", "--url", f"{source.base}/manifest.json",
                        "--kind", "smart-links"])
    sync_sources()
    admin = make.user(Role.ADMIN, email="region@example.org")
    auth.login(admin.email)
    page = client.get("/admin/federation")
    assert page.status_code == 200 and b"Partner" in page.data and b"0%" in page.data
    source_id = db.session.scalar(db.select(FederationSource.id))
    slot_id = db.session.scalar(db.select(ExternalSlot.id))
    assert client.get(f"/admin/federation/{source_id}").status_code == 200
    assert client.post(f"/admin/federation/slots/{slot_id}/hide").status_code == 302
    assert federation_slots.for_specialty(cardiology.id) == []
    assert client.post(f"/admin/federation/slots/{slot_id}/show").status_code == 302
    assert len(federation_slots.for_specialty(cardiology.id)) == 1
    assert client.post(f"/admin/federation/{source_id}/pause").status_code == 302
    db.session.expire_all()
    assert db.session.get(FederationSource, source_id).paused
    assert b"paused" in client.get("/admin/federation").data
    assert client.post("/admin/federation/999999/pause").status_code == 404


def test_a_hospital_admin_and_a_patient_may_not_manage_sources(client, auth, make):
    with transaction():
        from app.services.federation import sources

        source_id = sources.add("Partner", "http://example.org/m.json", "smart-links").id
    hospital = make.hospital()
    admin = make.user(Role.ADMIN, hospital, email="hadmin@example.org")
    auth.login(admin.email)
    assert client.get("/admin/federation").status_code == 403
    assert client.post(f"/admin/federation/{source_id}/pause").status_code == 403
    auth.logout()
    patient = make.user()
    auth.login(patient.email)
    assert client.get("/admin/federation").status_code == 403


def test_another_patients_external_booking_looks_like_none(client, auth, make):
    with transaction():
        from app.services.federation import sources

        source_id = sources.add("Partner", "http://example.org/fhir", "fhir").id
    owner, other = make.patient(), make.user()
    with transaction():
        made = ExternalBooking(source_id=source_id, patient_id=owner.id, remote_id="7", start=utcnow(),
                               end=utcnow(), created_at=utcnow())
        db.session.add(made)
    auth.login(other.email)
    assert client.get(f"/patient/external/bookings/{made.id}").status_code == 404
    assert client.get("/patient/external/999999").status_code == 404


def test_the_api_merges_partner_slots_with_ours_and_never_caches_them(client, make, source):
    cardiology = make.specialty()
    hospital = make.hospital()
    doctor = make.doctor(hospital, cardiology)
    make.schedule(doctor, hospital, start="09:00", end="09:30")
    with transaction():
        from app.services.federation import sources

        source_id = sources.add("Partner", f"{source.base}/manifest.json", "smart-links").id
    sync_sources()
    url = f"/api/v1/slots?specialty={cardiology.id}&limit=500"
    merged = client.get(url).get_json()["slots"]
    starts = [s["start"] for s in merged]
    assert [s.get("source", {}).get("name") for s in merged].count("Partner") == 1
    assert len(merged) > 1 and sorted(starts, key=datetime.fromisoformat) == starts
    with transaction():
        sources.set_paused(db.session.get(FederationSource, source_id), True)
    again = client.get(url).get_json()["slots"]  # the local answer is cached; the partner slot is not
    assert len(again) == len(merged) - 1 and all("source" not in s for s in again)
    assert all("source" not in s for s in client.get(url + f"&hospital={hospital.id}").get_json()["slots"])
