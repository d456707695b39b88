"""The waitlist service on the real database: join, offers on cancellation, holds that search does not sell,
accept with the cascade, decline, expiry and the slot going back on sale. Time is driven by passing `now`."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.jobs import expire_offers as expire_job
from app.models import Appointment, AuditEvent, Claim, DayCounter, Offer, OutboxMessage
from app.services import booking, waitlist
from app.services.availability.query import SlotQuery
from app.services.availability.schedules import add_exception
from app.services.availability.search import search_slots

NOW = datetime(2026, 2, 27, 8, 0)  # a Friday; the schedule runs 09:00-12:00 London every day
# SLOT and LATER are days ahead, outside the matcher's 48-hour urgent window: routine entries get them too
SLOT = datetime(2026, 3, 3, 9, 0)
LATER = datetime(2026, 3, 5, 9, 0)


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def _join(patient, specialty, latest=date(2026, 3, 10), **kw):
    entry = waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=latest, **kw), now=NOW)
    db.session.commit()
    return entry


def _book(patient, doctor, start=SLOT):
    appointment = booking.book(None, patient, doctor, start, now=NOW)
    db.session.commit()
    return appointment


def _free_starts(doctor, day=date(2026, 3, 3), now=NOW):
    return {r.start for r in search_slots(SlotQuery(first_day=day, last_day=day, doctor_id=doctor.id, limit=500), now)}


def _outbox(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                   .order_by(OutboxMessage.id)))


def test_join_refuses_a_past_date_a_duplicate_and_a_missing_target(clinic, make):
    _, specialty, _ = clinic
    patient = make.patient()
    with pytest.raises(core.WaitlistError) as past:
        waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 2, 26)), now=NOW)
    assert past.value.field == "latest" and past.value.http_status == 422
    with pytest.raises(core.WaitlistError) as nothing:
        waitlist.join(None, patient, waitlist.Wish(latest=date(2026, 3, 9)), now=NOW)
    assert nothing.value.field == "specialty"
    with pytest.raises(core.WaitlistError) as odd_type:
        waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 9),
                                                   appointment_type="x" * 41), now=NOW)
    assert odd_type.value.field == "appointment_type"
    db.session.rollback()
    entry = _join(patient, specialty)
    assert entry.status == "waiting" and entry.active_key
    with pytest.raises(core.WaitlistError) as dup:
        waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 20)), now=NOW)
    assert dup.value.field == "specialty" and dup.value.http_status == 409
    db.session.rollback()
    waitlist.leave(None, entry, now=NOW)
    db.session.commit()
    assert _join(patient, specialty).status == "waiting"  # a closed entry no longer blocks a new one
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "waitlist.join")) == 2


def test_cancel_offers_the_slot_to_the_top_candidates_and_search_does_not_sell_it(clinic, make):
    hospital, specialty, doctor = clinic
    a, b, c = make.patient(), make.patient(), make.patient(phone="+447911123456")
    appointment = _book(a, doctor)
    entry_b = _join(b, specialty)
    entry_c = _join(c, specialty, urgency="urgent")
    assert SLOT not in _free_starts(doctor)

    booking.cancel(None, appointment, "cannot come", now=NOW)
    db.session.commit()

    hold = db.session.scalar(select(Appointment).where(Appointment.status == "held"))
    assert hold is not None and hold.patient_id is None and (hold.start, hold.end) == (SLOT, appointment.end)
    assert hold.hold_until == NOW + timedelta(minutes=hospital.offer_hold_minutes)
    offers = db.session.scalars(select(Offer).order_by(Offer.rank)).all()
    assert [o.entry_id for o in offers] == [entry_c.id, entry_b.id]  # urgent first
    assert {o.status for o in offers} == {"open"} and all(o.expires_at == hold.hold_until for o in offers)
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == hold.id)) == 3
    assert SLOT not in _free_starts(doctor)  # held: not sold by search
    mails = _outbox("waitlist_offer")
    assert {m.channel for m in mails} == {"email", "sms"}
    assert {m.recipient for m in mails if m.channel == "email"} == {b.user.email, c.user.email}
    email = next(m for m in mails if m.recipient == b.user.email)
    assert email.context["offer_link"].startswith("http") and "/offers/" in email.context["offer_link"]
    token = email.context["offer_link"].rsplit("/", 1)[1]
    assert waitlist.offer_from_token(token).entry_id == entry_b.id
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "waitlist.offer")) == 2


def test_offer_message_renders_in_english_and_german(clinic, make):
    from app.notifications.render import render_email, render_sms

    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient(phone="+447911123456")
    b.user.language = "de"
    db.session.commit()
    _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    email = next(m for m in _outbox("waitlist_offer") if m.channel == "email")
    msg = render_email(email)
    assert "früherer Termin" in msg.subject and "08:15 (Europe/London)" in msg.subject
    assert email.context["offer_link"] in msg.body and "Dienstag, 3. März 2026, 09:00" in msg.body
    sms = render_sms(next(m for m in _outbox("waitlist_offer") if m.channel == "sms"))
    assert "08:15 (Europe/London)" in sms and email.context["offer_link"] in sms


def test_channel_choices_are_respected(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient(phone="+447911123456")
    b.notify_email = False
    db.session.commit()
    _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    assert [m.channel for m in _outbox("waitlist_offer")] == ["sms"]


def test_accept_moves_the_patient_and_the_later_booking_cascades(clinic, make):
    _, specialty, doctor = clinic
    a, b, c = make.patient(), make.patient(), make.patient()
    appointment_a = _book(a, doctor)
    later_b = _book(b, doctor, LATER)
    entry_b = waitlist.join(None, b, waitlist.Wish(), current_appointment=later_b, now=NOW)
    db.session.commit()
    assert entry_b.doctor_id == doctor.id and entry_b.latest == date(2026, 3, 4)
    entry_c = _join(c, specialty)
    booking.cancel(None, appointment_a, "", now=NOW)
    db.session.commit()
    offer_b = db.session.scalar(select(Offer).where(Offer.entry_id == entry_b.id))
    offer_c = db.session.scalar(select(Offer).where(Offer.entry_id == entry_c.id))
    assert offer_c.rank == 0 and offer_b.rank == 1  # nothing booked ranks above a two-day gain

    accepted = waitlist.accept(b.user_id, offer_b, b, now=NOW + timedelta(minutes=5))
    db.session.commit()

    db.session.refresh(later_b)
    assert accepted.patient_id == b.id and accepted.status == "scheduled" and accepted.start == SLOT
    assert accepted.hold_until is None
    assert later_b.status == "cancelled" and later_b.cancel_reason == "moved to an earlier slot from the waitlist"
    assert entry_b.status == "booked" and entry_b.booked_appointment_id == accepted.id and entry_b.active_key is None
    assert offer_b.status == "accepted" and offer_c.status == "taken"
    assert [m.recipient for m in _outbox("waitlist_taken")] == [c.user.email]
    # B's old slot is held and offered onward to C, who is still waiting
    onward = db.session.scalar(select(Offer).where(Offer.entry_id == entry_c.id, Offer.status == "open"))
    assert onward is not None and onward.hold.start == LATER and onward.hold.status == "held"
    assert entry_c.status == "waiting"
    # claims: B's appointment holds its three cells, the onward hold its own three
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == accepted.id)) == 3
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == later_b.id)) == 0
    assert db.session.scalar(select(DayCounter.count).where(DayCounter.day == date(2026, 3, 3))) == 1
    with pytest.raises(core.OfferClosed):
        waitlist.accept(c.user_id, offer_c, c, now=NOW + timedelta(minutes=6))
    db.session.rollback()
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"waitlist.join", "waitlist.offer", "waitlist.accept", "appointment.hold"} <= actions


def test_someone_elses_offer_is_a_lookup_error_and_a_forged_link_is_closed(clinic, make):
    _, specialty, doctor = clinic
    a, b, stranger = make.patient(), make.patient(), make.patient()
    _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    with pytest.raises(LookupError):
        waitlist.accept(stranger.user_id, offer, stranger, now=NOW)
    with pytest.raises(LookupError):
        waitlist.decline(stranger.user_id, offer, stranger, now=NOW)
    with pytest.raises(core.OfferClosed):
        waitlist.offer_from_token(waitlist.offer_token(offer) + "x")
    with pytest.raises(core.OfferClosed):
        waitlist.offer_from_token("garbage")


def test_decline_moves_on_to_the_next_candidate_at_once(clinic, make, app):
    _, specialty, doctor = clinic
    app.config["WAITLIST_OFFERS_AT_ONCE"] = 1
    try:
        a, b, c = make.patient(), make.patient(), make.patient()
        entry_b = _join(b, specialty)
        entry_c = _join(c, specialty)
        booking.cancel(None, _book(a, doctor), "", now=NOW + timedelta(minutes=1))
        db.session.commit()
        first = db.session.scalar(select(Offer))
        assert first.entry_id == entry_b.id  # joined first, waited longest
        waitlist.decline(b.user_id, first, b, now=NOW + timedelta(minutes=2))
        db.session.commit()
        assert first.status == "declined" and entry_b.status == "waiting"
        second = db.session.scalar(select(Offer).where(Offer.status == "open"))
        assert second.entry_id == entry_c.id and second.rank == 1
        assert second.expires_at == NOW + timedelta(minutes=17)  # a fresh hold time
        with pytest.raises(core.OfferClosed):
            waitlist.decline(b.user_id, first, b, now=NOW + timedelta(minutes=3))
    finally:
        app.config.pop("WAITLIST_OFFERS_AT_ONCE")


def test_expiry_moves_on_and_nobody_left_puts_the_slot_back_on_sale(clinic, make, app):
    _, specialty, doctor = clinic
    app.config["WAITLIST_OFFERS_AT_ONCE"] = 1
    try:
        a, b, c = make.patient(), make.patient(), make.patient()
        _join(b, specialty)
        entry_c = _join(c, specialty)
        booking.cancel(None, _book(a, doctor), "", now=NOW)
        db.session.commit()
        hold = db.session.scalar(select(Appointment).where(Appointment.status == "held"))
        assert expire_job(now=NOW + timedelta(minutes=14)) == 0  # not yet
        assert expire_job(now=NOW + timedelta(minutes=15)) == 1
        offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
        assert [o.status for o in offers] == ["expired", "open"] and offers[1].entry_id == entry_c.id
        db.session.refresh(hold)
        assert hold.status == "held" and hold.hold_until == NOW + timedelta(minutes=30)
        with pytest.raises(core.OfferClosed, match="expired"):
            waitlist.accept(b.user_id, offers[0], b, now=NOW + timedelta(minutes=16))
        db.session.rollback()
        assert SLOT not in _free_starts(doctor, now=NOW + timedelta(minutes=16))

        assert expire_job(now=NOW + timedelta(minutes=30)) == 1
        db.session.refresh(hold)
        assert hold.status == "cancelled"
        assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == hold.id)) == 0
        assert db.session.scalar(select(DayCounter.count).where(DayCounter.day == date(2026, 3, 3))) == 0
        assert SLOT in _free_starts(doctor, now=NOW + timedelta(minutes=31))  # back on sale
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "waitlist.expire")) == 2
    finally:
        app.config.pop("WAITLIST_OFFERS_AT_ONCE")


def test_nobody_eligible_means_no_hold(clinic, make):
    _, specialty, doctor = clinic
    a, b, c = make.patient(), make.patient(), make.patient()
    _join(b, specialty, latest=date(2026, 3, 2))  # the slot is after their latest date
    _join(c, specialty, times_of_day=("afternoon",))  # 09:00 does not suit
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.status == "held")) == 0
    assert SLOT in _free_starts(doctor)


def _held_count() -> int:
    return db.session.scalar(select(func.count(Appointment.id)).where(Appointment.status == "held"))


def test_a_slot_freed_20_hours_ahead_stays_for_urgent_requests_when_the_day_has_no_other(clinic, make):
    _, specialty, doctor = clinic
    a, b, c = make.patient(), make.patient(), make.patient()
    _join(b, specialty)
    _join(c, specialty, doctor_id=doctor.id)
    appointment = _book(a, doctor)
    for minutes in range(15, 180, 15):  # the rest of 3 March is booked: the slot is the day's urgent reserve
        _book(make.patient(), doctor, SLOT + timedelta(minutes=minutes))
    near = SLOT - timedelta(hours=20)  # inside the 48-hour urgent window
    booking.cancel(None, appointment, "", now=near)
    db.session.commit()
    assert _held_count() == 0 and db.session.scalar(select(func.count(Offer.id))) == 0
    assert _outbox("waitlist_offer") == []
    assert SLOT in _free_starts(doctor, now=near)  # on sale: an urgent request books it through the search
    urgent = {r.start for r in search_slots(SlotQuery(first_day=SLOT.date(), last_day=SLOT.date(),
                                                      doctor_id=doctor.id, urgency="urgent", limit=500), near)}
    assert SLOT in urgent
    assert waitlist.candidates_for_slot(clinic[0].id, doctor.id, SLOT, appointment.end, now=near) == []
    booked = booking.book(None, make.patient(), doctor, SLOT, urgency="urgent", now=near)
    assert booked.start == SLOT and booked.status == "scheduled"


def test_a_slot_freed_20_hours_ahead_goes_to_routine_patients_at_once_when_nobody_urgent_waits(clinic, make):
    _, specialty, doctor = clinic
    a, b, c = make.patient(), make.patient(), make.patient()
    entry_b = _join(b, specialty)
    entry_c = _join(c, specialty, doctor_id=doctor.id)
    appointment = _book(a, doctor)
    near = SLOT - timedelta(hours=20)  # the day keeps eleven free slots for urgent requests without it
    booking.cancel(None, appointment, "", now=near)
    db.session.commit()
    offers = db.session.scalars(select(Offer).order_by(Offer.rank)).all()
    assert sorted(o.entry_id for o in offers) == sorted([entry_b.id, entry_c.id])
    assert {o.hold.start for o in offers} == {SLOT} and _held_count() == 1


def test_an_urgent_patient_waiting_elsewhere_in_the_specialty_keeps_near_slots_from_routine_ones(clinic, make):
    _, specialty, doctor = clinic
    a, routine, urgent = make.patient(), make.patient(), make.patient()
    _join(routine, specialty)
    _join(urgent, specialty, urgency="urgent", times_of_day=("afternoon",))  # 09:00 does not suit them
    appointment = _book(a, doctor)
    booking.cancel(None, appointment, "", now=SLOT - timedelta(hours=20))
    db.session.commit()
    assert db.session.scalar(select(func.count(Offer.id))) == 0 and _held_count() == 0


def test_a_slot_freed_20_hours_ahead_is_offered_to_the_urgent_patient(clinic, make):
    _, specialty, doctor = clinic
    a, routine, urgent = make.patient(), make.patient(), make.patient()
    _join(routine, specialty)
    urgent_entry = _join(urgent, specialty, urgency="urgent")
    appointment = _book(a, doctor)
    near = SLOT - timedelta(hours=20)
    booking.cancel(None, appointment, "", now=near)
    db.session.commit()
    offers = db.session.scalars(select(Offer)).all()
    assert [o.entry_id for o in offers] == [urgent_entry.id]  # the routine patient is not asked
    assert offers[0].hold.start == SLOT and _held_count() == 1
    assert SLOT not in _free_starts(doctor, now=near)  # held for the urgent patient meanwhile
    found = waitlist.candidates_for_slot(clinic[0].id, doctor.id, SLOT, appointment.end, now=near)
    assert found == []  # the urgent patient already has the offer; the routine one is not a candidate
    accepted = waitlist.accept(urgent.user_id, offers[0], urgent, now=near + timedelta(minutes=5))
    assert accepted.patient_id == urgent.id and accepted.start == SLOT


def test_a_slot_48_hours_ahead_still_goes_to_routine_patients(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    entry = _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=SLOT - timedelta(hours=48))
    db.session.commit()
    assert [o.entry_id for o in db.session.scalars(select(Offer))] == [entry.id]


def test_past_slots_and_no_shows_after_the_start_are_not_offered(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    _join(b, specialty)
    appointment = _book(a, doctor)
    booking.cancel(None, appointment, "not checked in", status="no_show", now=SLOT + timedelta(minutes=30))
    db.session.commit()
    assert db.session.scalar(select(func.count(Offer.id))) == 0


def test_a_no_show_known_in_advance_is_offered(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    _join(b, specialty)
    appointment = _book(a, doctor, LATER)
    booking.cancel(None, appointment, "will not come", status="no_show", now=NOW)
    db.session.commit()
    assert db.session.scalar(select(Offer.status)) == "open"


def test_reschedule_offers_the_old_time(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    _join(b, specialty)
    appointment = _book(a, doctor)
    booking.reschedule(None, appointment, LATER, now=NOW)
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    assert offer is not None and offer.hold.start == SLOT


def test_added_availability_is_offered_bounded(clinic, make):
    hospital, specialty, doctor = clinic
    from app.services.availability import resource_for_doctor

    b, c = make.patient(), make.patient()
    _join(b, specialty)
    _join(c, specialty)
    # an afternoon clinic on 3 March, 14:00-15:00 London (UTC in winter): four new slots, two patients waiting
    add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, datetime(2026, 3, 3, 14),
                  datetime(2026, 3, 3, 15), True, "extra clinic", now=NOW)
    db.session.commit()
    holds = db.session.scalars(select(Appointment).where(Appointment.status == "held")
                               .order_by(Appointment.start)).all()
    assert [h.start for h in holds] == [datetime(2026, 3, 3, 14), datetime(2026, 3, 3, 14, 15)]
    assert [[o.entry.patient_id for o in db.session.scalars(select(Offer).where(Offer.hold_id == h.id))]
            for h in holds] == [[b.id], [c.id]]  # one new slot each
    assert datetime(2026, 3, 3, 14, 30) in _free_starts(doctor)  # nobody left for the rest: on sale


def test_leave_ends_open_offers_and_the_hold_moves_on(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    entry = _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    waitlist.leave(b.user_id, entry, now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert entry.status == "cancelled" and db.session.scalar(select(Offer.status)) == "declined"
    assert db.session.scalar(select(Appointment.status).where(Appointment.patient_id.is_(None))) == "cancelled"
    assert waitlist.entries_for(b, now=NOW + timedelta(minutes=2)) == [entry]
    assert waitlist.open_offers(entry, now=NOW) == []


def test_candidates_and_staff_offer_and_book_by_phone(clinic, make):
    hospital, specialty, doctor = clinic
    b, c = make.patient(), make.patient()
    entry_b = _join(b, specialty)
    entry_c = _join(c, specialty, near=(51.5, -0.12), radius_km=10)
    free_at = datetime(2026, 3, 4, 10)
    found = waitlist.candidates_for_slot(hospital.id, doctor.id, free_at, free_at + timedelta(minutes=15), now=NOW)
    assert [cand.entry.id for cand in found] == [entry_b.id, entry_c.id]
    assert "0.0 km away" in found[1].reasons and any("no booking" in r for r in found[0].reasons)
    offers = waitlist.offer_slot(None, hospital.id, doctor.id, free_at, free_at + timedelta(minutes=15),
                                 entries=[entry_c], now=NOW)
    db.session.commit()
    assert [o.entry_id for o in offers] == [entry_c.id]
    appointment = waitlist.book_candidate(None, entry_b, doctor.id, free_at, now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert appointment.patient_id == b.id and appointment.start == free_at
    assert offers[0].status == "taken" and entry_b.status == "booked"
    # a free slot is booked as usual
    other = waitlist.book_candidate(None, entry_c, doctor.id, datetime(2026, 3, 4, 11), now=NOW)
    db.session.commit()
    assert other.patient_id == c.id and entry_c.status == "booked"


def test_a_hold_is_announced_as_booked_and_its_release_as_freed(clinic, make):
    from app import realtime

    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    entry = _join(b, specialty)
    appointment = _book(a, doctor)
    db.session.info.pop(realtime.COMMITTED, None)
    booking.cancel(None, appointment, "", now=NOW)
    db.session.commit()
    # freed by the cancellation and taken by the hold in one transaction: watchers see no change at all
    assert realtime._collapse(db.session.info.pop(realtime.COMMITTED, [])) == []
    waitlist.leave(b.user_id, entry, now=NOW)
    db.session.commit()
    changes = realtime._collapse(db.session.info.pop(realtime.COMMITTED, []))
    assert [(c.status, c.start) for c in changes] == [("freed", SLOT)]


def test_a_hold_is_not_a_patient_s_appointment(clinic, make):
    _, specialty, doctor = clinic
    a, b = make.patient(), make.patient()
    _join(b, specialty)
    booking.cancel(None, _book(a, doctor), "", now=NOW)
    db.session.commit()
    hold = db.session.scalar(select(Appointment).where(Appointment.status == "held"))
    with pytest.raises(core.InvalidTransition):
        booking.transition(None, hold, "scheduled")
    with pytest.raises(core.InvalidTransition):
        booking.cancel(None, hold, "", status="no_show")
    booking.cancel(None, hold, "the desk needs the time")  # the desk may release it: offers end
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    assert hold.status == "cancelled" and offer.status == "withdrawn"
    assert SLOT in _free_starts(doctor)
    with pytest.raises(core.OfferClosed, match="taken this slot back"):
        waitlist.accept(b.user_id, offer, b, now=NOW)


# --- the late release: a slot still free 3 hours before its start goes to routine entries too ---

def _late_job(now):
    from app.jobs import offer_short_notice_slots

    return offer_short_notice_slots(now=now)


def test_the_job_offers_a_free_slot_2_hours_ahead_to_a_routine_patient_once(clinic, make):
    _, specialty, doctor = clinic
    routine = make.patient()
    entry = _join(routine, specialty)
    now = SLOT - timedelta(hours=2)  # 07:00: 09:00 to 10:00 start within three hours
    assert SLOT in _free_starts(doctor, now=now)
    made = _late_job(now)
    offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
    starts = {o.hold.start for o in offers}
    assert made == len(offers) and SLOT in starts and all(o.entry_id == entry.id for o in offers)
    # five slots start within three hours (09:00 ... 10:00), but one patient holds at most two offers
    assert starts == {SLOT, SLOT + timedelta(minutes=15)}
    assert SLOT not in _free_starts(doctor, now=now)  # held while the offer is out
    assert SLOT + timedelta(minutes=30) in _free_starts(doctor, now=now)  # nobody else waits: still on sale
    assert len(_outbox("waitlist_offer")) == len(offers)
    assert _late_job(now + timedelta(minutes=5)) == 0  # the next run: held slots are not free, nothing twice
    assert db.session.scalar(select(func.count(Offer.id))) == len(offers)
    accepted = waitlist.accept(routine.user_id, offers[0], routine, now=now + timedelta(minutes=10))
    assert accepted.patient_id == routine.id and accepted.start == SLOT


def test_the_job_leaves_a_slot_20_hours_ahead_for_urgent_requests(clinic, make):
    _, specialty, doctor = clinic
    _join(make.patient(), specialty)
    now = SLOT - timedelta(hours=20)
    assert _late_job(now) == 0
    assert _held_count() == 0 and db.session.scalar(select(func.count(Offer.id))) == 0
    assert SLOT in _free_starts(doctor, now=now)


def test_an_expired_late_offer_is_not_repeated_to_the_same_patient(clinic, make, app):
    _, specialty, doctor = clinic
    routine = make.patient()
    _join(routine, specialty)
    now = SLOT - timedelta(hours=2)
    first = _late_job(now)
    assert first > 0
    later = now + timedelta(minutes=20)  # every hold expired; nobody else waits, so the slots are back on sale
    expire_job(now=later)
    assert _held_count() == 0 and SLOT in _free_starts(doctor, now=later)
    _late_job(later)  # the only patient was asked 09:00 and 09:15 already: the next two slots, never those again
    starts = [o.hold.start for o in db.session.scalars(select(Offer))]
    assert first == 2 and len(starts) == len(set(starts)) == 4 and max(starts) == SLOT + timedelta(minutes=45)
    newcomer = make.patient()
    entry = _join(newcomer, specialty)
    assert _late_job(later) == first  # the slots back on sale go to the newcomer only, two of them
    fresh = db.session.scalars(select(Offer).where(Offer.status == "open", Offer.entry_id == entry.id)).all()
    assert sorted(o.hold.start for o in fresh) == sorted(starts)[:first]
    pairs = [(o.entry_id, o.hold.start) for o in db.session.scalars(select(Offer))]
    assert len(pairs) == len(set(pairs)) == 6  # nobody was offered the same slot twice


def test_the_last_free_slot_before_a_closure_stays_for_urgent_requests(make):
    hospital, specialty = make.hospital(), make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital, weekdays=[SLOT.weekday()], start="09:00", end="09:30")  # two slots, Tuesdays
    entry = _join(make.patient(), specialty)
    now = SLOT - timedelta(hours=2)
    taken = booking.book(None, make.patient(), doctor, SLOT + timedelta(minutes=15), now=now - timedelta(days=1))
    db.session.commit()
    # 09:00 is the specialty's only free slot within 48 hours: released, an urgent request asking now finds nothing
    assert _late_job(now) == 0 and _held_count() == 0
    assert SLOT in _free_starts(doctor, day=SLOT.date(), now=now)
    booking.cancel(None, taken, "", now=now)  # now 09:15 is spare too: each may go, the other one stays
    db.session.commit()
    offers = db.session.scalars(select(Offer)).all()
    assert [o.entry_id for o in offers] == [entry.id] and offers[0].hold.start == SLOT + timedelta(minutes=15)
    assert _late_job(now) == 0  # 09:00 is now the last free slot again
