"""Search results "best for you" (docs/optimiser.md, "Best fit in the search"): `GET /api/v1/slots?sort=best`
ranks the same slots as the earliest answer by the best-fit score, from the caller's wishes and the doctors' days;
the default answer is untouched."""
from datetime import UTC, datetime, timedelta

import pytest

from app import create_app
from app.extensions import db
from app.models import WaitlistEntry
from app.models.base import utcnow
from app.services import booking
from app.transaction import transaction
from config import ConfigError


def _url(specialty_id, day, **extra) -> str:
    args = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/api/v1/slots?specialty={specialty_id}&from={day}&to={day}&limit=100{args}"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _local_hm(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M")


@pytest.fixture
def day():
    return (utcnow() + timedelta(days=2)).date()


def test_best_ranks_the_same_slots_next_to_a_booking_first_and_earliest_is_unchanged(make, client, day):
    hospital = make.hospital()
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio)
    make.schedule(doctor, hospital)  # 09:00-12:00, 15-minute slots
    earliest = client.get(_url(cardio.id, day)).get_json()["slots"]
    assert [_local_hm(s["start"]) for s in earliest[:2]] == ["09:00", "09:15"]
    assert all("score" not in s for s in earliest)
    booked = next(s for s in earliest if _local_hm(s["start"]) == "10:30")
    with transaction():
        booking.book(None, make.patient(), doctor, _utc(booked["start"]))

    after = client.get(_url(cardio.id, day)).get_json()["slots"]
    best = client.get(_url(cardio.id, day, sort="best")).get_json()["slots"]
    assert sorted(s["start"] for s in best) == sorted(s["start"] for s in after)  # the same slots, ranked
    assert {_local_hm(s["start"]) for s in best[:2]} == {"10:15", "10:45"}  # touching the booking: compact
    assert best[0]["score"] >= best[1]["score"] >= best[-1]["score"]
    assert _local_hm(best[-1]["start"]) == "09:00"  # the farthest from the booking
    assert [s["start"] for s in client.get(_url(cardio.id, day, sort="earliest")).get_json()["slots"]] == \
        [s["start"] for s in after]


def test_best_follows_the_times_of_day_asked_and_a_patients_waiting_entry(make, client, auth, day):
    near, far = make.hospital(), make.hospital(name="Far", lat=52.2, lon=0.12)
    cardio = make.specialty()
    morning, afternoon = make.doctor(near, cardio), make.doctor(far, cardio)
    make.schedule(morning, near, start="09:00", end="10:00")
    make.schedule(afternoon, far, start="14:00", end="15:00")

    asked = client.get(_url(cardio.id, day, sort="best", times="afternoon")).get_json()["slots"]
    assert {s["doctor_id"] for s in asked[:4]} == {afternoon.id}
    anyone = client.get(_url(cardio.id, day, sort="best")).get_json()["slots"]
    assert anyone[0]["doctor_id"] == morning.id  # no wish: equal scores, the earlier start first

    patient = make.patient()
    db.session.add(WaitlistEntry(patient_id=patient.id, specialty_id=cardio.id, hospital_ids=str(far.id),
                                 latest=day + timedelta(days=30), times_of_day="afternoon", active_key="k1"))
    db.session.commit()
    auth.login(patient.user.email)
    mine = client.get(_url(cardio.id, day, sort="best")).get_json()["slots"]
    assert {s["doctor_id"] for s in mine[:4]} == {afternoon.id}
    assert mine[0]["score"] > mine[-1]["score"]


@pytest.mark.parametrize("args, field", [({"sort": "fastest"}, "sort"), ({"sort": "best", "times": "night"},
                                                                            "times")])
def test_an_unknown_sort_or_time_of_day_is_a_422(make, client, day, args, field):
    cardio = make.specialty()
    res = client.get(_url(cardio.id, day, **args))
    assert res.status_code == 422
    assert field in str(res.get_json())


