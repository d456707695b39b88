"""The overbooking rules editor (docs/overbooking.md): field errors from the core, hospital scoping, 404s."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OverbookRule, Role
from app.services import overbooking


def _rules() -> list[tuple]:
    db.session.expire_all()
    return [(r.doctor_id, r.appointment_type, r.max_extra) for r in db.session.scalars(select(OverbookRule))]


def test_region_admin_sets_the_default_and_sees_field_errors(client, make, auth):
    admin = make.user(Role.ADMIN, email="region@example.org")
    auth.login(admin.email)
    page = client.get("/admin/overbooking/new")
    assert page.status_code == 200 and b"Region default" in page.data
    res = client.post("/admin/overbooking/new", data={"doctor_id": "0", "max_extra": "-2", "alpha": "0.5",
                                                       "low_risk": "0.1"})
    assert res.status_code == 422 and b"cannot be negative" in res.data and _rules() == []
    res = client.post("/admin/overbooking/new", data={"doctor_id": "0", "max_extra": "500", "alpha": "0.5",
                                                       "low_risk": "0.1"})
    assert res.status_code == 422 and b"At most 10 extra bookings" in res.data
    res = client.post("/admin/overbooking/new", data={"doctor_id": "0", "max_extra": "2", "alpha": "0.5",
                                                       "low_risk": "0.1"})
    assert res.status_code == 302 and _rules() == [(None, None, 2)]
    listing = client.get("/admin/overbooking")
    assert b"Region default" in listing.data and b"table-stack" in listing.data


def test_hospital_admin_edits_only_their_doctors(client, make, auth):
    own, other = make.hospital(name="Own Hospital"), make.hospital(name="Other Hospital")
    specialty = make.specialty()
    mine, theirs = make.doctor(own, specialty, name="Dr Mine"), make.doctor(other, specialty, name="Dr Theirs")
    foreign = overbooking.put_rule(None, theirs.id, None, max_extra=1, alpha=0.0, low_risk=0.1)
    db.session.commit()
    admin = make.user(Role.ADMIN, own, email="hadmin@example.org")
    auth.login(admin.email)
    form = client.get("/admin/overbooking/new").data
    assert b"Dr Mine" in form and b"Dr Theirs" not in form and b"Region default" not in form
    for doctor_id in (theirs.id, 0):  # a forged choice: another hospital's doctor, the region's default
        res = client.post("/admin/overbooking/new", data={"doctor_id": str(doctor_id), "max_extra": "1",
                                                           "alpha": "0", "low_risk": "0.1"})
        assert res.status_code == 422 and b"Not a valid choice" in res.data
    res = client.post("/admin/overbooking/new", data={"doctor_id": str(mine.id), "appointment_type": "follow_up",
                                                       "max_extra": "3", "alpha": "1", "low_risk": "0.2"})
    assert res.status_code == 302
    assert sorted(_rules(), key=str) == sorted([(theirs.id, None, 1), (mine.id, "follow_up", 3)], key=str)
    listing = client.get("/admin/overbooking").data
    assert b"Dr Mine" in listing and b"Dr Theirs" not in listing
    assert client.post(f"/admin/overbooking/{foreign.id}/delete").status_code == 404
    assert (theirs.id, None, 1) in _rules()
