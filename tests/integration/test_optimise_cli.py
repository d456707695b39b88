"""`flask --app wsgi optimise bench` (docs/optimiser.md, "Bench"): one JSON line with the contract's fields."""
import json

CONTRACT = ("solver", "status", "seconds", "objective", "greedy_objective", "placed", "urgent_placed_within_48h")


def _line(res) -> dict:
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_bench_prints_one_contract_line_and_beats_or_equals_the_greedy(runner):
    figures = _line(runner.invoke(args=["optimise", "bench", "--requests", "80", "--slots", "300", "--seed", "3",
                                        "--time-limit", "20"]))
    assert set(CONTRACT) <= set(figures)
    assert (figures["solver"], figures["status"]) == ("highs", "optimal")
    assert figures["objective"] >= figures["greedy_objective"] > 0
    assert (figures["requests"], figures["slots"]) == (80, 300)
    assert 0 < figures["placed"] <= 80
    assert 0 <= figures["urgent_placed_within_48h"] <= figures["urgent_placed"] <= figures["urgent_requests"]
    assert figures["overbooking_seats"] > 0 and figures["variables"] <= 2 * figures["pairs"]
    again = _line(runner.invoke(args=["optimise", "bench", "--requests", "80", "--slots", "300", "--seed", "3",
                                      "--time-limit", "20"]))
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in figures.items() if k != "seconds"}


def test_bench_with_the_greedy_or_no_time_reports_the_fallback(runner):
    greedy = _line(runner.invoke(args=["optimise", "bench", "--requests", "40", "--slots", "100", "--solver",
                                       "greedy"]))
    assert (greedy["solver"], greedy["status"]) == ("greedy", "fallback")
    assert greedy["objective"] == greedy["greedy_objective"]
    rushed = _line(runner.invoke(args=["optimise", "bench", "--requests", "40", "--slots", "100", "--time-limit",
                                       "0"]))
    assert (rushed["solver"], rushed["status"], rushed["note"]) == ("greedy", "fallback", "no time left for the solver")


def test_bench_of_nothing_is_a_valid_line(runner):
    empty = _line(runner.invoke(args=["optimise", "bench", "--requests", "0", "--slots", "0"]))
    assert (empty["placed"], empty["objective"], empty["status"]) == (0, 0, "optimal")


def test_bench_refuses_a_negative_size(runner):
    res = runner.invoke(args=["optimise", "bench", "--requests", "-1"])
    assert res.exit_code == 2 and "--requests" in res.output
