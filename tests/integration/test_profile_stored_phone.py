"""A profile form never blocks on an untouched stored value (issue #13, part 2): a stored phone number that fails
today's check is shown as a warning and kept while the rest saves; a number the user typed is checked in full."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Patient, Role

DRAMA = "+447700900123"  # Ofcom's drama range: phonenumbers calls it invalid (the old demo's numbers)
VALID = "+447400123456"
FORM = {"name": "Ada Patient", "language": "en", "sex": "", "blood_type": "", "notify_email": "y"}


def _patient(user) -> Patient:
    db.session.expire_all()
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


def _stored_invalid(make, **extra):
    user = make.user(Role.PATIENT, phone=DRAMA)
    patient = _patient(user)
    for name, value in extra.items():
        setattr(patient, name, value)
    db.session.commit()
    return user


def test_the_profile_page_warns_about_a_stored_invalid_phone(client, auth, make):
    user = _stored_invalid(make)
    auth.login(user.email)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "not a valid phone number" in page and "Kept as stored until you change it." in page
    assert 'aria-describedby="phone-help phone-warning"' in page and "is-invalid" not in page


def test_other_fields_save_when_the_stored_phone_is_untouched(client, auth, make):
    user = _stored_invalid(make, emergency_contact_phone="+4915000", notify_sms=True)
    auth.login(user.email)
    res = client.post("/auth/profile", data={**FORM, "name": "Ada Lovelace", "address": "1 New Street",
                                             "phone": DRAMA, "emergency_contact_phone": "+4915000",
                                             "notify_sms": "y"})
    assert res.status_code == 302, res.get_data(as_text=True)
    patient = _patient(user)
    assert (patient.name, patient.address) == ("Ada Lovelace", "1 New Street")
    assert (patient.phone, patient.emergency_contact_phone, patient.notify_sms) == (DRAMA, "+4915000", True)
    # spaces around the stored value are not a change either
    res = client.post("/auth/profile", data={**FORM, "phone": f" {DRAMA} ", "emergency_contact_phone": "+4915000",
                                             "notify_sms": "y"})
    assert res.status_code == 302


def test_an_invalid_phone_the_user_typed_is_still_refused(client, auth, make):
    user = _stored_invalid(make)
    auth.login(user.email)
    for typed in ("+447700900999", "0123", "+44 phone"):
        res = client.post("/auth/profile", data={**FORM, "name": "Changed", "phone": typed})
        assert res.status_code == 422, typed
        page = res.get_data(as_text=True)
        assert "is-invalid" in page and "Kept as stored" not in page
    res = client.post("/auth/profile", data={**FORM, "name": "Changed", "phone": DRAMA,
                                             "emergency_contact_phone": "12ab"})
    assert res.status_code == 422
    patient = _patient(user)
    assert patient.name != "Changed" and patient.phone == DRAMA and patient.emergency_contact_phone is None


def test_turning_sms_on_with_an_untouched_invalid_phone_is_refused(client, auth, make):
    user = _stored_invalid(make, notify_sms=False)
    auth.login(user.email)
    res = client.post("/auth/profile", data={**FORM, "phone": DRAMA, "notify_sms": "y"})
    assert res.status_code == 422 and b"valid mobile phone number" in res.data
    assert _patient(user).notify_sms is False


def test_correcting_the_stored_phone_saves_it_normalised(client, auth, make):
    user = _stored_invalid(make)
    auth.login(user.email)
    res = client.post("/auth/profile", data={**FORM, "phone": "+44 7400 123456", "notify_sms": "y"})
    assert res.status_code == 302
    patient = _patient(user)
    assert (patient.phone, patient.notify_sms) == (VALID, True)
    assert "Kept as stored" not in client.get("/auth/profile").get_data(as_text=True)
