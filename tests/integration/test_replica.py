"""The cluster's faults (docs/operations.md, "What fails how"), against real servers.

A primary and a read replica: two MariaDB servers of our own, made with mariadb-install-db in a temporary folder on
free ports, replicating by binary log with GTID (the machine's own server is left alone). Searches read the replica,
bookings go to the primary, a booked slot leaves the replica's search once the replica has applied the booking, a
slot is never booked twice, a replica that stops replicating or lags is skipped, and a replica that dies mid-run
costs nothing but a retried read. This runs in the MariaDB pass of the suite (.ci/run runs SQLite, then MariaDB), and
there it fails, never skips, when the servers cannot be made.

Beside it: Redis down (Socket.IO's message queue, the rate limits' counts), and bookings and logins go on.
"""
from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time as clock
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pymysql
import pytest
from sqlalchemy import event, func, select

from app import create_app
from app import scheduling as core
from app.celery_app import result_backend_for
from app.extensions import db
from app.models import Appointment, Role
from app.replica import BIND, ReplicaHealth, health, replica_lag
from tests.conftest import ROOT, Factory, IsolatedClient

ON_MARIADB = (os.environ.get("TEST_DATABASE_URL") or "").startswith("mysql")
STARTUP_SECONDS = 60
SERVER_OPTIONS = ("--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M", "--innodb-doublewrite=0",
                  "--innodb-flush-log-at-trx-commit=0")  # small and fast: nothing here must survive a power cut


# --- what decides, without servers ---

def test_replica_lag_reads_the_worst_channel_and_none_when_not_replicating():
    assert replica_lag([{"Seconds_Behind_Master": 0}]) == 0
    assert replica_lag([{"Seconds_Behind_Master": 2}, {"Seconds_Behind_Master": 9}]) == 9
    assert replica_lag([{"Seconds_Behind_Source": 4}]) == 4  # MySQL's name
    assert replica_lag([{"Seconds_Behind_Master": None}]) is None  # threads stopped or the primary lost
    assert replica_lag([{"Seconds_Behind_Master": 1}, {"Seconds_Behind_Master": None}]) is None
    assert replica_lag([]) is None  # not a replica of anything: never trusted to be current


def test_replica_health_asks_once_per_interval_and_skips_a_failed_replica_until_the_next():
    now = [0.0]
    answers = iter([True, True, False])

    class Probe(ReplicaHealth):
        asked = 0

        def check(self) -> bool:
            self.asked += 1
            return next(answers)

    probe = Probe(engine=None, max_lag=5, every=1, clock=lambda: now[0])
    assert probe.usable() and probe.usable() and probe.asked == 1
    probe.mark_down()
    assert not probe.usable() and probe.asked == 1
    now[0] = 1.0
    assert probe.usable() and probe.asked == 2
    now[0] = 2.5
    assert not probe.usable() and probe.asked == 3


