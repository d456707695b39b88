"""Batch offers (issue #16, part 2) on the real database: the optimiser's proposal over a window's free slots, applied
in one transaction with the waitlist's holds, a stale proposal refused whole, and the pages scoped to the hospital."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Offer, OutboxMessage, Role
from app.models.base import utcnow
from app.scheduling.timeutil import to_utc
from app.services import booking, waitlist
from app.services.waitlist import batch
from app.transaction import transaction

# The pages run on the real clock, so the service tests use it too. DAY is five days ahead: outside the 48-hour
# urgent window, routine entries may have its slots.
LONDON = ZoneInfo("Europe/London")
NOW = utcnow().replace(microsecond=0)
DAY = datetime.now(LONDON).date() + timedelta(days=5)
SLOT = to_utc(DAY, time(9), LONDON)
LATEST = DAY + timedelta(days=7)


@pytest.fixture
def region(make):
    """Two cardiologists with one free slot each on DAY (09:00-09:15), and two waiting patients: one for any
    cardiologist, who has waited longest, and one for the first doctor only. Greedy gives the first doctor's slot
    to the long waiter and leaves the other patient out; the optimiser places both."""
    hospital = make.hospital()
    specialty = make.specialty()
    first, second = make.doctor(hospital, specialty), make.doctor(hospital, specialty)
    for doctor in (first, second):
        make.schedule(doctor, hospital, start="09:00", end="09:15")
    anyone, named = make.patient(), make.patient()
    long_wait = waitlist.join(None, anyone, waitlist.Wish(specialty_id=specialty.id, latest=LATEST),
                              now=NOW - timedelta(days=40))
    only_first = waitlist.join(None, named, waitlist.Wish(specialty_id=specialty.id, doctor_id=first.id,
                                                          latest=LATEST), now=NOW - timedelta(days=1))
    db.session.commit()
    return hospital, first, second, long_wait, only_first


def _offers() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def test_the_proposal_places_both_patients_where_greedy_places_one_and_applies_as_held_offers(region):
    hospital, first, second, long_wait, only_first = region
    proposal = batch.propose(hospital, DAY, DAY, now=NOW)
    assert proposal.free_slots == 2 and proposal.result.status == "optimal"
    got = {o.entry.id: (o.slot.doctor.id, o.slot.start) for o in proposal.offers}
    assert got == {long_wait.id: (second.id, SLOT), only_first.id: (first.id, SLOT)}
    assert proposal.result.objective > proposal.result.greedy_objective and proposal.gain > 0
    assert all(o.reasons for o in proposal.offers) and proposal.left == []
    assert _offers() == 0  # proposing writes nothing
    with transaction():
        offers = batch.apply(None, hospital, proposal.token, now=NOW)
    assert {(o.entry_id, o.hold.doctor_id, o.status) for o in offers} == {
        (long_wait.id, second.id, "open"), (only_first.id, first.id, "open")}
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "held")) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.template == "waitlist_offer")) == 2
    # the patient accepts through the ordinary offer: first accept wins, as for any waitlist offer
    mine = next(o for o in offers if o.entry_id == only_first.id)
    with transaction():
        appointment = waitlist.accept(None, mine, only_first.patient, now=NOW + timedelta(minutes=5))
    assert (appointment.status, appointment.doctor_id, appointment.patient_id) == (
        "scheduled", first.id, only_first.patient_id)


def test_a_stale_proposal_is_refused_whole_and_nothing_is_applied(region, make):
    hospital, first, second, long_wait, only_first = region
    one, two = batch.propose(hospital, DAY, DAY, now=NOW), batch.propose(hospital, DAY, DAY, now=NOW)
    with transaction():
        batch.apply(None, hospital, one.token, now=NOW)
    # a second desk applying the same (overlapping) proposal: stale, and none of it goes out
    with pytest.raises(core.ProposalStale) as stale, transaction():
        batch.apply(None, hospital, two.token, now=NOW)
    assert stale.value.http_status == 409 and _offers() == 2
    # the replayed token is just as stale
    with pytest.raises(core.ProposalStale), transaction():
        batch.apply(None, hospital, one.token, now=NOW)


def test_a_slot_booked_meanwhile_makes_the_proposal_stale_with_no_hold_left_behind(region, make):
    hospital, first, second, long_wait, only_first = region
    proposal = batch.propose(hospital, DAY, DAY, now=NOW)
    booking.book(None, make.patient(), second, SLOT, now=NOW)  # the long waiter's proposed slot goes
    db.session.commit()
    with pytest.raises(core.ProposalStale), transaction():
        batch.apply(None, hospital, proposal.token, now=NOW)
    assert _offers() == 0
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "held")) == 0


def test_a_proposal_of_another_hospital_or_a_forged_one_is_not_found(region, make):
    hospital, *_ = region
    other = make.hospital()
    proposal = batch.propose(hospital, DAY, DAY, now=NOW)
    with pytest.raises(LookupError):
        batch.apply(None, other, proposal.token, now=NOW)
    with pytest.raises(LookupError):
        batch.apply(None, hospital, proposal.token[:-3] + "xyz", now=NOW)
    with pytest.raises(core.WaitlistError):
        batch.propose(hospital, DAY, DAY + timedelta(days=14), now=NOW)


def test_the_pages_serve_the_hospitals_staff_and_admins_and_answer_404_elsewhere(region, make, client, auth):
    hospital, *_ = region
    other = make.hospital()
    make.user(Role.STAFF, other, email="desk@other.example")
    make.user(Role.ADMIN, hospital, email="admin@here.example")
    make.user(Role.PATIENT, email="patient@here.example")
    query = f"/optimise/offers?hospital={hospital.id}&first_day={DAY.isoformat()}&last_day={DAY.isoformat()}"
    auth.login("patient@here.example")
    assert client.get("/optimise/offers").status_code == 403
    auth.logout()
    auth.login("desk@other.example")
    assert client.get("/optimise/offers").status_code == 200
    assert client.get(query).status_code == 404  # another hospital's slots look like none
    token = batch.propose(hospital, DAY, DAY).token
    assert client.post("/optimise/offers/apply", data={"hospital": hospital.id, "token": token}).status_code == 404
    assert client.post("/optimise/offers/apply", data={"hospital": other.id, "token": token}).status_code == 404
    assert _offers() == 0
    auth.logout()
    auth.login("admin@here.example")
    page = client.get(query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-proposal" in html and "Send these offers" in html and html.count("data-proposed=") == 2
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    sent = client.post("/optimise/offers/apply", data={"hospital": hospital.id, "token": token},
                       follow_redirects=True)
    assert sent.status_code == 200 and "2 offers sent" in sent.get_data(as_text=True) and _offers() == 2
    again = client.post("/optimise/offers/apply", data={"hospital": hospital.id, "token": token},
                        follow_redirects=True)
    assert "stale" in again.get_data(as_text=True).lower() or "meanwhile" in again.get_data(as_text=True)
    assert _offers() == 2


def test_the_regions_weights_apply_and_unusable_ones_are_refused(region, app, monkeypatch):
    hospital, *_ = region
    monkeypatch.setitem(app.config, "OPTIMISER_WEIGHTS", {"per_day_waited": 2})
    assert batch.region_weights().per_day_waited == 2 and len(batch.propose(hospital, DAY, DAY, now=NOW).offers) == 2
    for bad, field in (({"per_km": -1}, "per_km"), ({"urgent": "lots"}, "urgent"), ({"nope": 1}, None)):
        monkeypatch.setitem(app.config, "OPTIMISER_WEIGHTS", bad)
        with pytest.raises(core.WeightsInvalid) as refused:
            batch.propose(hospital, DAY, DAY, now=NOW)
        assert refused.value.field == field and refused.value.http_status == 422


def test_the_morning_batch_command_prints_the_proposal_and_sends_it_with_apply(region, runner):
    hospital, *_ = region
    args = ["optimise", "offers", "--hospital", str(hospital.id), "--days", "7"]
    dry = json.loads(runner.invoke(args=args).output.strip().splitlines()[-1])
    assert (dry["proposed"], dry["sent"], dry["status"]) == (2, 0, "optimal") and _offers() == 0
    assert dry["objective"] > dry["greedy_objective"]
    sent = json.loads(runner.invoke(args=[*args, "--apply"]).output.strip().splitlines()[-1])
    assert sent["sent"] == 2 and _offers() == 2
    # a week holds more slots: each patient gets a second offer elsewhere (the held ones are left out), and then
    # holds the most open offers allowed (WAITLIST_MAX_OPEN_OFFERS, 2), so a third run has nobody to offer to
    again = json.loads(runner.invoke(args=[*args, "--apply"]).output.strip().splitlines()[-1])
    assert again["sent"] == 2 and again["free_slots"] == dry["free_slots"] - 2 and _offers() == 4
    third = json.loads(runner.invoke(args=[*args, "--apply"]).output.strip().splitlines()[-1])
    assert (third["proposed"], third["sent"]) == (0, 0) and _offers() == 4
    missing = runner.invoke(args=["optimise", "offers", "--hospital", "999999"])
    assert missing.exit_code == 1 and "No hospital" in missing.output
