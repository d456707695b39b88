"""Unit tests for app.scheduling.scoring: the weights of a suggestion and the ranking of candidates."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.scoring import (
    ADJACENT_BONUS,
    GAP_CAP,
    OVERBOOKED,
    PER_DAY,
    PREFERRED_BONUS,
    ROOM_SWITCH,
    best_suggestions,
    score_slot,
)
from app.scheduling.slots import Busy, FreeSlot

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 1, 6)  # 08:00 in Berlin


def slot(day=2, hour=8, minute=0, length=15):
    start = datetime(2026, 6, day, hour, minute)  # UTC; Berlin is two hours ahead in June
    return FreeSlot(start, start + timedelta(minutes=length), date(2026, 6, day), "slots", 1, False)


def score(s, **kw):
    return score_slot(s, **{"tz": BERLIN, "now": NOW, **kw})


def test_earlier_is_better_by_ten_points_a_day():
    assert score(slot(day=2)) == pytest.approx(PER_DAY * (26 / 24))
    assert score(slot(day=2)) < score(slot(day=3))
    assert score(slot(day=3)) - score(slot(day=2)) == pytest.approx(PER_DAY)


@pytest.mark.parametrize(
    ("hour_utc", "band"),
    [(8, "morning"), (9, "morning"), (10, "afternoon"), (14, "afternoon"), (15, "evening"), (19, "evening")],
)
def test_preferred_band_uses_local_time(hour_utc, band):
    s = slot(hour=hour_utc)
    assert score(s, preferred=band) == pytest.approx(score(s) + PREFERRED_BONUS)
    others = {"morning", "afternoon", "evening"} - {band}
    assert all(score(s, preferred=other) == score(s) for other in others)


def test_unknown_preference_is_ignored():
    assert score(slot(), preferred="night") == score(slot())


def test_compactness_rewards_adjacency_and_penalises_gaps():
    s = slot(hour=8)  # 08:00-08:15 UTC
    adjacent = [Busy(datetime(2026, 6, 2, 8, 15), datetime(2026, 6, 2, 8, 30))]
    after_buffer = [Busy(datetime(2026, 6, 2, 7, 30), datetime(2026, 6, 2, 7, 55))]
    hour_gap = [Busy(datetime(2026, 6, 2, 9, 15), datetime(2026, 6, 2, 9, 30))]
    far = [Busy(datetime(2026, 6, 2, 16), datetime(2026, 6, 2, 16, 15))]
    base = score(s)
    assert score(s, day_busy=adjacent) == pytest.approx(base + ADJACENT_BONUS)
    assert score(s, day_busy=after_buffer) == pytest.approx(base + ADJACENT_BONUS)
    assert score(s, day_busy=hour_gap) == pytest.approx(base + 2.0)
    assert score(s, day_busy=far) == pytest.approx(base + GAP_CAP)
    assert score(s, day_busy=far + adjacent) == pytest.approx(base + ADJACENT_BONUS)  # the nearest booking counts


def test_room_switch_penalty_only_when_both_rooms_are_known_and_differ():
    base = score(slot())
    assert score(slot(), previous_room="A", slot_room="B") == pytest.approx(base + ROOM_SWITCH)
    assert score(slot(), previous_room="A", slot_room="A") == base
    assert score(slot(), previous_room=None, slot_room="B") == base


def test_overbooked_seats_are_always_last():
    far_future = slot(day=30)
    assert score(slot(), overbooked=True) > score(far_future, preferred="evening", previous_room="A", slot_room="B")
    assert score(slot(), overbooked=True) >= OVERBOOKED


def test_best_suggestions_ranks_and_passes_info_through():
    candidates = [
        (slot(day=4), {"doctor": 1}),
        (slot(day=2), {"doctor": 2, "overbooked": True}),
        (slot(day=3), {"doctor": 3, "previous_room": "A", "slot_room": "B"}),
        (slot(day=3, hour=15), {"doctor": 4}),
    ]
    best = best_suggestions(candidates, 3, tz=BERLIN, now=NOW, preferred="evening")
    assert [info["doctor"] for _, info in best] == [4, 3, 1]
    assert best[0] is candidates[3]


def test_best_suggestions_ties_go_to_the_earlier_start_then_input_order():
    a, b = slot(hour=8), slot(hour=8, minute=1)
    ranked = best_suggestions([(b, {"n": 0}), (a, {"n": 1}), (a, {"n": 2})], 3, tz=BERLIN, now=a.start)
    assert [info["n"] for _, info in ranked] == [1, 2, 0]


def test_best_suggestions_n_edges():
    candidates = [(slot(day=d), {}) for d in (2, 3)]
    assert best_suggestions(candidates, 0, tz=BERLIN, now=NOW) == []
    assert len(best_suggestions(candidates, 10, tz=BERLIN, now=NOW)) == 2
    assert best_suggestions([], 5, tz=BERLIN, now=NOW) == []
