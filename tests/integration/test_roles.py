"""Every role has a home page; blueprints refuse other roles; hospital scoping answers 404."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Patient, Role
from tests.conftest import PASSWORD

HOMES = {Role.PATIENT: "/patient/", Role.DOCTOR: "/doctor/", Role.NURSE: "/nurse/", Role.STAFF: "/staff/",
         Role.ADMIN: "/admin/"}


def _user(make, role, hospital):
    if role == Role.DOCTOR:
        return make.doctor(hospital, make.specialty()).user
    return make.user(role, hospital if role in (Role.NURSE, Role.STAFF) else None)


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_lands_on_its_home(client, auth, make, role):
    hospital = make.hospital(name="Leeds Valley Infirmary")
    user = _user(make, role, hospital)
    res = auth.login(user.email)
    assert res.status_code == 302 and res.headers["Location"].endswith(HOMES[role])
    page = client.get(HOMES[role])
    assert page.status_code == 200
    for other_role, url in HOMES.items():
        if other_role != role:
            assert client.get(url).status_code == 403, (role, url)


def test_anonymous_is_sent_to_login(client):
    res = client.get("/staff/")
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]


def test_home_pages_show_the_users_hospital(client, auth, make):
    hospital = make.hospital(name="Leeds Valley Infirmary")
    for role in (Role.NURSE, Role.STAFF):
        user = make.user(role, hospital)
        auth.login(user.email)
        assert b"Leeds Valley Infirmary" in client.get(HOMES[role]).data
        auth.logout()


def test_staff_see_only_their_hospitals_appointments(client, auth, make):
    from datetime import timedelta

    from app.extensions import db
    from app.models import Appointment
    from app.models.base import utcnow

    mine, other = make.hospital(name="Mine"), make.hospital(name="Other")
    doctor = make.doctor(other, make.specialty())
    patient_user = make.user(Role.PATIENT)
    from sqlalchemy import select

    from app.models import Patient
    patient = db.session.scalar(select(Patient).where(Patient.user_id == patient_user.id))
    start = utcnow() + timedelta(days=1)
    db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=other.id,
                               start=start, end=start + timedelta(minutes=15)))
    db.session.commit()
    staff = make.user(Role.STAFF, mine)
    auth.login(staff.email)
    # a patient tied only to the other hospital is not ours to read (issue #11, part 6: docs/security.md)
    assert client.get(f"/staff/patients/{patient.id}").status_code == 404
    patient.registered_hospital_id = mine.id  # registered by our desk: ours now, the other's visits stay hidden
    db.session.commit()
    page = client.get(f"/staff/patients/{patient.id}").data
    assert b"No appointments at your hospitals" in page
    assert client.get("/staff/patients/999999").status_code == 404


def test_error_pages_have_no_stack_trace(client, app):
    res = client.get("/no/such/page")
    assert res.status_code == 404 and b"Traceback" not in res.data and b"could not find" in res.data
    res = client.get("/api/v1/nothing", headers={"Accept": "application/json"})
    assert res.status_code == 404 and res.get_json()["error"]


def test_language_switch_to_german(client, make):
    make.hospital()
    client.post("/auth/language/de", data={"next": "/"})
    page = client.get("/").data.decode()
    assert '<html lang="de">' in page


def test_staff_find_and_register_patient(client, auth, make):
    hospital = make.hospital()
    staff = make.user(Role.STAFF, hospital)
    grace = make.user(Role.PATIENT, name="Grace Hopper", phone="+447911123456")
    auth.login(staff.email, PASSWORD)
    assert b"Grace Hopper" not in client.get("/staff/patients?q=hopper").data  # no tie to this hospital yet
    db.session.scalar(select(Patient).where(Patient.user_id == grace.id)).registered_hospital_id = hospital.id
    db.session.commit()  # registered here: the desk's own patient (issue #11, part 6)
    assert b"Grace Hopper" in client.get("/staff/patients?q=hopper").data
    assert b"Grace Hopper" in client.get("/staff/patients?q=7911123").data
    assert b"Grace Hopper" in client.get("/staff/patients?q=1980-01-01").data
    res = client.post("/staff/patients/new", data={"name": "Walk In", "phone": "12"})
    assert res.status_code == 422 and b'value="Walk In"' in res.data
    res = client.post("/staff/patients/new", data={"name": "Walk In", "phone": "+44 7911 123457"})
    assert res.status_code == 302
    assert b"Walk In" in client.get(res.headers["Location"]).data
