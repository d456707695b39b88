"""Live availability over real Socket.IO: one server in a thread, then two server processes joined by Redis.

A python-socketio client joins a doctor's room (event `watch`) and waits on a queue for `slot.changed`; the booking
goes through the REST API with a bearer token, as any client would.
"""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time as clock
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import requests
import socketio
from werkzeug.serving import make_server

from app import scheduling as core
from app.models import Role
from tests.conftest import ROOT

LONDON = ZoneInfo("Europe/London")
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
SERVER = """
import sys
from app import create_app
from app.extensions import socketio
app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1], SOCKETIO_MESSAGE_QUEUE=sys.argv[2])
socketio.run(app, host="127.0.0.1", port=int(sys.argv[3]), allow_unsafe_werkzeug=True, log_output=False)
"""


def start_iso(days: int, hh: int, mm: int = 0) -> str:
    day = date.today() + timedelta(days=days)
    return core.to_local(core.to_utc(day, time(hh, mm), LONDON), LONDON).isoformat()


@pytest.fixture
def clinic(make, runner):
    hospital = make.hospital(name="Thames Hospital")
    cardio = make.specialty()
    watched, other = make.doctor(hospital, cardio), make.doctor(hospital, cardio)
    make.schedule(watched, hospital)
    make.schedule(other, hospital)
    user = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", user.email]).output.strip().splitlines()[-1]
    return {"hospital": hospital, "watched": watched, "other": other, "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def listeners():
    clients = []

    def listen(url: str, doctor_ids: list[int]) -> queue.Queue:
        events: queue.Queue = queue.Queue()
        client = socketio.Client()
        client.on("slot.changed", events.put)
        client.connect(url, transports=["polling"], wait_timeout=10)
        clients.append(client)
        assert client.call("watch", {"doctors": doctor_ids}, timeout=10) == {"ok": True, "rooms": len(doctor_ids)}
        return events

    yield listen
    for client in clients:
        client.disconnect()


def next_event(events: queue.Queue, start: str, timeout: float = 10) -> dict:
    """The first event for `start`; others (another test run sharing the Redis database) are skipped."""
    deadline = clock.monotonic() + timeout
    while True:
        event = events.get(timeout=max(0.01, deadline - clock.monotonic()))
        if event["start"] == start:
            return event


def test_booking_reaches_watchers_of_that_doctor_only(clinic, live_url, listeners):
    events = listeners(live_url, [clinic["watched"].id])
    other_start, start = start_iso(3, 9), start_iso(3, 10)
    res = requests.post(f"{live_url}/api/v1/appointments", json={"doctor_id": clinic["other"].id,
                                                                  "start": other_start},
                        headers=clinic["headers"], timeout=10)
    assert res.status_code == 201
    res = requests.post(f"{live_url}/api/v1/appointments", json={"doctor_id": clinic["watched"].id, "start": start},
                        headers=clinic["headers"], timeout=10)
    assert res.status_code == 201
    event = events.get(timeout=10)  # the other doctor's booking, sent first, never arrives
    assert event == {"doctor_id": clinic["watched"].id, "hospital_id": clinic["hospital"].id, "start": start,
                     "end": start_iso(3, 10, 15), "status": "booked"}
    appointment_id = res.json()["id"]
    requests.post(f"{live_url}/api/v1/appointments/{appointment_id}/cancel", json={"reason": "better"},
                  headers=clinic["headers"], timeout=10)
    assert events.get(timeout=10)["status"] == "freed"


def test_watch_ignores_garbage(live_url):
    client = socketio.Client()
    client.connect(live_url, transports=["polling"], wait_timeout=10)
    try:
        assert client.call("watch", "nonsense", timeout=10) == {"ok": False, "rooms": 0}
        assert client.call("watch", {"doctors": ["x", 3, "4"]}, timeout=10) == {"ok": True, "rooms": 2}
    finally:
        client.disconnect()


# --- two processes, one Redis ---

def redis_or_skip() -> None:
    """In CI a missing Redis is a failure; on a laptop without Redis the test is skipped, saying why."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_TEST_URL} is unreachable and CI=true: {err}")
        pytest.skip(f"Redis at {REDIS_TEST_URL} is unreachable ({err}); set REDIS_TEST_URL or start Redis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_servers(app):
    redis_or_skip()
    processes = []
    urls = []
    for _ in range(2):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-c", SERVER, app.config["SQLALCHEMY_DATABASE_URI"], REDIS_TEST_URL, str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for process, url in zip(processes, urls, strict=True):
            wait_until_up(process, url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def wait_until_up(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server process for {url} exited: {process.stderr.read()[-2000:]}")
        try:
            if requests.get(f"{url}/api/v1/specialties", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            threading.Event().wait(0.1)  # the port is not open yet, or the server is still starting on a busy machine
    pytest.fail(f"server at {url} did not answer within {timeout} s")


def test_event_crosses_processes_through_redis(clinic, two_servers, listeners):
    booking_server, watching_server = two_servers
    events = listeners(watching_server, [clinic["watched"].id])
    start = start_iso(4, 11)
    res = requests.post(f"{booking_server}/api/v1/appointments",
                        json={"doctor_id": clinic["watched"].id, "start": start}, headers=clinic["headers"],
                        timeout=10)
    assert res.status_code == 201, res.text
    event = next_event(events, start)
    assert event["status"] == "booked" and event["doctor_id"] == clinic["watched"].id
