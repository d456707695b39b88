"""The load run's users arrive at the spawn rate, not in locust's one-second steps (docs/benchmarks.md, "Arrivals")."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.load_run import arguments, arrival_spread

ROOT = Path(__file__).resolve().parents[2]

# a fresh interpreter: importing locust patches the standard library for gevent, which this process must not see
PROBE = """
import json, sys
sys.path.insert(0, "benchmarks/load")
import locustfile
from locust.env import Environment
locustfile.Patient.host = "http://127.0.0.1:1"
environment = Environment(user_classes=[locustfile.Patient])
slept = []
locustfile.gevent.sleep = lambda seconds=0, *rest: slept.append(seconds)
for _ in range(40):
    locustfile.Patient(environment).on_start()
print(json.dumps(slept))
"""


def _first_round_waits(tmp_path: Path, spread: float) -> list[float]:
    plan = {"tokens": ["t"], "specialties": [1], "cities": [], "from": "2026-12-05", "to": "2026-12-18",
            "radius_km": 50, "pick_first": 5, "wait": [5, 10], "arrival_spread": spread}
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    env = dict(os.environ, LOAD_PLAN=str(tmp_path / "plan.json"), LOAD_TALLY=str(tmp_path / "tally.json"))
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_each_user_waits_a_random_part_of_the_dispatch_step_before_its_first_round(tmp_path):
    waits = _first_round_waits(tmp_path, 1.0)
    assert len(waits) == 40
    assert all(0 <= w <= 1.0 for w in waits)
    assert len(set(waits)) == 40  # drawn apart for each user, not one shared delay


def test_batched_arrivals_start_at_once(tmp_path):
    assert _first_round_waits(tmp_path, 0.0) == []


@pytest.mark.parametrize(("rate", "arrivals", "spread"), [
    (50, "even", 1.0),  # locust starts 50 users every second: each waits up to a second
    (1, "even", 1.0),
    (50, "batched", 0.0),
])
def test_the_spread_is_one_step_of_locusts_dispatcher(rate, arrivals, spread):
    assert arrival_spread(rate, arrivals) == pytest.approx(spread)


def test_even_arrivals_are_the_default():
    assert arguments().parse_args([]).arrivals == "even"
