"""The core's one-room-one-consultation rule (app.scheduling.rooms) and its translatable message."""
from __future__ import annotations

from datetime import date, time

from hypothesis import given
from hypothesis import strategies as st

from app.scheduling import RoomUse, Text, clash_message, room_clashes

MONDAY_MORNING = RoomUse(1, "Consultation 1", "Dr Ada", 0, time(9), time(12), date(2026, 1, 5))


def use(**changes) -> RoomUse:
    values = {"room_id": 1, "room": "Consultation 1", "holder": "", "weekday": 0, "start": time(11),
              "end": time(13), "valid_from": date(2026, 1, 5), "valid_till": None} | changes
    return RoomUse(**values)


def test_the_same_room_at_overlapping_hours_clashes_and_names_whose_it_is():
    found = room_clashes([use()], [MONDAY_MORNING])
    assert found == {0: MONDAY_MORNING}
    message = clash_message(found[0])
    assert message == "Consultation 1 is already used by Dr Ada on Monday, 09:00-12:00."
    assert message.params["day"].template == "Monday"  # said in the reader's language by the page


def test_other_rooms_days_hours_and_dates_do_not_clash():
    assert room_clashes([use(room_id=2)], [MONDAY_MORNING]) == {}
    assert room_clashes([use(weekday=1)], [MONDAY_MORNING]) == {}
    assert room_clashes([use(start=time(12), end=time(13))], [MONDAY_MORNING]) == {}  # back to back
    ended = RoomUse(1, "Consultation 1", "Dr Ada", 0, time(9), time(12), date(2025, 1, 1), date(2026, 1, 5))
    assert room_clashes([use()], [ended]) == {}  # the other configuration ends the day this one starts
    assert room_clashes([use(valid_from=date(2025, 1, 1), valid_till=date(2025, 6, 1))],
                        [MONDAY_MORNING]) == {}  # this one ends before the other starts


def test_the_first_clash_by_day_and_hour_is_named():
    later = RoomUse(1, "Consultation 1", "Dr Zed", 0, time(12), time(14), date(2026, 1, 5))
    assert room_clashes([use(start=time(8), end=time(16))], [later, MONDAY_MORNING]) == {0: MONDAY_MORNING}


def test_text_is_the_english_string_and_keeps_template_and_values():
    said = Text("%(n)s rooms", n=3)
    assert said == "3 rooms" and isinstance(said, str)
    assert (said.template, said.params) == ("%(n)s rooms", {"n": 3})
    assert Text("Plain.") == "Plain." and Text("Plain.").params == {}


hours = st.integers(min_value=0, max_value=23)


@given(room=st.integers(1, 3), day=st.integers(0, 6), a=hours, b=hours, c=hours, d=hours)
def test_a_clash_is_exactly_the_same_room_and_day_with_overlapping_hours(room, day, a, b, c, d):
    if a == b or c == d:
        return
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    mine = use(room_id=room, weekday=day, start=time(a), end=time(b))
    theirs = RoomUse(1, "Consultation 1", "Dr Ada", 0, time(c), time(d), date(2026, 1, 5))
    expected = room == 1 and day == 0 and a < d and c < b
    assert (room_clashes([mine], [theirs]) == {0: theirs}) == expected
