"""The online cut-off is one rule for every way in: the patient's page, the manage link and the API refuse a
change inside it the same way (409, `cutoff_passed` on the API); staff may still change (docs/api.md)."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Appointment, Role
from app.models.base import utcnow
from app.notifications.events import manage_token
from app.services import booking
from tests.conftest import PASSWORD


@pytest.fixture
def soon(make):
    """A patient's appointment a few hours from now, inside the hospital's 72-hour online cut-off."""
    hospital = make.hospital(timezone="UTC", cancel_cutoff_hours=72)
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, start="00:00", end="23:45")
    patient = make.patient()
    start = (utcnow() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    appointment = booking.book(None, patient, doctor, start)
    db.session.commit()
    return appointment, patient, hospital


def bearer(runner, email: str) -> dict:
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def still_scheduled(appointment) -> bool:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id).status == "scheduled"


def test_api_refuses_a_patient_cancel_or_move_inside_the_cutoff(client, runner, soon):
    appointment, patient, _ = soon
    headers = bearer(runner, patient.user.email)
    res = client.post(f"/api/v1/appointments/{appointment.id}/cancel", json={"reason": "x"}, headers=headers)
    assert res.status_code == 409 and res.get_json()["error"] == "cutoff_passed"
    later = (appointment.start + timedelta(days=1)).isoformat() + "+00:00"
    res = client.post(f"/api/v1/appointments/{appointment.id}/reschedule", json={"start": later}, headers=headers)
    assert res.status_code == 409 and res.get_json()["error"] == "cutoff_passed"
    assert still_scheduled(appointment)


def test_page_and_manage_link_refuse_the_same_change(client, soon):
    appointment, patient, _ = soon
    client.post("/auth/login", data={"email": patient.user.email, "password": PASSWORD})
    res = client.post(f"/patient/appointments/{appointment.id}/cancel", data={"reason": "x"})
    assert res.status_code == 409
    client.get("/auth/logout")
    res = client.post(f"/manage/{manage_token(appointment)}/cancel", data={"reason": "x"})
    assert res.status_code == 409
    assert still_scheduled(appointment)


def test_staff_may_still_cancel_inside_the_cutoff(client, runner, make, soon):
    appointment, _, hospital = soon
    clerk = make.user(Role.STAFF, hospital=hospital)
    res = client.post(f"/api/v1/appointments/{appointment.id}/cancel", json={"reason": "patient phoned"},
                      headers=bearer(runner, clerk.email))
    assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
