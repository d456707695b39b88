"""Admin pages over HTTP: create, edit, deactivate with an audit event each; validation; hospital scoping."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AppointmentType,
    AuditEvent,
    Department,
    Doctor,
    Equipment,
    Hospital,
    Membership,
    Patient,
    Role,
    Room,
    SchedulableResource,
    Specialty,
    User,
)

NEW_PASSWORD = "Quiet-meadow-lantern-42"


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def region_admin(make, auth):
    admin = make.user(Role.ADMIN, email="region@example.org")
    auth.login(admin.email)
    return admin


@pytest.fixture
def hospital_admin(make, auth):
    """An admin of one hospital, logged in; `other` is a hospital they do not administer."""
    own, other = make.hospital(name="Own Hospital"), make.hospital(name="Other Hospital")
    admin = make.user(Role.ADMIN, own, email="hadmin@example.org")
    auth.login(admin.email)
    return admin, own, other


HOSPITAL_FORM = dict(name="Thames Riverside Hospital", city="London", country="GB", address="1 River Road",
                     phone="+44 20 7946 0958", lat="51.5", lon="-0.12", timezone="Europe/London",
                     cancel_cutoff_hours="24", noshow_grace_minutes="30", offer_hold_minutes="15")


# --- who may enter ---

@pytest.mark.parametrize("role", [Role.PATIENT, Role.DOCTOR, Role.NURSE, Role.STAFF])
def test_non_admin_roles_are_refused(client, make, auth, role):
    hospital = make.hospital()
    user = make.user(role, None if role == Role.PATIENT else hospital)
    auth.login(user.email)
    for path in ("/admin/", "/admin/hospitals", "/admin/users", "/admin/doctors", "/admin/catalogue"):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/hospitals/new", data=HOSPITAL_FORM).status_code == 403
    assert db.session.scalar(select(func.count(Hospital.id))) == 1


def test_anonymous_is_sent_to_login(client):
    res = client.get("/admin/hospitals")
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]


def test_admin_pages_render(client, make, region_admin):
    hospital = make.hospital()
    make.doctor(hospital, make.specialty())
    for path in ("/admin/", "/admin/audit", "/admin/hospitals", "/admin/hospitals/new",
                 f"/admin/hospitals/{hospital.id}",
                 f"/admin/hospitals/{hospital.id}/edit", f"/admin/hospitals/{hospital.id}/rooms/new",
                 f"/admin/hospitals/{hospital.id}/departments/new",
                 f"/admin/hospitals/{hospital.id}/appointment-types/new", "/admin/catalogue", "/admin/specialties/new",
                 "/admin/equipment/new", "/admin/doctors", "/admin/doctors/new", "/admin/users", "/admin/users/new",
                 f"/admin/users/{region_admin.id}"):
        assert client.get(path).status_code == 200, path


# --- hospitals ---

def test_hospital_create_edit_deactivate_reactivate(client, region_admin):
    res = client.post("/admin/hospitals/new", data=HOSPITAL_FORM)
    assert res.status_code == 302
    hospital = db.session.scalar(select(Hospital).where(Hospital.name == HOSPITAL_FORM["name"]))
    assert (hospital.country, hospital.timezone, hospital.phone, hospital.lat) == ("GB", "Europe/London",
                                                                                  "+442079460958", 51.5)
    [created] = events("hospital.create")
    assert created.actor_id == region_admin.id and created.target_id == hospital.id
    assert created.hospital_id == hospital.id and created.after["name"] == HOSPITAL_FORM["name"]

    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={**HOSPITAL_FORM, "city": "Greenwich",
                                                                     "timezone": "Europe/Berlin", "phone": ""})
    assert res.status_code == 302
    hospital = fresh(hospital)
    assert (hospital.city, hospital.timezone, hospital.phone) == ("Greenwich", "Europe/Berlin", None)
    [updated] = events("hospital.update")
    assert updated.before["city"] == "London" and updated.after["city"] == "Greenwich"

    assert client.post(f"/admin/hospitals/{hospital.id}/deactivate").status_code == 302
    assert fresh(hospital).active is False
    assert events("hospital.deactivate")[0].after["active"] is False
    assert client.post(f"/admin/hospitals/{hospital.id}/reactivate").status_code == 302
    assert fresh(hospital).active is True
    assert len(events("hospital.reactivate")) == 1
    page = client.get("/admin/hospitals").get_data(as_text=True)
    assert "Thames Riverside Hospital" in page and "Europe/Berlin" in page


def test_hospital_rules_for_cutoff_noshow_and_offer_hold(client, region_admin):
    client.post("/admin/hospitals/new", data=HOSPITAL_FORM)
    hospital = db.session.scalar(select(Hospital).where(Hospital.name == HOSPITAL_FORM["name"]))
    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={
        **HOSPITAL_FORM, "cancel_cutoff_hours": "48", "noshow_grace_minutes": "20", "offer_hold_minutes": "30"})
    assert res.status_code == 302
    hospital = fresh(hospital)
    assert (hospital.cancel_cutoff_hours, hospital.noshow_grace_minutes, hospital.offer_hold_minutes) == (48, 20, 30)
    assert events("hospital.update")[0].after["cancel_cutoff_hours"] == 48
    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={**HOSPITAL_FORM, "offer_hold_minutes": "1"})
    assert res.status_code == 422 and "Number must be between 5 and 1440" in res.get_data(as_text=True)
    assert fresh(hospital).offer_hold_minutes == 30


@pytest.mark.parametrize("field, value, message", [
    ("timezone", "Europe/Londn", "IANA time zone"),
    ("timezone", "GMT+1", "IANA time zone"),
    ("country", "gb", "Two capital letters"),
    ("country", "GBR", "Two capital letters"),
    ("lat", "91", "between"),
    ("lon", "-180.5", "between"),
    ("lat", "north", "Not a valid float"),
])
def test_hospital_validation_keeps_what_was_typed(client, region_admin, field, value, message):
    res = client.post("/admin/hospitals/new", data={**HOSPITAL_FORM, field: value})
    page = res.get_data(as_text=True)
    assert res.status_code == 422
    assert message in page
    assert f'value="{value}"' in page and 'value="Thames Riverside Hospital"' in page and "1 River Road" in page
    assert db.session.scalar(select(func.count(Hospital.id))) == 0
    assert events("hospital.create") == []


def test_hospital_name_must_be_unique(client, make, region_admin):
    make.hospital(name="Thames Riverside Hospital")
    other = make.hospital(name="Elbe Klinik")
    res = client.post("/admin/hospitals/new", data={**HOSPITAL_FORM, "name": "thames riverside hospital"})
    assert res.status_code == 422
    assert "already exists" in res.get_data(as_text=True)
    assert 'value="thames riverside hospital"' in res.get_data(as_text=True)
    res = client.post(f"/admin/hospitals/{other.id}/edit", data=HOSPITAL_FORM)
    assert res.status_code == 422 and fresh(other).name == "Elbe Klinik"
    # saving a hospital under its own name is not a clash
    assert client.post(f"/admin/hospitals/{other.id}/edit", data={**HOSPITAL_FORM, "name": "Elbe Klinik"}
                       ).status_code == 302


# --- departments, rooms, appointment types ---

def test_department_create_edit_deactivate(client, make, region_admin):
    hospital, elsewhere = make.hospital(), make.hospital()
    cardiology = make.specialty()
    base = f"/admin/hospitals/{hospital.id}"
    assert client.post(f"{base}/departments/new", data={"name": "Cardiology", "specialty_id": cardiology.id}
                       ).status_code == 302
    department = db.session.scalar(select(Department).where(Department.hospital_id == hospital.id))
    assert department.specialty_id == cardiology.id
    assert events("department.create")[0].hospital_id == hospital.id

    res = client.post(f"{base}/departments/new", data={"name": "cardiology", "specialty_id": ""})
    assert res.status_code == 422 and "already has a department" in res.get_data(as_text=True)
    # the same name at another hospital is fine
    assert client.post(f"/admin/hospitals/{elsewhere.id}/departments/new", data={"name": "Cardiology"}
                       ).status_code == 302

    assert client.post(f"/admin/departments/{department.id}/edit", data={"name": "Heart centre", "specialty_id": ""}
                       ).status_code == 302
    department = fresh(department)
    assert (department.name, department.specialty_id) == ("Heart centre", None)
    assert events("department.update")[0].before["name"] == "Cardiology"
    assert client.post(f"/admin/departments/{department.id}/deactivate").status_code == 302
    assert fresh(department).active is False and len(events("department.deactivate")) == 1
    assert "Heart centre" in client.get(base).get_data(as_text=True)


def test_room_create_edit_deactivate_with_equipment(client, make, region_admin):
    hospital = make.hospital()
    ecg, xray = Equipment(code="ecg", name="ECG"), Equipment(code="xray", name="X-ray")
    department = Department(hospital_id=hospital.id, name="Imaging")
    db.session.add_all([ecg, xray, department])
    db.session.commit()
    res = client.post(f"/admin/hospitals/{hospital.id}/rooms/new", data={
        "name": "Room 1", "kind": "imaging", "floor": "2", "department_id": department.id, "bookable": "y",
        "equipment_ids": [ecg.id, xray.id]})
    assert res.status_code == 302
    room = db.session.scalar(select(Room).where(Room.hospital_id == hospital.id))
    assert (room.kind, room.floor, room.bookable, room.department_id) == ("imaging", "2", True, department.id)
    assert [e.code for e in room.equipment] == ["ecg", "xray"]
    assert events("room.create")[0].after["equipment"] == ["ecg", "xray"]

    res = client.post(f"/admin/hospitals/{hospital.id}/rooms/new", data={"name": "ROOM 1", "kind": "imaging"})
    assert res.status_code == 422 and "already has a room" in res.get_data(as_text=True)
    res = client.post(f"/admin/hospitals/{hospital.id}/rooms/new", data={"name": "Room 2", "kind": "garage"})
    assert res.status_code == 422

    assert client.get(f"/admin/rooms/{room.id}/edit").status_code == 200
    res = client.post(f"/admin/rooms/{room.id}/edit", data={"name": "Room 1", "kind": "treatment", "floor": "",
                                                           "department_id": "", "equipment_ids": [ecg.id]})
    assert res.status_code == 302
    room = fresh(room)
    assert (room.kind, room.floor, room.bookable, room.department_id) == ("treatment", None, False, None)
    assert [e.code for e in room.equipment] == ["ecg"]
    [updated] = events("room.update")
    assert updated.before["equipment"] == ["ecg", "xray"] and updated.after["equipment"] == ["ecg"]
    assert client.post(f"/admin/rooms/{room.id}/deactivate").status_code == 302
    assert fresh(room).active is False and len(events("room.deactivate")) == 1


APPOINTMENT_TYPE_FORM = dict(code="ecg_check", name="ECG check", kind="new", duration_minutes="30", fee="45.50")


def test_appointment_type_create_edit_deactivate(client, make, region_admin):
    hospital = make.hospital()
    ecg = Equipment(code="ecg", name="ECG")
    db.session.add(ecg)
    db.session.commit()
    res = client.post(f"/admin/hospitals/{hospital.id}/appointment-types/new",
                      data={**APPOINTMENT_TYPE_FORM, "equipment_ids": [ecg.id]})
    assert res.status_code == 302
    kind = db.session.scalar(select(AppointmentType).where(AppointmentType.hospital_id == hospital.id))
    assert (kind.code, kind.duration_minutes, kind.fee) == ("ecg_check", 30, Decimal("45.50"))
    assert [e.code for e in kind.equipment] == ["ecg"]
    [created] = events("appointment_type.create")
    assert created.hospital_id == hospital.id and created.after["fee"] == "45.50"

    res = client.post(f"/admin/appointment-types/{kind.id}/edit",
                      data={**APPOINTMENT_TYPE_FORM, "kind": "follow_up", "duration_minutes": "480", "fee": "0"})
    assert res.status_code == 302
    kind = fresh(kind)
    assert (kind.kind, kind.duration_minutes, kind.fee, kind.equipment) == ("follow_up", 480, Decimal("0"), [])
    assert events("appointment_type.update")[0].before["duration_minutes"] == 30
    assert client.post(f"/admin/appointment-types/{kind.id}/deactivate").status_code == 302
    assert fresh(kind).active is False and len(events("appointment_type.deactivate")) == 1


@pytest.mark.parametrize("field, value, message", [
    ("duration_minutes", "17", "multiple of 5"),
    ("duration_minutes", "0", "between 5 and 480"),
    ("duration_minutes", "485", "between 5 and 480"),
    ("duration_minutes", "half an hour", "Not a valid integer"),
    ("fee", "-1", "at least 0"),
    ("code", "ECG", "Lower-case letters"),
    ("code", "ecg-2", "Lower-case letters"),
])
def test_appointment_type_validation_keeps_what_was_typed(client, make, region_admin, field, value, message):
    hospital = make.hospital()
    res = client.post(f"/admin/hospitals/{hospital.id}/appointment-types/new",
                      data={**APPOINTMENT_TYPE_FORM, field: value})
    page = res.get_data(as_text=True)
    assert res.status_code == 422
    assert message in page and f'value="{value}"' in page and 'value="ECG check"' in page
    assert db.session.scalar(select(func.count(AppointmentType.id))) == 0


def test_appointment_type_code_unique_per_hospital(client, make, region_admin):
    hospital, elsewhere = make.hospital(), make.hospital()
    assert client.post(f"/admin/hospitals/{hospital.id}/appointment-types/new", data=APPOINTMENT_TYPE_FORM
                       ).status_code == 302
    res = client.post(f"/admin/hospitals/{hospital.id}/appointment-types/new", data=APPOINTMENT_TYPE_FORM)
    assert res.status_code == 422 and "already has an appointment type" in res.get_data(as_text=True)
    assert client.post(f"/admin/hospitals/{elsewhere.id}/appointment-types/new", data=APPOINTMENT_TYPE_FORM
                       ).status_code == 302


# --- catalogue ---

def test_specialty_create_edit_deactivate(client, make, region_admin):
    make.specialty("Cardiology", "CAR")
    assert client.post("/admin/specialties/new", data={"name": "Dermatology", "code": "DER"}).status_code == 302
    specialty = db.session.scalar(select(Specialty).where(Specialty.code == "DER"))
    assert events("specialty.create")[0].after == {"name": "Dermatology", "code": "DER", "active": True}
    for data, message in (({"name": "cardiology", "code": "XYZ"}, "name already exists"),
                          ({"name": "Oncology", "code": "CAR"}, "code already exists"),
                          ({"name": "Oncology", "code": "onc"}, "Three capital letters"),
                          ({"name": "Oncology", "code": "ONCO"}, "Three capital letters")):
        res = client.post("/admin/specialties/new", data=data)
        assert res.status_code == 422 and message in res.get_data(as_text=True), data
        assert f'value="{data["name"]}"' in res.get_data(as_text=True)
    assert client.post(f"/admin/specialties/{specialty.id}/edit", data={"name": "Skin", "code": "SKN"}
                       ).status_code == 302
    assert (fresh(specialty).name, fresh(specialty).code) == ("Skin", "SKN")
    assert events("specialty.update")[0].before["code"] == "DER"
    assert client.post(f"/admin/specialties/{specialty.id}/deactivate").status_code == 302
    assert fresh(specialty).active is False and len(events("specialty.deactivate")) == 1
    assert "Skin" in client.get("/admin/catalogue").get_data(as_text=True)


def test_equipment_create_edit(client, region_admin):
    assert client.post("/admin/equipment/new", data={"code": "ultrasound", "name": "Ultrasound"}).status_code == 302
    equipment = db.session.scalar(select(Equipment).where(Equipment.code == "ultrasound"))
    assert len(events("equipment.create")) == 1
    res = client.post("/admin/equipment/new", data={"code": "ultrasound", "name": "Another"})
    assert res.status_code == 422 and "already exists" in res.get_data(as_text=True)
    res = client.post("/admin/equipment/new", data={"code": "X-Ray", "name": "X-ray"})
    assert res.status_code == 422 and 'value="X-Ray"' in res.get_data(as_text=True)
    assert client.post(f"/admin/equipment/{equipment.id}/edit", data={"code": "doppler", "name": "Doppler ultrasound"}
                       ).status_code == 302
    assert fresh(equipment).code == "doppler"
    assert events("equipment.update")[0].before == {"code": "ultrasound", "name": "Ultrasound"}


# --- doctors ---

def _doctor_form(hospitals, specialty, **kw):
    data = dict(name="Dr Ada Lovelace", email="ada@example.org", password=NEW_PASSWORD, specialty_id=specialty.id,
                hospital_ids=[h.id for h in hospitals], qualifications="MD", languages="en, DE", fee="80",
                bio="Heart rhythm specialist.")
    data.update(kw)
    return data


def test_doctor_create_edit_deactivate(client, make, auth, region_admin):
    first, second = make.hospital(), make.hospital()
    cardiology, neurology = make.specialty(), make.specialty("Neurology", "NEU")
    res = client.post("/admin/doctors/new", data=_doctor_form([first, second], cardiology))
    assert res.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == user.id))
    assert (user.role, user.active, user.email_verified_at is not None) == ("doctor", True, True)
    assert (doctor.specialty_id, doctor.languages, doctor.fee) == (cardiology.id, "en,de", Decimal("80"))
    assert {h.id for h in doctor.hospitals} == {first.id, second.id}
    assert {(m.hospital_id, m.role) for m in user.memberships} == {(first.id, "doctor"), (second.id, "doctor")}
    assert db.session.scalar(select(SchedulableResource).where(SchedulableResource.doctor_id == doctor.id))
    [created] = events("doctor.create")
    assert created.target_id == doctor.id and created.after["hospital_ids"] == sorted([first.id, second.id])

    res = client.post(f"/admin/doctors/{doctor.id}/edit", data=_doctor_form(
        [second], neurology, name="Dr Ada King", languages="fr", fee="95.5", email=None, password=None))
    assert res.status_code == 302
    doctor = fresh(doctor)
    assert (doctor.user.name, doctor.specialty_id, doctor.languages, doctor.fee) == (
        "Dr Ada King", neurology.id, "fr", Decimal("95.50"))
    assert [h.id for h in doctor.hospitals] == [second.id]
    assert {(m.hospital_id, m.role) for m in doctor.user.memberships} == {(second.id, "doctor")}
    [updated] = events("doctor.update")
    assert updated.before["name"] == "Dr Ada Lovelace" and updated.after["name"] == "Dr Ada King"

    listing = client.get("/admin/doctors").get_data(as_text=True)
    assert "Dr Ada King" in listing and "Neurology" in listing
    assert client.post(f"/admin/doctors/{doctor.id}/deactivate").status_code == 302
    doctor = fresh(doctor)
    assert doctor.active is False and doctor.user.active is False
    assert len(events("doctor.deactivate")) == 1
    auth.logout()
    assert auth.login("ada@example.org", NEW_PASSWORD).status_code == 403  # deactivated accounts cannot log in


def test_doctor_validation(client, make, region_admin):
    hospital, specialty = make.hospital(), make.specialty()
    make.user(Role.STAFF, hospital, email="taken@example.org")
    for kw, message in (({"password": "password123"}, "too common"),
                        ({"email": "taken@example.org"}, "already exists"),
                        ({"languages": "english"}, "Two-letter language codes"),
                        ({"hospital_ids": []}, "at least one hospital"),
                        ({"fee": "-5"}, "at least 0")):
        res = client.post("/admin/doctors/new", data=_doctor_form([hospital], specialty, **kw))
        page = res.get_data(as_text=True)
        assert res.status_code == 422 and message in page, kw
        assert 'value="Dr Ada Lovelace"' in page and "Heart rhythm specialist." in page
    assert db.session.scalar(select(func.count(Doctor.id))) == 0


def test_doctor_list_filters(client, make, region_admin):
    first, second = make.hospital(), make.hospital()
    cardiology, neurology = make.specialty(), make.specialty("Neurology", "NEU")
    make.doctor(first, cardiology, name="Dr Heart")
    make.doctor(second, neurology, name="Dr Brain")
    page = client.get(f"/admin/doctors?hospital={first.id}").get_data(as_text=True)
    assert "Dr Heart" in page and "Dr Brain" not in page
    page = client.get(f"/admin/doctors?specialty={neurology.id}").get_data(as_text=True)
    assert "Dr Brain" in page and "Dr Heart" not in page


# --- users and memberships ---

def test_user_create_of_each_kind(client, make, auth, region_admin):
    hospital = make.hospital()
    data = dict(name="Sam Staff", email="sam@example.org", role="staff", password=NEW_PASSWORD)
    res = client.post("/admin/users/new", data=data)
    assert res.status_code == 422 and "at least one hospital" in res.get_data(as_text=True)
    assert 'value="sam@example.org"' in res.get_data(as_text=True)
    assert client.post("/admin/users/new", data={**data, "hospital_ids": [hospital.id]}).status_code == 302
    sam = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert (sam.role, sam.active, sam.email_verified_at is not None) == ("staff", True, True)
    assert [(m.hospital_id, m.role) for m in sam.memberships] == [(hospital.id, "staff")]
    [created] = events("user.create")
    assert created.hospital_id == hospital.id and created.after["memberships"] == [f"{hospital.id}:staff"]

    assert client.post("/admin/users/new", data=dict(name="Pat Patient", email="pat@example.org", role="patient",
                                                     password=NEW_PASSWORD)).status_code == 302
    pat = db.session.scalar(select(User).where(User.email == "pat@example.org"))
    assert db.session.scalar(select(Patient).where(Patient.user_id == pat.id)).name == "Pat Patient"

    assert client.post("/admin/users/new", data=dict(name="Dr Who", email="who@example.org", role="doctor",
                                                     password=NEW_PASSWORD, hospital_ids=[hospital.id])
                       ).status_code == 302
    who = db.session.scalar(select(User).where(User.email == "who@example.org"))
    doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == who.id))
    assert [h.id for h in doctor.hospitals] == [hospital.id]
    assert len(events("user.create")) == 3

    res = client.post("/admin/users/new", data={**data, "name": "Sam Again", "hospital_ids": [hospital.id]})
    assert res.status_code == 422 and "already exists" in res.get_data(as_text=True)
    auth.logout()
    assert auth.login("sam@example.org", NEW_PASSWORD).status_code == 302


def test_user_edit_deactivate_reactivate(client, make, auth, region_admin):
    hospital = make.hospital()
    nurse = make.user(Role.NURSE, hospital, name="Nora Nurse")
    res = client.post(f"/admin/users/{nurse.id}", data={"name": "Nora N. Nurse", "role": "staff", "active": "y"})
    assert res.status_code == 302
    nurse = fresh(nurse)
    assert (nurse.name, nurse.role, nurse.active) == ("Nora N. Nurse", "staff", True)
    [updated] = events("user.update")
    assert updated.before["role"] == "nurse" and updated.after["role"] == "staff"

    assert client.post(f"/admin/users/{nurse.id}/deactivate").status_code == 302
    assert fresh(nurse).active is False and len(events("user.deactivate")) == 1
    assert client.post(f"/admin/users/{nurse.id}/reactivate").status_code == 302
    assert fresh(nurse).active is True and len(events("user.reactivate")) == 1


def test_admin_cannot_deactivate_themself(client, region_admin):
    res = client.post(f"/admin/users/{region_admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in res.get_data(as_text=True)
    res = client.post(f"/admin/users/{region_admin.id}", data={"name": "Me", "role": "admin"})
    assert res.status_code == 422
    res = client.post(f"/admin/users/{region_admin.id}", data={"name": "Me", "role": "staff", "active": "y"})
    assert res.status_code == 422
    assert fresh(region_admin).active is True and fresh(region_admin).role == "admin"
    assert events("user.deactivate") == [] and events("user.update") == []


def test_memberships_add_and_remove(client, make, region_admin):
    first, second = make.hospital(), make.hospital()
    staff = make.user(Role.STAFF, first)
    res = client.post(f"/admin/users/{staff.id}/memberships", data={"m-hospital_id": second.id, "m-role": "nurse"})
    assert res.status_code == 302
    assert {(m.hospital_id, m.role) for m in fresh(staff).memberships} == {(first.id, "staff"), (second.id, "nurse")}
    [added] = events("membership.add")
    assert added.hospital_id == second.id and added.after["role"] == "nurse"
    res = client.post(f"/admin/users/{staff.id}/memberships", data={"m-hospital_id": second.id, "m-role": "nurse"})
    assert res.status_code == 422 and "already has this role" in res.get_data(as_text=True)

    membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id,
                                                            Membership.hospital_id == first.id))
    assert client.post(f"/admin/memberships/{membership.id}/remove").status_code == 302
    assert [(m.hospital_id, m.role) for m in fresh(staff).memberships] == [(second.id, "nurse")]
    assert events("membership.remove")[0].before["hospital_id"] == first.id
    # the last hospital of a staff member stays
    last = fresh(staff).memberships[0]
    res = client.post(f"/admin/memberships/{last.id}/remove", follow_redirects=True)
    assert "need at least one hospital" in res.get_data(as_text=True)
    assert len(fresh(staff).memberships) == 1 and len(events("membership.remove")) == 1


def test_user_list_search_filter_and_pages(client, make, region_admin):
    hospital = make.hospital()
    make.user(Role.NURSE, hospital, name="Nina Needle", email="nina@example.org")
    for n in range(30):
        make.user(Role.PATIENT, name=f"Patient {n:02d}")
    page = client.get("/admin/users?q=NEEDLE").get_data(as_text=True)
    assert "nina@example.org" in page and "Patient 01" not in page
    page = client.get("/admin/users?role=nurse").get_data(as_text=True)
    assert "Nina Needle" in page and "Patient 01" not in page
    assert '<option value="nurse" selected>' in page
    assert " selected>" not in client.get("/admin/users").get_data(as_text=True)
    first = client.get("/admin/users?role=patient").get_data(as_text=True)
    second = client.get("/admin/users?role=patient&page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Patient 00" in first and "Patient 29" not in first
    assert "Patient 29" in second


# --- hospital admins ---

def test_hospital_admin_sees_only_their_hospitals(client, make, hospital_admin):
    admin, own, other = hospital_admin
    listing = client.get("/admin/hospitals").get_data(as_text=True)
    assert "Own Hospital" in listing and "Other Hospital" not in listing and "New hospital" not in listing
    assert client.get(f"/admin/hospitals/{own.id}").status_code == 200
    assert client.get(f"/admin/hospitals/{other.id}").status_code == 404
    assert client.get(f"/admin/hospitals/{other.id}/edit").status_code == 404
    assert client.post(f"/admin/hospitals/{other.id}/edit", data=HOSPITAL_FORM).status_code == 404
    assert client.post(f"/admin/hospitals/{other.id}/deactivate").status_code == 404
    assert client.post(f"/admin/hospitals/{other.id}/departments/new", data={"name": "X"}).status_code == 404
    department = Department(hospital_id=other.id, name="Theirs")
    room = Room(hospital_id=other.id, name="Their room")
    kind = AppointmentType(hospital_id=other.id, code="theirs", name="Theirs")
    db.session.add_all([department, room, kind])
    db.session.commit()
    assert client.get(f"/admin/departments/{department.id}/edit").status_code == 404
    assert client.post(f"/admin/rooms/{room.id}/deactivate").status_code == 404
    assert client.get(f"/admin/appointment-types/{kind.id}/edit").status_code == 404
    assert fresh(room).active is True

    # their own hospital they manage
    res = client.post(f"/admin/hospitals/{own.id}/edit", data={**HOSPITAL_FORM, "name": "Own Hospital"})
    assert res.status_code == 302 and fresh(own).city == "London"
    assert client.post(f"/admin/hospitals/{own.id}/departments/new", data={"name": "Ours"}).status_code == 302
    assert events("department.create")[0].hospital_id == own.id


def test_hospital_admin_may_not_create_region_records(client, make, hospital_admin):
    specialty = make.specialty()
    assert client.get("/admin/hospitals/new").status_code == 403
    assert client.post("/admin/hospitals/new", data=HOSPITAL_FORM).status_code == 403
    assert client.post("/admin/specialties/new", data={"name": "Dermatology", "code": "DER"}).status_code == 403
    assert client.post(f"/admin/specialties/{specialty.id}/deactivate").status_code == 403
    assert client.post("/admin/equipment/new", data={"code": "ecg", "name": "ECG"}).status_code == 403
    assert client.get("/admin/catalogue").status_code == 200
    assert db.session.scalar(select(func.count(Hospital.id))) == 2
    assert db.session.scalar(select(func.count(Equipment.id))) == 0


def test_hospital_admin_people_scope(client, make, hospital_admin):
    admin, own, other = hospital_admin
    specialty = make.specialty()
    ours = make.doctor(own, specialty, name="Dr Ours")
    theirs = make.doctor(other, specialty, name="Dr Theirs")
    shared = make.doctor(other, specialty, name="Dr Shared")
    shared.hospitals.append(own)
    db.session.add(Membership(user_id=shared.user_id, hospital_id=own.id, role="doctor"))
    db.session.commit()
    listing = client.get("/admin/doctors").get_data(as_text=True)
    assert "Dr Ours" in listing and "Dr Shared" in listing and "Dr Theirs" not in listing
    assert client.get(f"/admin/doctors/{theirs.id}/edit").status_code == 404
    assert client.post(f"/admin/doctors/{theirs.id}/deactivate").status_code == 404
    assert client.get(f"/admin/users/{theirs.user_id}").status_code == 404
    assert client.get(f"/admin/users/{ours.user_id}").status_code == 200

    # editing a shared doctor keeps their place at the hospital this admin does not administer
    res = client.post(f"/admin/doctors/{shared.id}/edit", data=_doctor_form(
        [own], specialty, name="Dr Shared", email=None, password=None))
    assert res.status_code == 302
    assert {h.id for h in fresh(shared).hospitals} == {own.id, other.id}

    # a doctor may be created only at their own hospitals
    res = client.post("/admin/doctors/new", data=_doctor_form([other], specialty))
    assert res.status_code == 422 and db.session.scalar(select(func.count(Doctor.id))) == 3
    assert client.post("/admin/doctors/new", data=_doctor_form([own], specialty)).status_code == 302

    # memberships only in their own hospitals; no patients or region admins
    staff = make.user(Role.STAFF, own)
    res = client.post(f"/admin/users/{staff.id}/memberships", data={"m-hospital_id": other.id, "m-role": "staff"})
    assert res.status_code == 422 and len(fresh(staff).memberships) == 1
    base = dict(name="New Person", email="new@example.org", password=NEW_PASSWORD)
    assert client.post("/admin/users/new", data={**base, "role": "patient"}).status_code == 422
    assert client.post("/admin/users/new", data={**base, "role": "admin"}).status_code == 422
    assert client.post("/admin/users/new", data={**base, "role": "staff", "hospital_ids": [own.id]}
                       ).status_code == 302
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "new@example.org" in listing and "Dr Theirs" not in listing


def test_hospital_admin_cannot_become_region_admin(client, make, hospital_admin):
    admin, own, other = hospital_admin
    [membership] = admin.memberships
    res = client.post(f"/admin/memberships/{membership.id}/remove", follow_redirects=True)
    assert "administer the whole region" in res.get_data(as_text=True)
    assert len(fresh(admin).memberships) == 1


def test_audit_log_lists_admin_events(client, make, region_admin):
    client.post("/admin/hospitals/new", data=HOSPITAL_FORM)
    page = client.get("/admin/audit?q=hospital.create").get_data(as_text=True)
    assert "hospital.create" in page and "region@example.org" in page
    assert client.get("/admin/").status_code == 200