@pytest.mark.parametrize("weights, said", [({"preference": -1}, "must not be negative"),
                                           ({"room": "high"}, "must be a number"),
                                           ({"nearness": 1}, "Unknown weight"), ([1, 2], "must map")])
def test_unusable_best_fit_weights_stop_the_start(weights, said):
    with pytest.raises(ConfigError, match=f"BEST_FIT_WEIGHTS.*{said}"):
        create_app("testing", BEST_FIT_WEIGHTS=weights)


def test_region_weights_change_the_ranking(make, client, app, day, monkeypatch):
    near, far = make.hospital(), make.hospital(name="Far", lat=52.2, lon=0.12)
    cardio = make.specialty()
    doctor_near, doctor_far = make.doctor(near, cardio), make.doctor(far, cardio)
    make.schedule(doctor_near, near, start="09:00", end="10:00")
    make.schedule(doctor_far, far, start="09:00", end="10:00")
    last = client.get(_url(cardio.id, day, doctor=doctor_far.id)).get_json()["slots"][-1]
    with transaction():  # the far doctor's day has a booking: compactness pulls towards it
        booking.book(None, make.patient(), doctor_far, _utc(last["start"]))
    url = _url(cardio.id, day, sort="best", near="51.5,-0.12", radius_km=100)
    assert client.get(url).get_json()["slots"][0]["doctor_id"] == doctor_near.id  # 78 km away weighs more
    monkeypatch.setitem(app.config, "BEST_FIT_WEIGHTS", {"preference": 0})  # the doctors' days alone
    best = client.get(url).get_json()["slots"][0]
    assert best["doctor_id"] == doctor_far.id and _utc(best["end"]) == _utc(last["start"])


def test_the_search_page_shows_best_for_you_only_when_asked(make, client, day):
    hospital = make.hospital()
    cardio = make.specialty()
    morning, afternoon = make.doctor(hospital, cardio), make.doctor(hospital, cardio)
    make.schedule(morning, hospital, start="09:00", end="10:00")
    make.schedule(afternoon, hospital, start="14:00", end="16:00")
    url = f"/search?specialty={cardio.id}&from={day}&to={day}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="best-for-you"' not in page
    page = client.get(url + "&sort=best&times=afternoon").get_data(as_text=True)
    best = page[page.index('id="best-for-you"'):page.index("</section>", page.index('id="best-for-you"'))]
    assert best.count("data-slot ") == 5 and "Book 14:00" in best and "Book 09:" not in best
    assert client.get(url + "&sort=best&times=night").status_code == 422


def test_a_slot_in_the_room_of_the_booking_next_to_it_ranks_above_a_room_change(make, client, day):
    from datetime import time as _time

    from app.models import Room
    from app.services.availability import resource_for_doctor
    from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule

    hospital = make.hospital()
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio)
    one, two = Room(hospital_id=hospital.id, name="Room 1"), Room(hospital_id=hospital.id, name="Room 2")
    db.session.add_all([one, two])
    db.session.commit()
    rules = [RuleInput(weekday=d, start=_time(h), end=_time(h + 1), kind="slots", slot_minutes=15, tokens_per_slot=1,
                       appointment_types=[], room_id=room.id) for d in range(7) for h, room in ((9, one), (10, two))]
    put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                 ScheduleInput(valid_from=day - timedelta(days=7), valid_till=None, rules=rules, min_notice_minutes=0))
    db.session.commit()
    slots = client.get(_url(cardio.id, day)).get_json()["slots"]
    at = {_local_hm(s["start"]): s for s in slots}
    with transaction():
        booking.book(None, make.patient(), doctor, _utc(at["09:45"]["start"]))
    best = client.get(_url(cardio.id, day, sort="best")).get_json()["slots"]
    order = [_local_hm(s["start"]) for s in best]
    # 09:30 and 10:00 both touch the booking, but 10:00 is in Room 2: even 09:00 (a 30-minute gap) ranks above it
    assert order[:3] == ["09:30", "09:15", "09:00"] and order[3] == "10:00"
