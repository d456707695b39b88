"""Locust users for benchmarks/load_run.py: search free slots, then try to book one of them.

Run by the runner (which seeds the database, starts gunicorn and writes the plan), not by `make bench`:

    locust -f benchmarks/load/locustfile.py --headless -u 200 -r 50 -t 60s --host http://127.0.0.1:PORT

Environment: LOAD_PLAN names the runner's JSON plan {"tokens", "specialties", "cities", "from", "to", "radius_km",
"pick_first", "wait", "arrival_spread"}; LOAD_TALLY names the JSON file this process writes when it quits: every
request's kind, status, error code and time, so the runner counts bookings, 409s and errors itself, and any exception
raised here.

Each user is one patient with a bearer token. Before its first round it waits a random part of "arrival_spread"
seconds: locust starts a second's users at one instant, and patients do not arrive in step (load_run.py,
"Arrivals"). Per round it searches GET /api/v1/slots (a random specialty, the plan's dates, a city and radius for a
quarter of the searches), picks one of the earliest `pick_first` results at random (people go for the earliest, so
users collide) and books it through POST /api/v1/appointments. 201 is a booking and 409 a normal outcome (taken
meanwhile, or the patient is busy then); 5xx, connection failures and any other status count as failures.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import time

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)
CITY_SHARE = 0.25
_patients = itertools.count()
TALLY: dict = {"requests": [], "started": None, "stopped": None, "client_exceptions": []}


@events.test_start.add_listener
def _started(**_kwargs) -> None:
    TALLY["started"] = time.time()


@events.test_stop.add_listener
def _stopped(**_kwargs) -> None:
    TALLY["stopped"] = time.time()


@events.user_error.add_listener
def _client_exception(user_instance, exception, tb, **_kwargs) -> None:
    TALLY["client_exceptions"].append(repr(exception)[:300])  # a defect of this file, not of the server


@events.quitting.add_listener
def _write_tally(**_kwargs) -> None:
    if TALLY["stopped"] is None:
        TALLY["stopped"] = time.time()
    with open(os.environ["LOAD_TALLY"], "w", encoding="utf-8") as out:
        json.dump(TALLY, out)


def _record(kind: str, response, started: float) -> None:
    code = None
    if response.status_code >= 400:
        try:
            code = (response.json() or {}).get("error")
        except Exception:  # noqa: BLE001  (an HTML error page or no body at all)
            code = None
    # the fifth field: when the request was sent, in seconds since the run started (the runner's p95 per window)
    TALLY["requests"].append([kind, response.status_code, code, round((time.perf_counter() - started) * 1000, 2),
                              round(time.time() - (TALLY["started"] or time.time()) - (time.perf_counter() - started),
                                    3)])


class Patient(FastHttpUser):
    wait_time = between(*PLAN["wait"])
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self) -> None:
        tokens = PLAN["tokens"]
        self.token = tokens[next(_patients) % len(tokens)]
        self.rng = random.Random()
        if PLAN.get("arrival_spread"):
            gevent.sleep(self.rng.uniform(0, PLAN["arrival_spread"]))

    @task
    def search_and_book(self) -> None:
        params = {"specialty": str(self.rng.choice(PLAN["specialties"])), "from": PLAN["from"], "to": PLAN["to"]}
        if PLAN["cities"] and self.rng.random() < CITY_SHARE:
            params.update(city=self.rng.choice(PLAN["cities"]), radius_km=str(PLAN["radius_km"]))
        started = time.perf_counter()
        with self.client.get("/api/v1/slots", params=params, name="GET /api/v1/slots",
                             catch_response=True) as response:
            _record("search", response, started)
            if response.status_code != 200:
                response.failure(f"search answered {response.status_code}")
                return
            slots = (response.json() or {}).get("slots") or []
        if not slots:
            return
        slot = self.rng.choice(slots[:PLAN["pick_first"]])
        body = {"doctor_id": slot["doctor_id"], "hospital_id": slot["hospital_id"], "start": slot["start"],
                "appointment_type": slot["appointment_type"]}
        started = time.perf_counter()
        with self.client.post("/api/v1/appointments", json=body, name="POST /api/v1/appointments",
                              headers={"Authorization": f"Bearer {self.token}"}, catch_response=True) as response:
            _record("book", response, started)
            if response.status_code in (201, 409):
                response.success()
            else:
                response.failure(f"booking answered {response.status_code}")
