"""The search form's cached directory lists follow writes in this process at once."""
from sqlalchemy import update

from app.extensions import db
from app.models import Hospital
from app.services.directory import choices


def test_a_new_hospital_appears_in_the_form_at_once(client, make):
    make.hospital(name="First Hospital", city="Leeds")
    assert "First Hospital (Leeds)" in client.get("/search").get_data(as_text=True)
    make.hospital(name="Second Hospital", city="York")  # an ORM flush clears the copy
    page = client.get("/search").get_data(as_text=True)
    assert "Second Hospital (York)" in page and ">York<" in page


def test_a_bulk_update_clears_the_copy(app, make):
    hospital = make.hospital(name="Closing Hospital", city="Hull")
    assert (hospital.id, "Closing Hospital", "Hull") in choices.hospitals()
    db.session.execute(update(Hospital).where(Hospital.id == hospital.id).values(active=False))
    db.session.commit()
    assert choices.hospitals() == [] and choices.cities() == []


def test_doctor_lists_are_kept_per_filter(app, make):
    hospital, cardiology = make.hospital(), make.specialty()
    doctor = make.doctor(hospital, cardiology, name="Dr Ada Heart")
    assert choices.doctors(specialty_id=cardiology.id) == [(doctor.id, "Dr Ada Heart")]
    assert choices.doctors(hospital_id=hospital.id) == [(doctor.id, "Dr Ada Heart")]
    assert choices.doctors(specialty_id=cardiology.id + 1) == []
