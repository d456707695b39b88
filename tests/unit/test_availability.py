"""Unit tests for app.scheduling.availability: schedule validation and window expansion."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.availability import (
    AvailabilityException,
    Policy,
    Schedule,
    WeeklyRule,
    Window,
    expand_windows,
    require_valid_schedule,
    validate_schedule,
)
from app.scheduling.errors import ScheduleInvalid
from app.scheduling.timeutil import to_local

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 3, 23)  # the week before the London and Berlin spring-forward (Sunday 2026-03-29)


def rule(weekday=0, start=(9, 0), end=(12, 0), **kw):
    return WeeklyRule(weekday, time(*start), time(*end), **kw)


def validate(*rules, valid_from=MONDAY, valid_till=None, policy=Policy()):
    return validate_schedule(list(rules), valid_from, valid_till, policy)


# --- validate_schedule ---------------------------------------------------------------------------------------


def test_a_sound_schedule_is_valid():
    assert validate(rule(0), rule(0, (13, 0), (17, 0)), rule(2, kind="tokens", tokens_per_slot=20)) == {}


def test_touching_rules_do_not_overlap():
    assert validate(rule(0, (9, 0), (12, 0)), rule(0, (12, 0), (15, 0))) == {}


def test_same_hours_on_different_weekdays_are_fine():
    assert validate(rule(0), rule(1), rule(6)) == {}


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (rule(7), "rules.0.weekday"),
        (rule(-1), "rules.0.weekday"),
        (rule(0, (12, 0), (9, 0)), "rules.0.end"),
        (rule(0, (9, 0), (9, 0)), "rules.0.end"),
        (rule(0, (9, 0), (9, 10)), "rules.0.end"),  # shorter than one 15-minute slot
        (rule(slot_minutes=12), "rules.0.slot_minutes"),
        (rule(slot_minutes=0), "rules.0.slot_minutes"),
        (rule(slot_minutes=245), "rules.0.slot_minutes"),
        (rule(tokens_per_slot=0), "rules.0.tokens_per_slot"),
        (rule(tokens_per_slot=101), "rules.0.tokens_per_slot"),
        (rule(kind="queue"), "rules.0.kind"),
        (rule(0, (9, 2), (12, 0)), "rules.0.start"),
        (rule(0, (9, 0), (11, 58)), "rules.0.end"),
    ],
)
def test_rule_errors(bad, key):
    errors = validate(bad)
    assert key in errors
    assert all(k.startswith("rules.0") for k in errors)


def test_slot_bounds_are_inclusive():
    assert validate(rule(slot_minutes=5), rule(1, (0, 0), (4, 0), slot_minutes=240)) == {}
    assert validate(rule(tokens_per_slot=1), rule(1, tokens_per_slot=100)) == {}


def test_overlapping_rules_are_reported_under_the_later_rule():
    errors = validate(rule(0, (9, 0), (12, 0)), rule(1), rule(0, (11, 0), (13, 0)))
    assert set(errors) == {"rules.2"}
    assert "Monday" in errors["rules.2"] and "09:00-12:00" in errors["rules.2"]


def test_a_rule_inside_another_overlaps():
    assert "rules.1" in validate(rule(0, (8, 0), (18, 0)), rule(0, (10, 0), (11, 0)))


def test_valid_till_must_follow_valid_from():
    assert "valid_till" in validate(rule(), valid_till=MONDAY)
    assert "valid_till" in validate(rule(), valid_till=MONDAY - timedelta(days=1))
    assert validate(rule(), valid_till=MONDAY + timedelta(days=1)) == {}


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        (Policy(horizon_days=0), "policy.horizon_days"),
        (Policy(horizon_days=366), "policy.horizon_days"),
        (Policy(daily_limit=0), "policy.daily_limit"),
        (Policy(min_notice_minutes=-1), "policy.min_notice_minutes"),
        (Policy(buffer_minutes=-5), "policy.buffer_minutes"),
        (Policy(buffer_minutes=3), "policy.buffer_minutes"),
        (Policy(urgent_share=0.6), "policy.urgent_share"),
        (Policy(urgent_share=-0.1), "policy.urgent_share"),
        (Policy(urgent_release_hours=-1), "policy.urgent_release_hours"),
        (Policy(daily_limit=10_001), "policy.daily_limit"),
        (Policy(min_notice_minutes=525_601), "policy.min_notice_minutes"),
        (Policy(buffer_minutes=1445), "policy.buffer_minutes"),
        (Policy(urgent_release_hours=8761), "policy.urgent_release_hours"),
    ],
)
def test_policy_errors(policy, key):
    assert set(validate(rule(), policy=policy)) == {key}


def test_policy_edges_are_valid():
    edges = Policy(horizon_days=365, daily_limit=1, min_notice_minutes=0, buffer_minutes=0, urgent_share=0.5)
    assert validate(rule(), policy=edges) == {}
    upper = Policy(daily_limit=10_000, min_notice_minutes=525_600, buffer_minutes=1440, urgent_release_hours=8760)
    assert validate(rule(), policy=upper) == {}


def test_require_valid_schedule_raises_with_every_field():
    with pytest.raises(ScheduleInvalid) as caught:
        require_valid_schedule([rule(0, (12, 0), (9, 0)), rule(9)], MONDAY, MONDAY, Policy(horizon_days=0))
    assert {"rules.0.end", "rules.1.weekday", "valid_till", "policy.horizon_days"} <= set(caught.value.fields)
    require_valid_schedule([rule()], MONDAY, None, Policy())  # a valid schedule raises nothing


rule_strategy = st.builds(
    lambda wd, start, length: WeeklyRule(wd, time(start // 12, start % 12 * 5), _end(start, length)),
    st.integers(0, 2),
    st.integers(0, 24 * 12 - 4),
    st.integers(3, 48),
)


def _end(start_cell, length):
    end = min(start_cell + length, 24 * 12 - 1)
    return time(end // 12, end % 12 * 5)


def _overlap(a, b):
    return a.weekday == b.weekday and a.start < b.end and b.start < a.end


@settings(max_examples=200, deadline=None)
@given(st.lists(rule_strategy, min_size=1, max_size=6))
def test_property_validate_rejects_every_overlapping_pair(rules):
    errors = validate_schedule(rules, MONDAY, None, Policy())
    for j, b in enumerate(rules):
        if any(_overlap(a, b) for a in rules[:j]):
            assert f"rules.{j}" in errors
        else:
            assert f"rules.{j}" not in errors
    assert bool(errors) == any(_overlap(a, b) for j, b in enumerate(rules) for a in rules[:j])


# --- expand_windows ------------------------------------------------------------------------------------------


def schedule(*rules, valid_from=date(2026, 1, 1), valid_till=None):
    return Schedule(valid_from, valid_till, tuple(rules), Policy())


def test_expands_each_weekday_rule_in_utc():
    windows = expand_windows([schedule(rule(0), rule(2, (14, 0), (16, 0)))], [], LONDON, MONDAY, MONDAY + timedelta(6))
    assert [(w.start, w.end, w.local_date) for w in windows] == [
        (datetime(2026, 3, 23, 9), datetime(2026, 3, 23, 12), MONDAY),
        (datetime(2026, 3, 25, 14), datetime(2026, 3, 25, 16), date(2026, 3, 25)),
    ]
    assert windows[0].origin == windows[0].start


def test_wall_clock_survives_dst():
    windows = expand_windows([schedule(rule(0))], [], LONDON, MONDAY, MONDAY + timedelta(7))
    assert [w.start for w in windows] == [datetime(2026, 3, 23, 9), datetime(2026, 3, 30, 8)]
    assert {to_local(w.start, LONDON).time() for w in windows} == {time(9)}


def test_rule_inside_the_spring_gap_starts_when_the_clocks_jump():
    sunday = date(2026, 3, 29)
    windows = expand_windows([schedule(rule(6, (1, 30), (3, 0)))], [], LONDON, sunday, sunday)
    assert [(w.start, w.end) for w in windows] == [(datetime(2026, 3, 29, 1), datetime(2026, 3, 29, 2))]


def test_picks_the_schedule_covering_each_day_and_the_latest_wins():
    old = schedule(rule(0), valid_till=date(2026, 3, 30))
    new = schedule(rule(0, (13, 0), (15, 0)), valid_from=date(2026, 3, 30))
    override = schedule(rule(0, (7, 0), (8, 0)), valid_from=date(2026, 4, 6), valid_till=date(2026, 4, 7))
    windows = expand_windows([old, new, override], [], LONDON, MONDAY, date(2026, 4, 13))
    assert [to_local(w.start, LONDON).hour for w in windows] == [9, 13, 7, 13]


def test_no_schedule_no_windows_and_an_empty_range():
    assert expand_windows([], [], LONDON, MONDAY, MONDAY + timedelta(6)) == []
    assert expand_windows([schedule(rule(0))], [], LONDON, MONDAY, MONDAY - timedelta(1)) == []
    future = schedule(rule(0), valid_from=date(2027, 1, 1))
    assert expand_windows([future], [], LONDON, MONDAY, MONDAY) == []


def test_leave_splits_the_window_and_keeps_rule_and_origin():
    leave = AvailabilityException(datetime(2026, 3, 23, 10, 7), datetime(2026, 3, 23, 10, 20), False, "dentist")
    windows = expand_windows([schedule(rule(0))], [leave], LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(10, 7)), (time(10, 20), time(12))]
    assert {w.rule for w in windows} == {rule(0)}
    assert {w.origin for w in windows} == {datetime(2026, 3, 23, 9)}


def test_leave_covering_the_whole_day_removes_it():
    leave = AvailabilityException(datetime(2026, 3, 22), datetime(2026, 3, 24), False)
    assert expand_windows([schedule(rule(0))], [leave], LONDON, MONDAY, MONDAY) == []


def test_added_time_becomes_a_slots_window_for_every_type():
    extra = AvailabilityException(datetime(2026, 3, 24, 18), datetime(2026, 3, 24, 20), True, "evening clinic")
    (window,) = expand_windows([schedule(rule(0))], [extra], LONDON, date(2026, 3, 24), date(2026, 3, 24), 20)
    assert (window.start, window.end, window.local_date) == (extra.start, extra.end, date(2026, 3, 24))
    assert (window.rule.kind, window.rule.slot_minutes, window.rule.appointment_types) == ("slots", 20, frozenset())
    assert (window.rule.weekday, window.rule.start, window.rule.end) == (1, time(18), time(20))


def test_added_time_only_fills_what_the_rules_do_not_cover():
    extra = AvailabilityException(datetime(2026, 3, 23, 8), datetime(2026, 3, 23, 13), True)
    windows = expand_windows([schedule(rule(0, slot_minutes=30))], [extra], LONDON, MONDAY, MONDAY)
    assert [(w.start.hour, w.end.hour, w.rule.slot_minutes) for w in windows] == [(8, 9, 15), (9, 12, 30), (12, 13, 15)]
    assert windows[2].origin == extra.start  # the extra grid stays aligned to the exception's own start


def test_leave_wins_over_added_time():
    extra = AvailabilityException(datetime(2026, 3, 24, 18), datetime(2026, 3, 24, 20), True)
    leave = AvailabilityException(datetime(2026, 3, 24, 17), datetime(2026, 3, 24, 19), False)
    windows = expand_windows([], [extra, leave], LONDON, date(2026, 3, 24), date(2026, 3, 24))
    assert [(w.start.hour, w.end.hour) for w in windows] == [(19, 20)]


def test_added_time_across_midnight_is_split_per_local_day():
    extra = AvailabilityException(datetime(2026, 3, 24, 22), datetime(2026, 3, 25, 2), True)
    windows = expand_windows([], [extra], LONDON, date(2026, 3, 24), date(2026, 3, 25))
    assert [(w.start, w.end, w.local_date) for w in windows] == [
        (datetime(2026, 3, 24, 22), datetime(2026, 3, 25), date(2026, 3, 24)),
        (datetime(2026, 3, 25), datetime(2026, 3, 25, 2), date(2026, 3, 25)),
    ]
    assert windows[0].rule.end == time.max
    assert {w.origin for w in windows} == {extra.start}


def test_added_time_is_clipped_to_the_requested_days():
    extra = AvailabilityException(datetime(2026, 3, 24, 22), datetime(2026, 3, 25, 2), True)
    windows = expand_windows([], [extra], LONDON, date(2026, 3, 25), date(2026, 3, 25))
    assert [(w.start, w.end) for w in windows] == [(datetime(2026, 3, 25), datetime(2026, 3, 25, 2))]
    assert windows[0].origin == extra.start


def test_overlapping_rules_are_clipped_so_windows_never_overlap():
    windows = expand_windows([schedule(rule(0), rule(0, (11, 0), (13, 0)))], [], LONDON, MONDAY, MONDAY)
    assert [(w.start.hour, w.end.hour) for w in windows] == [(9, 12), (12, 13)]
    assert windows[1].origin == datetime(2026, 3, 23, 11)


def test_window_is_a_frozen_dataclass():
    window = Window(datetime(2026, 3, 23, 9), datetime(2026, 3, 23, 12), MONDAY, rule())
    assert window.origin is None
    with pytest.raises(AttributeError):
        window.start = datetime(2026, 3, 23, 10)  # type: ignore[misc]


# --- pinned edges and interactions (the mutation run, docs/testing.md) --------------------------------------------


def test_the_valid_till_day_is_excluded_and_the_valid_from_day_included():
    week = schedule(rule(0), rule(1), rule(2), valid_from=date(2026, 3, 24), valid_till=date(2026, 3, 25))
    windows = expand_windows([week], [], LONDON, MONDAY, MONDAY + timedelta(2))
    assert [w.local_date for w in windows] == [date(2026, 3, 24)]  # Tuesday only: Monday before, Wednesday after
    assert validate(valid_from=MONDAY, valid_till=MONDAY) == {"valid_till": "Must be after the first valid day."}
    assert validate(valid_from=MONDAY, valid_till=MONDAY + timedelta(1)) == {}


def test_the_latest_valid_from_wins_whatever_the_order():
    old = schedule(rule(0), valid_from=date(2026, 1, 1))
    new = schedule(rule(0, (13, 0), (15, 0)), valid_from=MONDAY)
    for order in ([old, new], [new, old]):
        assert [w.start.hour for w in expand_windows(order, [], LONDON, MONDAY, MONDAY)] == [13]


def test_two_overlapping_leaves_cut_their_union():
    leaves = [AvailabilityException(datetime(2026, 3, 23, 10), datetime(2026, 3, 23, 11), False),
              AvailabilityException(datetime(2026, 3, 23, 9, 30), datetime(2026, 3, 23, 10, 30), False)]
    windows = expand_windows([schedule(rule(0))], leaves, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(9, 30)), (time(11), time(12))]
    inside = [AvailabilityException(datetime(2026, 3, 23, 9, 30), datetime(2026, 3, 23, 11), False),
              AvailabilityException(datetime(2026, 3, 23, 10), datetime(2026, 3, 23, 10, 30), False)]
    windows = expand_windows([schedule(rule(0))], inside, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(9, 30)), (time(11), time(12))]


def test_two_touching_leaves_leave_no_sliver():
    leaves = [AvailabilityException(datetime(2026, 3, 23, 10), datetime(2026, 3, 23, 10, 30), False),
              AvailabilityException(datetime(2026, 3, 23, 10, 30), datetime(2026, 3, 23, 11), False)]
    windows = expand_windows([schedule(rule(0))], leaves, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(10)), (time(11), time(12))]


def test_two_overlapping_added_times_make_one_window():
    extra = [AvailabilityException(datetime(2026, 3, 24, 19), datetime(2026, 3, 24, 20), True),
             AvailabilityException(datetime(2026, 3, 24, 18), datetime(2026, 3, 24, 19, 30), True),
             AvailabilityException(datetime(2026, 3, 24, 21), datetime(2026, 3, 24, 21), True)]  # empty: dropped
    windows = expand_windows([], extra, LONDON, date(2026, 3, 24), date(2026, 3, 24))
    assert [(w.start, w.end, w.origin) for w in windows] == [
        (datetime(2026, 3, 24, 18), datetime(2026, 3, 24, 20), datetime(2026, 3, 24, 18))]


def test_leave_touching_a_window_s_edges_cuts_nothing():
    leaves = [AvailabilityException(datetime(2026, 3, 23, 8), datetime(2026, 3, 23, 9), False),
              AvailabilityException(datetime(2026, 3, 23, 12), datetime(2026, 3, 23, 13), False)]
    windows = expand_windows([schedule(rule(0))], leaves, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(12))]
    start_cut = [AvailabilityException(datetime(2026, 3, 23, 8), datetime(2026, 3, 23, 9, 15), False)]
    windows = expand_windows([schedule(rule(0))], start_cut, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time(), w.origin) for w in windows] == [
        (time(9, 15), time(12), datetime(2026, 3, 23, 9))]


def test_the_last_day_of_the_range_is_included():
    windows = expand_windows([schedule(rule(0), rule(1))], [], LONDON, MONDAY, MONDAY + timedelta(1))
    assert [w.local_date for w in windows] == [MONDAY, MONDAY + timedelta(1)]


def test_rule_error_field_names_and_messages():
    bad = WeeklyRule(7, time(9, 3), time(9, 1), kind="queue", slot_minutes=7, tokens_per_slot=0)
    assert validate(bad) == {
        "rules.0.weekday": "Must be a weekday from 0 (Monday) to 6 (Sunday).",
        "rules.0.kind": "Must be 'slots' or 'tokens'.",
        "rules.0.slot_minutes": "Must be a multiple of 5 between 5 and 240.",
        "rules.0.tokens_per_slot": "Must be between 1 and 100.",
        "rules.0.start": "Must be on a 5-minute boundary.",
        "rules.0.end": "Must be on a 5-minute boundary.",
    }
    assert validate(rule(0), rule(0, (9, 0), (9, 0))) == {"rules.1.end": "Must be after the start."}
    short = rule(0, (9, 0), (9, 10), slot_minutes=15)
    assert validate(short) == {"rules.0.end": "The window is shorter than one slot."}
    assert validate(rule(0, (9, 0), (9, 15), slot_minutes=15, tokens_per_slot=100)) == {}
    assert validate(rule(0), rule(0, (11, 0), (13, 0))) == {"rules.1": "Overlaps another Monday rule (09:00-12:00)."}


def test_policy_error_field_names_at_both_ends():
    assert validate(policy=Policy(horizon_days=0, daily_limit=0, min_notice_minutes=-1, buffer_minutes=3,
                                  urgent_share=0.51, urgent_release_hours=-1)) == {
        "policy.horizon_days": "Must be between 1 and 365 days.",
        "policy.daily_limit": "Must be between 1 and 10000 (or empty for no limit).",
        "policy.min_notice_minutes": "Must be between 0 and 525600 minutes (one year).",
        "policy.buffer_minutes": "Must be a multiple of 5 between 0 and 1440.",
        "policy.urgent_share": "Must be between 0 and 0.5.",
        "policy.urgent_release_hours": "Must be between 0 and 8760 hours (one year).",
    }
    assert set(validate(policy=Policy(horizon_days=366, daily_limit=10_001, min_notice_minutes=525_601,
                                      buffer_minutes=1445, urgent_release_hours=8761))) == {
        "policy.horizon_days", "policy.daily_limit", "policy.min_notice_minutes", "policy.buffer_minutes",
        "policy.urgent_release_hours"}
    assert validate(policy=Policy(horizon_days=365, daily_limit=10_000, min_notice_minutes=525_600,
                                  buffer_minutes=1440, urgent_share=0.5, urgent_release_hours=8760)) == {}


def test_schedule_invalid_carries_code_and_fields():
    with pytest.raises(ScheduleInvalid) as caught:
        require_valid_schedule([rule(0)], MONDAY, MONDAY, Policy())
    assert caught.value.code == "schedule_invalid"
    assert caught.value.to_dict()["code"] == "schedule_invalid"


def test_added_time_is_split_at_local_midnight_away_from_utc():
    berlin = ZoneInfo("Europe/Berlin")  # summer: UTC+2, so local midnight is 22:00 UTC
    extra = AvailabilityException(datetime(2026, 6, 1, 20), datetime(2026, 6, 1, 23, 30), True)
    windows = expand_windows([], [extra], berlin, date(2026, 6, 1), date(2026, 6, 2))
    assert [(w.start, w.end, w.local_date) for w in windows] == [
        (datetime(2026, 6, 1, 20), datetime(2026, 6, 1, 22), date(2026, 6, 1)),
        (datetime(2026, 6, 1, 22), datetime(2026, 6, 1, 23, 30), date(2026, 6, 2)),
    ]
    assert [(w.rule.weekday, w.rule.start, w.rule.end, w.rule.kind) for w in windows] == [
        (0, time(22), time.max, "slots"), (1, time(0), time(1, 30), "slots")]


def test_schedule_invalid_says_so():
    with pytest.raises(ScheduleInvalid) as caught:
        require_valid_schedule([rule(0)], MONDAY, MONDAY, Policy())
    assert caught.value.message == "The schedule has errors."
    assert caught.value.fields == {"valid_till": "Must be after the first valid day."}


def test_the_lower_policy_edges_are_valid():
    assert validate(policy=Policy(horizon_days=1, daily_limit=1, min_notice_minutes=0, buffer_minutes=0,
                                  urgent_share=0.0, urgent_release_hours=0)) == {}


def test_bad_rules_stay_out_of_the_overlap_check():
    sunday = WeeklyRule(6, time(9), time(12))
    assert validate(sunday, WeeklyRule(6, time(11), time(13))) == {
        "rules.1": "Overlaps another Sunday rule (09:00-12:00)."}
    eighth = WeeklyRule(7, time(9), time(12))
    message = "Must be a weekday from 0 (Monday) to 6 (Sunday)."
    assert validate(eighth, WeeklyRule(7, time(10), time(11))) == {"rules.0.weekday": message,
                                                                   "rules.1.weekday": message}
    assert validate(rule(0), rule(0, (10, 0), (10, 0))) == {"rules.1.end": "Must be after the start."}
    assert validate(rule(0), rule(0, (11, 0), (10, 0))) == {"rules.1.end": "Must be after the start."}


def test_leave_from_a_window_s_start_or_to_its_end_leaves_no_empty_window():
    from_start = [AvailabilityException(datetime(2026, 3, 23, 9), datetime(2026, 3, 23, 9, 30), False)]
    windows = expand_windows([schedule(rule(0))], from_start, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9, 30), time(12))]
    to_end = [AvailabilityException(datetime(2026, 3, 23, 11, 30), datetime(2026, 3, 23, 12), False)]
    windows = expand_windows([schedule(rule(0))], to_end, LONDON, MONDAY, MONDAY)
    assert [(w.start.time(), w.end.time()) for w in windows] == [(time(9), time(11, 30))]


def test_two_touching_added_times_make_one_window_on_one_grid():
    extra = [AvailabilityException(datetime(2026, 3, 24, 18), datetime(2026, 3, 24, 19), True),
             AvailabilityException(datetime(2026, 3, 24, 19), datetime(2026, 3, 24, 20), True)]
    windows = expand_windows([], extra, LONDON, date(2026, 3, 24), date(2026, 3, 24))
    assert [(w.start.hour, w.end.hour, w.origin.hour) for w in windows] == [(18, 20, 18)]


def test_added_time_is_clipped_to_the_local_days_asked_for():
    berlin = ZoneInfo("Europe/Berlin")  # 2 June in Berlin is 1 June 22:00 to 2 June 22:00 UTC
    extra = AvailabilityException(datetime(2026, 6, 1, 20), datetime(2026, 6, 2, 23), True)
    windows = expand_windows([], [extra], berlin, date(2026, 6, 2), date(2026, 6, 2))
    assert [(w.start, w.end, w.local_date) for w in windows] == [
        (datetime(2026, 6, 1, 22), datetime(2026, 6, 2, 22), date(2026, 6, 2))]


def test_a_rule_wholly_inside_the_spring_gap_makes_no_window():
    sunday = date(2026, 3, 29)  # London jumps from 01:00 to 02:00
    assert expand_windows([schedule(rule(6, (1, 10), (1, 40)))], [], LONDON, sunday, sunday) == []
