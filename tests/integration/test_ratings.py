"""Ratings (docs/ratings.md): a patient rates the doctor of their own completed visit once, a hospital's admins
moderate, the approved average reaches search (pages and the cached API answer), and the doctor's feedback on a
visit stays with that hospital's clinical staff and the patient's own export. Attacker cases included."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Appointment, Doctor, DoctorRating, Role, User, VisitFeedback
from app.models.base import utcnow
from app.services import ratings
from app.transaction import transaction
from tests.conftest import PASSWORD
from tests.integration.racing import race
from tests.integration.test_api import next_monday, token_for

SCRIPT = "<script>alert('x')</script> Kind and clear"


def _visit(patient, doctor, hospital, *, status="completed", days_ago=3) -> Appointment:
    start = (utcnow() - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0, microsecond=0)
    appointment = Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                              end=start + timedelta(minutes=15), status=status)
    db.session.add(appointment)
    db.session.commit()
    return appointment


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    other = make.hospital(name="Spree Hospital")
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty, name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    patient = make.patient(name="Grace Hopper")
    return {"hospital": hospital, "other": other, "specialty": specialty, "doctor": doctor, "patient": patient,
            "visit": _visit(patient, doctor, hospital),
            "admin": make.user(Role.ADMIN, hospital), "other_admin": make.user(Role.ADMIN, other)}


def _rate_api(client, headers, appointment_id, stars=4, review=None):
    body = {"appointment_id": appointment_id, "stars": stars}
    if review is not None:
        body["review"] = review
    return client.post("/api/v1/ratings", json=body, headers=headers)


def test_patient_rates_on_the_page_admin_approves_review_shows_escaped(client, auth, clinic):
    c = clinic
    auth.login(c["patient"].user.email)
    home = client.get("/patient/").get_data(as_text=True)
    assert f"/patient/appointments/{c['visit'].id}/rate" in home
    form = client.get(f"/patient/appointments/{c['visit'].id}/rate")
    assert form.status_code == 200
    sent = client.post(f"/patient/appointments/{c['visit'].id}/rate", data={"stars": "4", "review": SCRIPT})
    assert sent.status_code == 302
    rating = db.session.scalar(select(DoctorRating))
    assert (rating.stars, rating.review, rating.status) == (4, SCRIPT, "pending")
    assert f"/patient/appointments/{c['visit'].id}/rate" not in client.get("/patient/").get_data(as_text=True)
    # a second rating of the same visit is refused, on the page too
    again = client.post(f"/patient/appointments/{c['visit'].id}/rate", data={"stars": "1", "review": "again"})
    assert again.status_code == 302 and db.session.scalar(select(DoctorRating.stars)) == 4

    page = client.get(f"/doctors/{c['doctor'].id}").get_data(as_text=True)
    assert "Kind and clear" not in page  # pending: nobody else sees it yet

    auth.logout()
    auth.login(c["admin"].email)
    queue = client.get("/admin/ratings").get_data(as_text=True)
    assert "&lt;script&gt;" in queue and "<script>alert" not in queue
    assert client.post(f"/admin/ratings/{rating.id}", data={"decision": "approved"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DoctorRating, rating.id).status == "approved"
    doctor = db.session.get(Doctor, c["doctor"].id)
    assert (doctor.rating_count, doctor.rating_total) == (1, 4)

    page = client.get(f"/doctors/{c['doctor'].id}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page and "4.0 of 5 (1 rating)" in page
    first = next_monday()
    search = client.get(f"/search?specialty={c['specialty'].id}&from={first}").get_data(as_text=True)
    assert "4.0 of 5 (1 rating)" in search


def test_api_rating_refusals(client, runner, make, clinic):
    c = clinic
    headers = token_for(runner, c["patient"].user.email)
    assert client.post("/api/v1/ratings", json={"appointment_id": c["visit"].id, "stars": 5}).status_code == 401

    # bad bodies: stars out of range, as text, a review too long or with control characters
    for body in ({"appointment_id": c["visit"].id, "stars": 6}, {"appointment_id": c["visit"].id, "stars": "5"},
                 {"appointment_id": c["visit"].id, "stars": 5, "review": "x" * (ratings.MAX_REVIEW + 1)},
                 {"appointment_id": c["visit"].id, "stars": 5, "review": "evil\u202etxt.exe"},
                 {"appointment_id": c["visit"].id}):
        res = client.post("/api/v1/ratings", json=body, headers=headers)
        assert res.status_code == 422, body
        assert res.get_json()["fields"]
    assert db.session.scalar(select(DoctorRating)) is None  # nothing half-written

    # someone else's visit looks absent; a staff account may not rate at all
    stranger = make.patient()
    assert _rate_api(client, token_for(runner, stranger.user.email), c["visit"].id).status_code == 404
    desk = make.user(Role.STAFF, c["hospital"])
    assert _rate_api(client, token_for(runner, desk.email), c["visit"].id).status_code == 403
    doctor_headers = token_for(runner, c["doctor"].user.email)
    assert _rate_api(client, doctor_headers, c["visit"].id).status_code == 403
    assert _rate_api(client, headers, 987654).status_code == 404

    # a visit not completed (still to come, cancelled, no-show) cannot be rated
    for status in ("scheduled", "cancelled", "no_show"):
        other = _visit(c["patient"], c["doctor"], c["hospital"], status=status, days_ago=-2 if status == "scheduled"
                       else 5)
        res = _rate_api(client, headers, other.id)
        assert res.status_code == 409 and res.get_json()["error"] == "not_completed", status

    created = _rate_api(client, headers, c["visit"].id, 5, SCRIPT)
    assert created.status_code == 201
    body = created.get_json()
    assert (body["stars"], body["status"], body["review"]) == (5, "pending", SCRIPT)
    twice = _rate_api(client, headers, c["visit"].id, 1)
    assert twice.status_code == 409 and twice.get_json()["error"] == "already_rated"
    assert db.session.scalar(select(DoctorRating.stars)) == 5


def test_moderation_is_the_hospitals_admins_and_keeps_the_aggregate(client, auth, make, clinic):
    c = clinic
    rating = ratings.rate(c["patient"].user, c["visit"], 2, "Late and rushed")
    db.session.commit()

    # another hospital's admin sees nothing and cannot decide; nor can a region admin, staff, or the doctor
    auth.login(c["other_admin"].email)
    assert "Late and rushed" not in client.get("/admin/ratings").get_data(as_text=True)
    assert client.post(f"/admin/ratings/{rating.id}", data={"decision": "approved"}).status_code == 404
    auth.logout()
    region = make.user(Role.ADMIN)
    assert not ratings.policy.may_moderate(region, c["hospital"].id)
    assert not ratings.policy.may_moderate(make.user(Role.STAFF, c["hospital"]), c["hospital"].id)
    with pytest.raises(ratings.RatingError) as refused:
        ratings.moderate(c["doctor"].user, rating, "approved", None)
    assert refused.value.status == 404
    db.session.rollback()
    assert db.session.get(DoctorRating, rating.id).status == "pending"

    auth.login(c["admin"].email)
    # hiding needs a reason
    client.post(f"/admin/ratings/{rating.id}", data={"decision": "hidden", "reason": ""})
    db.session.expire_all()
    assert db.session.get(DoctorRating, rating.id).status == "pending"
    client.post(f"/admin/ratings/{rating.id}", data={"decision": "approved"})
    db.session.expire_all()
    assert (db.session.get(Doctor, c["doctor"].id).rating_count,
            db.session.get(Doctor, c["doctor"].id).rating_total) == (1, 2)
    client.post(f"/admin/ratings/{rating.id}", data={"decision": "hidden", "reason": "Names a nurse"})
    db.session.expire_all()
    hidden = db.session.get(DoctorRating, rating.id)
    assert (hidden.status, hidden.moderation_reason, hidden.moderated_by_id) == ("hidden", "Names a nurse",
                                                                                 c["admin"].id)
    doctor = db.session.get(Doctor, c["doctor"].id)
    assert (doctor.rating_count, doctor.rating_total, doctor.rating_average) == (0, 0, None)
    assert "Late and rushed" not in client.get(f"/doctors/{c['doctor'].id}").get_data(as_text=True)
    # two admins approve the rating they both saw hidden: the second finds it changed, the count stays right
    stale = db.session.get(DoctorRating, rating.id)
    db.session.expunge(stale)  # the second admin's copy, still "hidden"
    ratings.moderate(c["admin"], db.session.get(DoctorRating, rating.id), "approved", None)
    db.session.commit()
    with pytest.raises(ratings.RatingError) as conflict:
        ratings.moderate(c["admin"], stale, "approved", None)
    assert conflict.value.status == 409
    db.session.rollback()
    assert db.session.get(Doctor, c["doctor"].id).rating_count == 1


def test_an_approved_rating_reaches_the_cached_search_answer(client, clinic):
    c = clinic
    first = next_monday()
    url = f"/api/v1/slots?specialty={c['specialty'].id}&from={first}&to={first + timedelta(days=1)}&limit=5"
    before = client.get(url).get_json()["slots"]
    assert before and all(s["doctor_rating_count"] == 0 and s["doctor_rating_average"] is None for s in before)
    assert client.get(url).get_json()["slots"] == before  # kept by the answer cache

    rating = ratings.rate(c["patient"].user, c["visit"], 5, None)
    db.session.commit()
    assert client.get(url).get_json()["slots"] == before  # pending: not counted
    ratings.moderate(c["admin"], rating, "approved", None)
    db.session.commit()
    after = client.get(url).get_json()["slots"]
    assert {(s["doctor_rating_average"], s["doctor_rating_count"]) for s in after} == {(5.0, 1)}

    reviews = client.get(f"/api/v1/doctors/{c['doctor'].id}/reviews").get_json()
    assert (reviews["average"], reviews["count"], [r["stars"] for r in reviews["reviews"]]) == (5.0, 1, [5])
    assert client.get("/api/v1/doctors/987654/reviews").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/ratings" in spec["paths"] and "/api/v1/doctors/{doctor_id}/reviews" in spec["paths"]


def test_doctor_feedback_stays_with_the_hospitals_clinical_staff(client, auth, make, clinic):
    c = clinic
    auth.login(c["doctor"].user.email)
    url = f"/doctor/visits/{c['visit'].id}/feedback"
    assert client.get(url).status_code == 200
    sent = client.post(url, data={"punctuality": "2", "preparation": "5", "note": "Came <b>20 min</b> late"})
    assert sent.status_code == 302
    row = db.session.scalar(select(VisitFeedback))
    assert (row.punctuality, row.preparation, row.note) == (2, 5, "Came <b>20 min</b> late")
    shown = client.get(url).get_data(as_text=True)
    assert "Came &lt;b&gt;20 min&lt;/b&gt; late" in shown and "<form" not in shown.split('id="visit-feedback"')[1]
    with pytest.raises(ratings.RatingError) as twice:
        ratings.give_feedback(c["doctor"].user, c["visit"], 1, 1, "again")
    assert twice.value.status == 409
    db.session.rollback()
    auth.logout()

    # another doctor, even at the same hospital, cannot give it; a visit still to come cannot be rated
    colleague = make.doctor(c["hospital"], c["specialty"], name="Dr Bo Lung")
    auth.login(colleague.user.email)
    assert client.get(url).status_code == 404
    auth.logout()
    upcoming = _visit(c["patient"], c["doctor"], c["hospital"], status="scheduled", days_ago=-2)
    with pytest.raises(ratings.RatingError) as early:
        ratings.give_feedback(c["doctor"].user, upcoming, 3, 3, None)
    assert early.value.status == 409
    db.session.rollback()

    nurse = make.user(Role.NURSE, c["hospital"])
    assert ratings.feedback_for_staff(nurse, c["visit"]).note.startswith("Came")
    assert ratings.feedback_for_staff(colleague.user, c["visit"]) is not None
    for outsider in (make.user(Role.NURSE, c["other"]), make.user(Role.STAFF, c["hospital"]), c["admin"],
                     c["other_admin"], c["patient"].user):
        assert ratings.feedback_for_staff(outsider, c["visit"]) is None, outsider.role
    # the consult's past visits show it where the viewer works, and only there
    assert set(ratings.visible_feedback(nurse, [c["visit"].id, None])) == {c["visit"].id}
    assert ratings.visible_feedback(make.user(Role.NURSE, c["other"]), [c["visit"].id]) == {}

    # never in search or on public pages
    first = next_monday()
    for page in (f"/search?specialty={c['specialty'].id}&from={first}", f"/doctors/{c['doctor'].id}",
                 f"/api/v1/slots?specialty={c['specialty'].id}&from={first}&limit=5",
                 f"/api/v1/doctors/{c['doctor'].id}/reviews"):
        text = client.get(page).get_data(as_text=True)
        assert "20 min" not in text and "punctuality" not in text.lower(), page

    # the patient sees what was recorded about them in their data export
    auth.login(c["patient"].user.email)
    export = json.loads(client.get("/patient/export").get_data(as_text=True))
    assert export["visit_feedback_about_me"] == [
        {"appointment_id": c["visit"].id, "doctor": "Dr Ada Heart", "punctuality": 2, "preparation": 5,
         "note": "Came <b>20 min</b> late", "created_at": row.created_at.isoformat()}]


def test_erasure_redacts_the_review_text(client, auth, clinic):
    c = clinic
    rating = ratings.rate(c["patient"].user, c["visit"], 3, "Grace Hopper here: fine")
    db.session.commit()
    auth.login(c["patient"].user.email)
    export = json.loads(client.get("/patient/export").get_data(as_text=True))
    assert export["ratings_given"][0]["review"] == "Grace Hopper here: fine"
    assert client.post("/patient/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    db.session.expire_all()
    kept = db.session.get(DoctorRating, rating.id)
    assert (kept.stars, kept.review) == (3, None)


def test_two_racing_ratings_of_one_visit_one_wins(app, clinic):
    """Both requests pass the "not rated yet" check; the unique appointment id lets exactly one insert stand."""
    user_id, appointment_id = clinic["patient"].user.id, clinic["visit"].id

    def attempt(i: int) -> str:
        try:
            with transaction():
                ratings.rate(db.session.get(User, user_id), db.session.get(Appointment, appointment_id), i + 1,
                             None)
        except IntegrityError:
            return "duplicate"
        except ratings.RatingError as err:
            return err.code
        return "ok"

    results, errors = race(app, attempt, 2)
    assert not errors
    db.session.rollback()  # a fresh snapshot: MariaDB's repeatable read would show the table as before the race
    assert sorted(results)[1:] == ["ok"] and sorted(results)[0] in ("already_rated", "duplicate")
    assert len(db.session.scalars(select(DoctorRating).where(DoctorRating.appointment_id == appointment_id)).all()) == 1


def test_the_rating_pages_speak_german(client, auth, clinic):
    c = clinic
    rating = ratings.rate(c["patient"].user, c["visit"], 4, None)
    ratings.moderate(c["admin"], rating, "approved", None)
    db.session.commit()
    german = {"Accept-Language": "de"}
    page = client.get(f"/doctors/{c['doctor'].id}", headers=german).get_data(as_text=True)
    assert "Bewertungen von Patientinnen und Patienten" in page and "4.0 von 5 (1 Bewertung)" in page
    c["admin"].language = "de"  # a logged-in user's pages follow their own setting
    db.session.commit()
    auth.login(c["admin"].email)
    assert "Zu prüfende Rezensionen" in client.get("/admin/ratings", headers=german).get_data(as_text=True)