def test_celery_on_rabbitmq_keeps_results_on_the_broker_as_replies():
    assert result_backend_for("amqp://guest:guest@127.0.0.1:5672//") == "rpc://"
    assert result_backend_for("pyamqp://rabbit//") == "rpc://"
    assert result_backend_for("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


# --- the routing rules, on two SQLite files: a primary and a frozen copy standing in for a replica ---

def test_marked_views_read_the_copy_while_bookings_and_logins_read_the_primary(tmp_path):
    primary, copy = tmp_path / "primary.sqlite", tmp_path / "copy.sqlite"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{primary}",
                     DATABASE_REPLICA_URL=f"sqlite:///{copy}", DATABASE_REPLICA_CHECK_SECONDS=3600,
                     # every search asks for the availability stamps, so each one shows which database it reads
                     SLOT_STAMP_CHECK_SECONDS=0, MAIL_FOLDER=str(tmp_path / "mail"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all(bind_key=None)
        make = Factory()
        hospital = make.hospital()
        cardio = make.specialty()
        doctor = make.doctor(hospital, cardio)
        make.schedule(doctor, hospital)
        alice = make.user(Role.PATIENT, email="alice@example.org")
        runner = app.test_cli_runner()

        def bearer(user) -> dict:
            token = runner.invoke(args=["users", "token", "--email", user.email]).output.strip().splitlines()[-1]
            return {"Authorization": f"Bearer {token}"}

        alice_headers = bearer(alice)
        cardio_id, doctor_id = cardio.id, doctor.id
        db.session.remove()
        with sqlite3.connect(primary) as source, sqlite3.connect(copy) as target:
            source.backup(target)  # the copy never hears of anything written from here on
        bob = make.user(Role.PATIENT, email="bob@example.org")
        bob_headers = bearer(bob)  # his token is on the primary only
        seen: list[str] = []
        event.listen(db.engines[BIND], "before_cursor_execute", lambda *args: seen.append(args[2]))
        client = app.test_client()
        day = date.today() + timedelta(days=3)
        search = f"/api/v1/slots?specialty={cardio_id}&from={day}&to={day}&limit=50"

        def starts() -> list[str]:
            res = client.get(search)
            assert res.status_code == 200, res.get_data(as_text=True)
            return [slot["start"] for slot in res.get_json()["slots"]]

        def book(headers: dict, start: str) -> int:
            return client.post("/api/v1/appointments", json={"doctor_id": doctor_id, "start": start},
                               headers=headers).status_code

        offered = starts()
        assert len(offered) == 12 and seen
        assert book(alice_headers, offered[0]) == 201
        assert starts() == offered  # the copy still offers it: searches read the copy ...
        assert book(bob_headers, offered[0]) == 409  # ... and the booking's check reads the primary
        # who is asking comes from the primary: bob's token, which the copy lacks, logs him in on a marked page
        page = client.get(f"/search?specialty={cardio_id}&from={day}", headers=bob_headers)
        assert page.status_code == 200 and "Log out" in page.get_data(as_text=True)
        assert not [sql for sql in seen if "api_tokens" in sql or "user_sessions" in sql]
        assert not [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")]

        # the copy breaks (here: its file is gone, so its tables are): the same request reads the primary instead
        db.engines[BIND].dispose()
        copy.unlink()
        assert starts() == offered[1:]
        assert not health().usable()


# --- a real primary and replica ---

def _binary(name: str) -> str:
    found = shutil.which(name) or next((str(p) for d in ("/usr/sbin", "/usr/local/sbin", "/usr/libexec")
                                        if (p := Path(d) / name).exists()), None)
    if found is None:
        pytest.fail(f"{name} is not installed: the replica test needs MariaDB's server package (apt-get install "
                    "mariadb-server), as the MariaDB pass of the suite does")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One mariadbd of our own: its data folder, socket and port under `root`."""

    def __init__(self, root: Path, name: str, server_id: int, *options: str):
        self.root, self.name, self.server_id, self.options = root, name, server_id, options
        self.datadir, self.socket, self.port = root / name, root / f"{name}.sock", _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        user = ["--user=root"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [_binary("mariadbd"), "--no-defaults", *user, f"--datadir={self.datadir}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.root / self.name}.pid",
             f"--log-error={self.root / self.name}.err", f"--server-id={self.server_id}", "--gtid-strict-mode=ON",
             "--performance-schema=OFF", *SERVER_OPTIONS, *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_up(self, deadline: float) -> None:
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mariadbd {self.name} exited ({self.process.returncode}): {self.log_tail()}")
            try:
                self.sql("SELECT 1")
                return
            except pymysql.err.OperationalError:
                clock.sleep(0.05)  # poll the socket until the server answers, within the deadline
        pytest.fail(f"mariadbd {self.name} did not answer within {STARTUP_SECONDS} s: {self.log_tail()}")

    def sql(self, statement: str, *args) -> list[tuple]:
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, args or None)
                return list(cur.fetchall())
        finally:
            conn.close()

    def url(self) -> str:
        return f"mysql+pymysql://waitless:waitless@127.0.0.1:{self.port}/waitless?charset=utf8mb4"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def log_tail(self) -> str:
        path = self.root / f"{self.name}.err"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no error log)"


def _install(datadir: Path) -> None:
    done = subprocess.run(
        [_binary("mariadb-install-db"), "--no-defaults", f"--datadir={datadir}", f"--user={getpass.getuser()}",
         "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-log-bin", *SERVER_OPTIONS],
        capture_output=True, text=True, timeout=STARTUP_SECONDS)
    if done.returncode != 0:
        pytest.fail(f"mariadb-install-db failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")


def caught_up(primary: Server, replica: Server) -> None:
    """Wait until the replica has applied everything the primary has written (MASTER_GTID_WAIT: bounded)."""
    position = primary.sql("SELECT @@gtid_binlog_pos")[0][0]
    waited = replica.sql("SELECT MASTER_GTID_WAIT(%s, 30)", position)[0][0]
    assert waited == 0, f"the replica did not reach {position} in 30 s: {replica.sql('SHOW REPLICA STATUS')}"


@pytest.fixture(scope="module")
def pair():
    """A primary with a binary log and a read-only replica following it by GTID, each with a `waitless` user."""
    root = Path(tempfile.mkdtemp(prefix="wl-replica-"))  # short: a socket's path has at most 107 characters
    primary = Server(root, "primary", 1, f"--log-bin={root / 'primary' / 'bin'}", "--binlog-format=ROW")
    replica = Server(root, "replica", 2, "--read-only=ON", f"--relay-log={root / 'replica' / 'relay'}")
    try:
        _install(primary.datadir)
        shutil.copytree(primary.datadir, replica.datadir)  # the same empty start: the binary log replays the rest
        deadline = clock.monotonic() + STARTUP_SECONDS
        primary.start()
        replica.start()
        primary.wait_up(deadline)
        replica.wait_up(deadline)
        for statement in (
            "CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl'",
            "GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'",
            "CREATE USER waitless@'127.0.0.1' IDENTIFIED BY 'waitless'",
            "GRANT ALL ON waitless.* TO waitless@'127.0.0.1'",
            "GRANT SLAVE MONITOR ON *.* TO waitless@'127.0.0.1'",  # SHOW REPLICA STATUS: the lag check
            "CREATE DATABASE waitless CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        ):
            primary.sql(statement)
        replica.sql(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, MASTER_USER='repl', "
                    "MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1")
        replica.sql("START SLAVE")
        caught_up(primary, replica)
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def poll_until(condition, what: str, seconds: float = 30) -> None:
    deadline = clock.monotonic() + seconds
    while not condition():
        if clock.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        clock.sleep(0.1)  # polling a server's state, within the deadline


class Statements:
    """How many statements each engine ran: who answered a request."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def during(self, action):
        before = self.count
        result = action()
        return result, self.count - before


@pytest.mark.skipif(not ON_MARIADB, reason="runs once per CI run, in the MariaDB pass (TEST_DATABASE_URL=mysql...)")
def test_searches_read_the_replica_bookings_the_primary_and_a_stopped_replica_costs_nothing(pair, tmp_path):
    primary, replica = pair
    # the health is asked only when the test says so (refresh): what each search sees is then decided, not timed
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=primary.url(), DATABASE_REPLICA_URL=replica.url(),
                     DATABASE_REPLICA_CHECK_SECONDS=3600, MAIL_FOLDER=str(tmp_path / "mail"),
                     SLOT_STAMP_CHECK_SECONDS=0)  # every search asks for the stamps: each shows where it reads
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all(bind_key=None)  # the primary's tables; the replica gets them by replication
        make = Factory()
        hospital = make.hospital(name="Thames Hospital")
        cardio = make.specialty()
        doctor = make.doctor(hospital, cardio)
        make.schedule(doctor, hospital)  # every day 09:00-12:00, 15 minutes
        headers = {}
        for name in ("alice", "bob"):
            user = make.user(Role.PATIENT, email=f"{name}@example.org")
            token = app.test_cli_runner().invoke(args=["users", "token", "--email", user.email]).output
            headers[name] = {"Authorization": f"Bearer {token.strip().splitlines()[-1]}"}
        on_replica, on_primary = Statements(db.engines[BIND]), Statements(db.engine)
        client = app.test_client()
        day = date.today() + timedelta(days=3)
        search = f"/api/v1/slots?specialty={cardio.id}&from={day}&to={day}&limit=50"

        def starts() -> list[str]:
            res = client.get(search)
            assert res.status_code == 200, res.get_data(as_text=True)
            return [slot["start"] for slot in res.get_json()["slots"]]

        def book(who: str, start: str) -> int:
            return client.post("/api/v1/appointments", json={"doctor_id": doctor.id, "start": start},
                               headers=headers[who]).status_code

        caught_up(primary, replica)
        assert health().refresh()
        offered, read = on_replica.during(starts)
        assert len(offered) == 12 and read > 0  # the search came from the replica
        browser = app.test_client()  # a browser's cookies stay out of the API client's requests
        page, read = on_replica.during(lambda: browser.get(f"/search?specialty={cardio.id}&from={day}"))
        assert page.status_code == 200 and read > 0
        status, written = on_replica.during(lambda: book("alice", offered[0]))
        assert status == 201 and written == 0  # the booking (its check and its claims) ran on the primary
        assert book("bob", offered[0]) == 409  # a second patient holding the same stale list: just taken

        caught_up(primary, replica)
        after, read = on_replica.during(starts)
        assert read > 0 and after == offered[1:]  # the replica has the booking: the slot is gone from search

        # a replica that stops replicating is skipped: the search reads the primary and sees the newest booking
        replica.sql("STOP SLAVE SQL_THREAD")
        assert book("bob", offered[1]) == 201
        assert not health().refresh()
        after, read = on_replica.during(starts)
        assert read == 0 and after == offered[2:]
        replica.sql("START SLAVE SQL_THREAD")
        caught_up(primary, replica)
        assert health().refresh()
        assert on_replica.during(starts)[1] > 0

        # one lagging more than the limit is skipped too (below zero, even a caught-up replica is too late)
        health().max_lag = -1
        assert not health().refresh()
        health().max_lag = app.config["DATABASE_REPLICA_MAX_LAG_SECONDS"]
        assert health().refresh()

        # the primary stops: the replica, cut off, is skipped, and everything answers 503 until the primary is back
        primary.stop()
        poll_until(lambda: not health().refresh(), "the replica to notice the primary is gone")
        res = client.get(search)
        assert res.status_code == 503 and res.headers["Retry-After"] == "5"
        primary.start()
        primary.wait_up(clock.monotonic() + STARTUP_SECONDS)
        poll_until(health().refresh, "the replica to reconnect to the primary")
        after, read = on_replica.during(starts)
        assert read > 0 and after == offered[2:]  # both back: the replica serves again

        # the replica dies while the app still believes it healthy: the search is answered by the primary
        replica.stop()
        after, read = on_primary.during(starts)
        assert after == offered[2:] and read > 0
        assert not health().usable()
        assert starts() == offered[2:]  # and the next ones go straight to the primary
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2
        db.session.remove()


# --- Redis down: live updates pause, bookings go on ---

BOOK_WITH_DEAD_REDIS = """
import json, logging, sys
from app import create_app
from app import scheduling as core
failures = []
class Seen(logging.Handler):
    def emit(self, record):
        failures.append(record.getMessage())
logging.getLogger("socketio").addHandler(Seen())
app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1], SOCKETIO_MESSAGE_QUEUE=sys.argv[2],
                 RATELIMIT_STORAGE_URI=sys.argv[2])
login = app.test_client().post("/auth/login", data={"email": "nobody@example.org", "password": "wrong"})
res = app.test_client().post("/api/v1/appointments", json=json.loads(sys.argv[3]),
                             headers={"Authorization": "Bearer " + sys.argv[4]})
print(json.dumps({"login": login.status_code, "status": res.status_code, "failures": failures}))
"""


def test_with_redis_down_live_updates_pause_and_bookings_and_logins_go_on(app, make, runner):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    user = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", user.email]).output.strip().splitlines()[-1]
    zone, day = ZoneInfo(hospital.timezone), date.today() + timedelta(days=2)
    start = core.to_local(core.to_utc(day, time(10), zone), zone).isoformat()
    dead_redis = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    done = subprocess.run([sys.executable, "-c", BOOK_WITH_DEAD_REDIS, app.config["SQLALCHEMY_DATABASE_URI"],
                           dead_redis, json.dumps({"doctor_id": doctor.id, "start": start}), token],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 201
    assert answer["login"] == 422  # the form again, "wrong e-mail or password": limits count in memory meanwhile
    assert any("Cannot publish to redis" in line for line in answer["failures"])  # the live update was tried
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
