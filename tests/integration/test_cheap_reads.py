"""Cheap anonymous API reads (issue #14, part 2): no session or cookie for them, answers with an ETag and 304, the
directory lists cached per version and re-read after an admin's edit in this process and, within the version
check, in every other process; logged-in callers still take every check (docs/operations.md, "Caching")."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import text

from app.extensions import db
from app.models import Role
from app.services.directory import choices
from tests.conftest import PASSWORD
from tests.integration.test_api import next_monday, token_for

LISTS = ["/api/v1/specialties", "/api/v1/hospitals", "/api/v1/doctors", "/api/v1/openapi.json"]


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames")
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    return {"hospital": hospital, "cardio": cardio, "doctor": doctor}


@pytest.mark.parametrize("path", LISTS + ["/api/v1/health", "/api/v1/slots?specialty=Cardiology"])
def test_an_anonymous_read_sets_no_cookie_and_keeps_the_security_headers(client, clinic, path):
    res = client.get(path)
    assert res.status_code == 200
    assert "Set-Cookie" not in res.headers
    assert "Cookie" not in res.headers.get("Vary", "")
    assert res.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in res.headers["Content-Security-Policy"]
    again = client.get(path)  # the second answer copies the headers built for the first
    assert again.headers["Content-Security-Policy"] == res.headers["Content-Security-Policy"]
    assert again.headers["Referrer-Policy"] == "same-origin"


def test_an_anonymous_read_opens_no_session_and_loads_no_identity(app, clinic):
    with app.test_request_context("/api/v1/specialties"):
        app.preprocess_request()
        assert g.anonymous_read and g.identity.id is None
    for headers, path in (({"Authorization": "Bearer x"}, "/api/v1/specialties"), ({}, "/search"),
                          ({"Cookie": f"{app.config['SESSION_COOKIE_NAME']}=x"}, "/api/v1/specialties")):
        with app.test_request_context(path, headers=headers):
            assert not g.anonymous_read


@pytest.mark.parametrize("path", LISTS + ["/api/v1/slots?specialty=Cardiology"])
def test_a_matching_etag_gets_a_bodiless_304(client, clinic, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.get_data() and first.headers["Cache-Control"] == "no-cache"
    res = client.get(path, headers={"If-None-Match": etag})
    assert res.status_code == 304 and res.get_data() == b""
    assert client.get(path, headers={"If-None-Match": '"another"'}).status_code == 200


def test_the_lists_keep_their_shape(client, clinic):
    assert client.get("/api/v1/specialties").get_json() == {
        "specialties": [{"id": clinic["cardio"].id, "name": "Cardiology"}]}
    (hospital,) = client.get("/api/v1/hospitals").get_json()["hospitals"]
    assert hospital == {"id": clinic["hospital"].id, "name": "Thames", "city": "London", "country": "GB",
                        "lat": 51.5, "lon": -0.12, "timezone": "Europe/London", "currency": "GBP"}
    (doctor,) = client.get(f"/api/v1/doctors?specialty=Cardiology&hospital={clinic['hospital'].id}").get_json()[
        "doctors"]
    assert doctor == {"id": clinic["doctor"].id, "name": "Dr Ada Heart", "specialty_id": clinic["cardio"].id,
                      "specialty": "Cardiology", "hospital_ids": [clinic["hospital"].id], "languages": ["en"],
                      "fee": "0.00"}
    assert client.get(f"/api/v1/doctors?hospital={clinic['hospital'].id + 1}").get_json() == {"doctors": []}


def test_unknown_hospital_ids_are_answered_but_never_kept(client, clinic):
    client.get("/api/v1/hospitals")
    kept = choices.kept()
    for n in range(2, 12):
        assert client.get(f"/api/v1/doctors?hospital={clinic['hospital'].id + n}").get_json() == {"doctors": []}
    assert choices.kept() == kept
    client.get(f"/api/v1/doctors?hospital={clinic['hospital'].id}")
    assert choices.kept() > kept


def test_an_admins_edit_changes_the_list_and_its_etag_at_once(client, auth, make, clinic):
    before = client.get("/api/v1/specialties")
    admin = make.user(Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    res = client.post(f"/admin/specialties/{clinic['cardio'].id}/edit", data={"name": "Heart medicine",
                                                                                 "code": "CAR"})
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    auth.logout()
    client.delete_cookie(client.application.config["SESSION_COOKIE_NAME"])
    after = client.get("/api/v1/specialties", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["specialties"][0]["name"] == "Heart medicine"
    assert after.headers["ETag"] != before.headers["ETag"]
    doctors = client.get("/api/v1/doctors").get_json()["doctors"]
    assert doctors[0]["specialty"] == "Heart medicine"


def test_a_failed_edit_leaves_the_version(app, clinic):
    choices.specialties()
    version = choices.version()[0]
    clinic["cardio"].name = "Never saved"
    db.session.flush()
    db.session.rollback()
    choices.clear()
    assert choices.version()[0] == version
    assert choices.specialties() == [(clinic["cardio"].id, "Cardiology")]


def _another_worker_renames(specialty_id: int, name: str) -> None:
    """What another gunicorn worker's edit leaves behind: the row and a new version, committed on a connection of
    its own, with none of this process's hooks running."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE specialties SET name = :name WHERE id = :id"), {"name": name, "id": specialty_id})
        conn.execute(text("UPDATE cache_versions SET version = version + 1 WHERE name = 'directory'"))


