"""Idle gaps per session under "earliest" and "best for you" (app/scheduling/simulation_gaps.py)."""
from app.scheduling.scoring import FitWeights
from app.scheduling.simulation_gaps import GapParams, _Event, gap_figures, idle_gaps, play_session


def test_idle_gaps_count_the_free_runs_between_the_first_and_last_booking():
    assert idle_gaps(set()) == (0, 0)
    assert idle_gaps({2, 3, 4}) == (0, 0)
    assert idle_gaps({0, 2, 3, 6}) == (2, 3)


def test_best_fills_next_to_a_booking_where_earliest_opens_a_gap():
    p = GapParams(slots=14, choice=1)  # 10:00 to 13:30: slot 8 is 12:00, the first of the afternoon
    events = [_Event(False, 0.0, "afternoon"), _Event(False, 0.0, None)]
    assert play_session(events, "earliest", p, FitWeights()) == {0, 8}
    assert play_session(events, "best", p, FitWeights()) == {7, 8}
    assert idle_gaps({0, 8}) == (1, 7)


def test_the_figures_are_deterministic_and_best_leaves_fewer_gaps():
    one, again = gap_figures(1, 200), gap_figures(1, 200)
    assert one == again and one["gap_sessions"] == 200
    assert one["idle_gaps_per_session_best"] < one["idle_gaps_per_session_earliest"]
    assert one["idle_minutes_per_session_best"] < one["idle_minutes_per_session_earliest"]
