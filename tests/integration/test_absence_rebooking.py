"""A doctor absent (issue #16, part 3), end to end on the real database: the desk adds leave over a booked day,
lands on the optimiser's proposal, sends it; the patient gets the new time by e-mail with the signed link; accepting
moves the appointment (once only), and nothing moves before."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, AvailabilityException, Offer, Role
from app.models.base import utcnow
from app.notifications.outbox import deliver_pending
from app.scheduling.timeutil import to_utc
from app.services import booking, waitlist
from app.services.availability import resource_for_doctor
from app.services.waitlist import absence
from app.transaction import transaction

LONDON = ZoneInfo("Europe/London")
DAY = datetime.now(LONDON).date() + timedelta(days=5)
SLOT = to_utc(DAY, time(9), LONDON)


@pytest.fixture
def clinic(make):
    """Dr Away and Dr Here, cardiologists at one hospital (09:00-09:30 every day), a desk clerk, and a patient
    booked with Dr Away at 09:00 on DAY; a far hospital's cardiologist is no equivalent."""
    hospital = make.hospital()
    far = make.hospital(lat=53.48, lon=-2.24, city="Manchester")
    specialty = make.specialty()
    away, here = make.doctor(hospital, specialty, name="Dr Away"), make.doctor(hospital, specialty, name="Dr Here")
    distant = make.doctor(far, specialty, name="Dr Far")
    for doctor, place in ((away, hospital), (here, hospital), (distant, far)):
        make.schedule(doctor, place, end="09:30")
    desk = make.user(Role.STAFF, hospital, email="desk@here.example")
    patient = make.patient(email="pat@here.example", name="Pat Patient")
    appointment = booking.book(None, patient, away, SLOT, now=utcnow())
    db.session.commit()
    return hospital, away, here, distant, desk, patient, appointment


def _mails(folder) -> list:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def _leave(client, hospital, doctor):
    return client.post(f"/staff/doctors/{doctor.id}/availability/exceptions?hospital={hospital.id}", data={
        "leave-start_date": DAY.isoformat(), "leave-start_time": "08:00", "leave-end_date": DAY.isoformat(),
        "leave-end_time": "18:00", "leave-available": "no", "leave-reason": "Sick"})


def test_leave_form_to_proposal_to_email_and_a_single_use_accept(client, auth, clinic, mail_folder):
    hospital, away, here, distant, desk, patient, appointment = clinic
    auth.login(desk.email)
    res = _leave(client, hospital, away)
    assert res.status_code == 302 and "/optimise/absence/" in res.headers["Location"]
    page = client.get(res.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("data-move=") == 1 and "Dr Here" in html and "Dr Far" not in html
    assert db.session.get(Appointment, appointment.id).doctor_id == away.id  # nothing moved by proposing
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    sent = client.post(res.headers["Location"] + "/apply", data={"token": token}, follow_redirects=True)
    assert sent.status_code == 200 and "1 patients have been sent their new time" in sent.get_data(as_text=True)
    assert "data-pending" in sent.get_data(as_text=True)
    offer = db.session.scalar(select(Offer))
    assert offer.status == "open" and offer.hold.doctor_id == here.id and offer.hold.start == SLOT
    assert offer.expires_at > utcnow() + timedelta(hours=24)  # an e-mail's answer, not a phone call's
    assert db.session.get(Appointment, appointment.id).status == "scheduled"  # still not moved: the patient decides
    # the same proposal sent again is stale: nothing more goes out
    again = client.post(res.headers["Location"] + "/apply", data={"token": token}, follow_redirects=True)
    assert "changed meanwhile" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 1
    auth.logout()

    deliver_pending(now=utcnow())
    mails = [m for m in _mails(mail_folder) if m["To"] == "pat@here.example"]
    absent = [m for m in mails if "absent" in m["Subject"]]
    assert len(absent) == 1
    body = absent[0].get_body(("plain",)).get_content()
    assert "Dr Here" in body and "Accept:" in body and "Find me another time:" in body
    link = body.split("Accept: ")[1].split()[0]
    path = link.split("://", 1)[-1].split("/", 1)[1]
    show = client.get("/" + path)
    assert show.status_code == 200
    accepted = client.post(f"/{path}/accept")
    assert accepted.status_code in (302, 303)
    moved = db.session.scalar(select(Appointment).where(Appointment.patient_id == patient.id,
                                                        Appointment.status == "scheduled"))
    assert (moved.doctor_id, moved.start) == (here.id, SLOT)
    assert db.session.get(Appointment, appointment.id).status == "cancelled"  # the absent doctor's booking is freed
    twice = client.post(f"/{path}/accept")
    assert twice.status_code == 409  # the link is used up
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status == "scheduled")) == 1


def test_find_me_another_keeps_the_booking_and_the_patient_waiting(clinic):
    hospital, away, here, distant, desk, patient, appointment = clinic
    with transaction():
        exception = AvailabilityException(resource_id=core_resource(away), hospital_id=hospital.id,
                                          start=SLOT - timedelta(hours=1), end=SLOT + timedelta(hours=8),
                                          available=False, reason="Sick")
        db.session.add(exception)
    proposal = absence.propose(exception)
    (move,) = proposal.moves
    assert (move.doctor.id, move.start, move.delay_days) == (here.id, SLOT, 0.0)
    with transaction():
        (offer,) = absence.apply(None, exception, proposal.token)

    with transaction():
        waitlist.decline(None, offer, patient)
    assert db.session.get(Appointment, appointment.id).status == "scheduled"
    assert offer.entry.status == "waiting"  # freed slots are offered to them as to anyone waiting


def test_another_hospitals_desk_gets_404_and_urgent_patients_stay_within_two_days(clinic, make, client, auth):
    hospital, away, here, distant, desk, patient, appointment = clinic
    with transaction():
        exception = AvailabilityException(resource_id=core_resource(away), hospital_id=hospital.id,
                                          start=SLOT - timedelta(hours=1), end=SLOT + timedelta(days=1),
                                          available=False, reason="Course")
        db.session.add(exception)
    other = make.hospital()
    make.user(Role.STAFF, other, email="desk@other.example")
    auth.login("desk@other.example")
    assert client.get(f"/optimise/absence/{exception.id}").status_code == 404
    assert client.post(f"/optimise/absence/{exception.id}/apply", data={"token": "x"}).status_code == 404
    auth.logout()
    # Dr Here is fully booked on DAY: an urgent patient is not pushed beyond two days
    for minutes in (0, 15):
        booking.book(None, make.patient(), here, SLOT + timedelta(minutes=minutes), now=utcnow())
    appointment.urgency = "urgent"
    db.session.commit()
    proposal = absence.propose(exception)
    for move in proposal.moves:
        assert move.start - appointment.start <= timedelta(days=3)


def core_resource(doctor) -> int:
    return resource_for_doctor(doctor.id).id