def test_another_workers_edit_is_seen_after_the_version_check(client, clinic, monkeypatch):
    first = client.get("/api/v1/specialties")
    assert first.get_json()["specialties"][0]["name"] == "Cardiology"
    _another_worker_renames(clinic["cardio"].id, "Kardiologie")
    monkeypatch.setattr(choices, "VERSION_CHECK_SECONDS", 3600.0)  # within the check interval: this copy stands
    assert client.get("/api/v1/specialties").headers["ETag"] == first.headers["ETag"]
    monkeypatch.setattr(choices, "VERSION_CHECK_SECONDS", 0.0)  # the interval has passed
    later = client.get("/api/v1/specialties", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and later.get_json()["specialties"][0]["name"] == "Kardiologie"


def test_a_users_login_does_not_bump_the_version_but_a_doctors_new_name_does(app, make, clinic, client, auth):
    choices.specialties()
    version = choices.version()[0]
    patient = make.user(Role.PATIENT)
    auth.login(patient.email, PASSWORD)
    assert choices.version()[0] == version
    clinic["doctor"].user.name = "Dr Ada Lovelace-Heart"
    db.session.commit()
    assert choices.version()[0] > version
    assert choices.doctors(specialty_id=clinic["cardio"].id) == [(clinic["doctor"].id, "Dr Ada Lovelace-Heart")]


def test_a_booking_changes_the_searchs_etag(client, runner, make, clinic):
    monday = next_monday()
    search = f"/api/v1/slots?doctor={clinic['doctor'].id}&from={monday}&to={monday}"
    before = client.get(search)
    start = f"{monday}T09:15:00+00:00"
    assert start in [s["start"] for s in before.get_json()["slots"]]
    headers = token_for(runner, make.user(Role.PATIENT).email)
    assert client.post("/api/v1/appointments", json={"doctor_id": clinic["doctor"].id, "start": start},
                       headers=headers).status_code == 201
    after = client.get(search, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and start not in [s["start"] for s in after.get_json()["slots"]]


def test_logged_in_callers_still_take_their_checks(client, runner, auth, make, clinic):
    assert client.get("/api/v1/appointments").status_code == 401
    patient = make.user(Role.PATIENT)
    headers = token_for(runner, patient.email)
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    assert client.get("/api/v1/appointments", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    auth.login(patient.email, PASSWORD)
    res = client.get("/api/v1/appointments")
    assert res.status_code == 200  # the session cookie is read: the full path
    assert "Cookie" in res.headers.get("Vary", "")
    # a session's write still needs its CSRF token (the tests' config turns the check off only for forms)
    client.application.config["WTF_CSRF_ENABLED"] = True
    try:
        monday = next_monday()
        res = client.post("/api/v1/appointments", json={"doctor_id": clinic["doctor"].id,
                                                        "start": f"{monday}T09:30:00+00:00"})
        assert res.status_code == 400
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = False


def test_the_locale_of_an_anonymous_read_comes_from_the_header(app, clinic):
    from flask_babel import get_locale

    # each in an app context of its own, as every request has: Flask-Babel keeps the locale there
    with app.app_context(), app.test_request_context("/api/v1/specialties",
                                                      headers={"Accept-Language": "de-DE,de;q=0.9"}):
        app.preprocess_request()
        assert str(get_locale()) == "de"
    with app.app_context(), app.test_request_context("/api/v1/specialties"):
        app.preprocess_request()
        assert str(get_locale()) == "en"


def test_dates_stay_valid(client, clinic):
    """A 422 of an anonymous read is still the API's error body."""
    today = date.today()
    res = client.get(f"/api/v1/slots?specialty=Cardiology&from={today}&to={today - timedelta(days=1)}")
    assert res.status_code == 422 and res.get_json()["error"] == "invalid"
    assert "Set-Cookie" not in res.headers
