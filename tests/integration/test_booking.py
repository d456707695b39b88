"""The booking service against a real database: integrity, rules, lifecycle, audit."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AuditEvent, Claim, DayCounter
from app.services import booking
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import add_exception

# a fixed "now" keeps the tests independent of the clock: Monday 2 March 2026, 08:00 UTC
NOW = datetime(2026, 3, 2, 8, 0)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """A naive-UTC instant in March 2026 (London is UTC+0 until the 29th)."""
    return datetime(2026, 3, day, hh, mm)


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=30)
    return hospital, doctor


def claims_of(appointment) -> list[datetime]:
    return sorted(db.session.scalars(select(Claim.cell_start).where(Claim.appointment_id == appointment.id)))


def test_book_writes_appointment_claims_counter_and_audit(clinic, make):
    hospital, doctor = clinic
    patient = make.patient()
    appt = booking.book(None, patient, doctor, at(3, 9, 15), reason="chest pain", now=NOW)
    db.session.commit()
    assert (appt.status, appt.start, appt.end) == ("scheduled", at(3, 9, 15), at(3, 9, 30))
    assert claims_of(appt) == [at(3, 9, 15), at(3, 9, 20), at(3, 9, 25)]
    counter = db.session.get(DayCounter, (resource_for_doctor(doctor.id).id, date(2026, 3, 3)))
    assert counter.count == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.book"))
    assert event.target_id == appt.id and event.after["reason"] == "chest pain"


def test_same_slot_twice_is_refused_and_cancel_frees_it(clinic, make):
    _, doctor = clinic
    first, second = make.patient(), make.patient()
    appt = booking.book(None, first, doctor, at(3, 10), now=NOW)
    db.session.commit()
    with pytest.raises(core.SlotTaken):
        booking.book(None, second, doctor, at(3, 10), now=NOW)
    db.session.rollback()
    booking.cancel(None, appt, "feeling better")
    db.session.commit()
    assert claims_of(appt) == [] and appt.cancel_reason == "feeling better"
    again = booking.book(None, second, doctor, at(3, 10), now=NOW)
    db.session.commit()
    assert again.patient_id == second.id


def test_claim_index_refuses_a_double_booking_even_past_the_check(clinic, make):
    """The database, not the read-side check, is what stops a second booking."""
    _, doctor = clinic
    booking.book(None, make.patient(), doctor, at(3, 10), now=NOW)
    db.session.commit()
    real_place = booking.place

    def place_seeing_nothing(*args, **kw):  # a racing writer read before the first commit
        kw["ignore"] = db.session.scalar(select(Appointment))
        return real_place(*args, **kw)

    booking.place = place_seeing_nothing
    try:
        with pytest.raises(core.SlotTaken):
            booking.book(None, make.patient(), doctor, at(3, 10), now=NOW)
    finally:
        booking.place = real_place
    db.session.rollback()
    assert db.session.scalar(select(func.count(Appointment.id))) == 1


@pytest.mark.parametrize("start, error", [
    (at(1, 9), core.InPast),
    (at(3, 13), core.OutsideHours),
    (at(3, 9, 7), core.OutsideHours),
    (datetime(2026, 4, 20, 9), core.BeyondHorizon),
])
def test_rule_errors(clinic, make, start, error):
    _, doctor = clinic
    with pytest.raises(error) as info:
        booking.book(None, make.patient(), doctor, start, now=NOW)
    assert info.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_minimum_notice(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, min_notice_minutes=120)
    with pytest.raises(core.TooShortNotice):
        booking.book(None, make.patient(), doctor, at(2, 9), now=NOW)
    assert booking.book(None, make.patient(), doctor, at(2, 10), now=NOW).start == at(2, 10)


def test_daily_limit(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, daily_limit=2)
    booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    booking.book(None, make.patient(), doctor, at(3, 9, 15), now=NOW)
    db.session.commit()
    with pytest.raises(core.DailyLimitReached):
        booking.book(None, make.patient(), doctor, at(3, 9, 30), now=NOW)
    db.session.rollback()
    assert booking.book(None, make.patient(), doctor, at(4, 9), now=NOW)


def test_type_offered_only_on_some_days(make):
    from app.models import AppointmentType

    hospital = make.hospital()
    db.session.add_all([AppointmentType(hospital_id=hospital.id, code="new", name="New", duration_minutes=15),
                        AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up",
                                        duration_minutes=15)])
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, appointment_types=["follow_up"])
    with pytest.raises(core.TypeNotOffered):
        booking.book(None, make.patient(), doctor, at(3, 9), appointment_type="new", now=NOW)
    db.session.rollback()
    with pytest.raises(core.TypeNotOffered):
        booking.book(None, make.patient(), doctor, at(3, 9), appointment_type="surgery", now=NOW)
    db.session.rollback()
    appt = booking.book(None, make.patient(), doctor, at(3, 9), appointment_type="follow_up", now=NOW)
    assert appt.appointment_type == "follow_up"


def test_leave_blocks_and_says_so(clinic, make):
    hospital, doctor = clinic
    add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, at(3, 0), at(4, 0), False, "annual leave")
    db.session.commit()
    with pytest.raises(core.Blocked):
        booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)


def test_patient_cannot_hold_two_overlapping_appointments(make):
    hospital = make.hospital()
    a, b = make.doctor(hospital, make.specialty()), make.doctor(hospital, make.specialty("Neurology", "NEU"))
    make.schedule(a, hospital)
    make.schedule(b, hospital)
    patient = make.patient()
    booking.book(None, patient, a, at(3, 9), now=NOW)
    db.session.commit()
    with pytest.raises(core.PatientOverlap):
        booking.book(None, patient, b, at(3, 9), now=NOW)


def test_longer_type_claims_consecutive_slots(make):
    from app.models import AppointmentType

    hospital = make.hospital()
    db.session.add(AppointmentType(hospital_id=hospital.id, code="long", name="Long", duration_minutes=30))
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    appt = booking.book(None, make.patient(), doctor, at(3, 9), appointment_type="long", now=NOW)
    db.session.commit()
    assert appt.end == at(3, 9, 30) and len(claims_of(appt)) == 6
    with pytest.raises(core.SlotTaken):
        booking.book(None, make.patient(), doctor, at(3, 9, 15), now=NOW)


def test_reschedule_claims_new_then_releases_old(clinic, make):
    _, doctor = clinic
    appt = booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    db.session.commit()
    booking.reschedule(None, appt, at(4, 11), now=NOW)
    db.session.commit()
    assert (appt.start, claims_of(appt)) == (at(4, 11), [at(4, 11), at(4, 11, 5), at(4, 11, 10)])
    # the old time is free again
    assert booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.reschedule"))
    assert event.before["start"].startswith("2026-03-03T09:00") and event.after["start"].startswith("2026-03-04T11")


def test_reschedule_into_overlapping_neighbour_slot(clinic, make):
    """Moving by one slot shares no cells here, but a longer type moving by 15 minutes shares some."""
    from app.models import AppointmentType

    hospital, doctor = clinic
    db.session.add(AppointmentType(hospital_id=hospital.id, code="long", name="Long", duration_minutes=30))
    appt = booking.book(None, make.patient(), doctor, at(3, 9), appointment_type="long", now=NOW)
    db.session.commit()
    booking.reschedule(None, appt, at(3, 9, 15), now=NOW)
    db.session.commit()
    assert claims_of(appt) == [at(3, 9, 15) + timedelta(minutes=5 * i) for i in range(6)]


def test_failed_reschedule_keeps_the_old_booking(clinic, make):
    _, doctor = clinic
    mine = booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    booking.book(None, make.patient(), doctor, at(3, 10), now=NOW)
    db.session.commit()
    with pytest.raises(core.SlotTaken):
        booking.reschedule(None, mine, at(3, 10), now=NOW)
    db.session.rollback()
    mine = db.session.get(Appointment, mine.id)
    assert mine.start == at(3, 9) and claims_of(mine) == [at(3, 9), at(3, 9, 5), at(3, 9, 10)]


def test_lifecycle(clinic, make):
    _, doctor = clinic
    appt = booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    booking.transition(None, appt, "checked_in")
    booking.transition(None, appt, "in_progress")
    with pytest.raises(core.InvalidTransition):
        booking.transition(None, appt, "cancelled")
    booking.transition(None, appt, "completed")
    with pytest.raises(core.InvalidTransition):
        booking.transition(None, appt, "in_progress")
    other = booking.book(None, make.patient(), doctor, at(3, 10), now=NOW)
    with pytest.raises(core.InvalidTransition):
        booking.transition(None, other, "completed")  # skipping check-in and consultation
    booking.transition(None, other, "no_show")
    db.session.commit()
    assert claims_of(other) == []  # a no-show frees the slot for the waitlist


def test_token_slots_never_exceed_capacity(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, kind="tokens", slot_minutes=60, tokens_per_slot=3, start="09:00", end="10:00")
    for _ in range(3):
        booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
        db.session.commit()
    with pytest.raises(core.SlotTaken):
        booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
    db.session.rollback()
    first = db.session.scalar(select(Appointment).order_by(Appointment.id))
    booking.cancel(None, first, "")
    db.session.commit()
    assert booking.book(None, make.patient(), doctor, at(3, 9), now=NOW)
