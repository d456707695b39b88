"""Notifications against real servers: an aiosmtpd SMTP server on a local port and a local HTTP server standing in
for Twilio's REST API, reached through the official twilio client. Time is driven by passing `now`; no sleeps."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db, mail
from app.jobs import configure_delivery, send_reminders
from app.models import Appointment, AuditEvent, OutboxMessage, Role, User
from app.models.base import utcnow
from app.notifications import outbox
from app.notifications.outbox import deliver_pending, queue
from app.services import booking
from tests.conftest import ROOT

TWILIO_FROM = "+15005550006"
PHONE = "+447911123456"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd names it)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int):
        self.port, self.handler, self.controller = port, Collector(), None

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    """Mail goes to a local SMTP server (not started yet: the test decides when the server is up)."""
    server = SmtpServer(free_port())
    saved_config = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")}
    saved_state = app.extensions["mail"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
    app.extensions["mail"] = mail.init_mail(app.config, testing=False)  # Flask-Mail reads its state from here
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved_config)
        app.extensions["mail"] = saved_state


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio; statuses to answer come from a list."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
        status = self.server.statuses.pop(0) if self.server.statuses else 201
        if status >= 400:
            body = {"code": 20500, "message": "Internal Server Error", "status": status}
        else:
            body = {"sid": f"SM{len(self.server.requests):032d}", "status": "queued", "to": form.get("To"),
                    "from": form.get("From"), "body": form.get("Body"), "account_sid": "ACtest"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    server.requests, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_API_BASE")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(TWILIO_ACCOUNT_SID="ACtest", TWILIO_AUTH_TOKEN="secret", TWILIO_FROM=TWILIO_FROM,
                      TWILIO_API_BASE=f"http://127.0.0.1:{server.server_port}")
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        app.config.update(saved)


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="UTC", address="1 River Road")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Grey")
    make.schedule(doctor, hospital, horizon_days=30)
    return hospital, doctor


def slot(days: int = 3, hh: int = 9, mm: int = 0) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hh, mm)


def rows(**where) -> list[OutboxMessage]:
    # end the test's transaction, not only its identity map: on MariaDB (REPEATABLE READ) a transaction keeps
    # seeing its first snapshot, so polling for another process's write inside one would wait forever
    db.session.commit()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def calendar_of(msg) -> Calendar:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def book(doctor, patient, start=None):
    appointment = booking.book(None, patient, doctor, start or slot(), now=utcnow())
    db.session.commit()
    return appointment


# --- the outbox itself

def test_rows_are_written_in_the_booking_transaction(clinic, make):
    _, doctor = clinic
    patient = make.patient(phone=PHONE)
    booking.book(None, patient, doctor, slot(), now=utcnow())
    db.session.rollback()  # the booking fails later in its transaction: no message may survive it
    assert rows() == []
    appointment = book(doctor, patient)
    channels = sorted((r.channel, r.status, r.template) for r in rows(appointment_id=appointment.id))
    assert channels == [("email", "pending", "appointment_booked"), ("sms", "pending", "appointment_booked")]


def test_a_repeated_dedupe_key_is_skipped(app):
    assert queue("email", "a@example.org", "verify_email", {"user": {"name": "A"}, "link": "x"}, "k1") is True
    assert queue("email", "a@example.org", "verify_email", {"user": {"name": "A"}, "link": "x"}, "k1") is False
    db.session.commit()
    assert queue("email", "a@example.org", "verify_email", {"user": {"name": "A"}, "link": "x"}, "k1") is False
    db.session.commit()
    assert len(rows(dedupe_key="k1")) == 1


# --- fault tests against the real servers

def test_smtp_down_booking_succeeds_and_mail_waits_then_goes_exactly_once(client, runner, clinic, make, smtp):
    _, doctor = clinic
    patient = make.patient()
    token = runner.invoke(args=["users", "token", "--email", patient.user.email]).output.strip().splitlines()[-1]
    res = client.post("/api/v1/appointments", json={"doctor_id": doctor.id, "start": slot().isoformat() + "Z"},
                      headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 201, res.get_json()  # the mail server is down: the booking still stands
    (row,) = rows(channel="email")
    assert row.status == "pending" and row.attempts == 1  # tried right after the commit, in the request
    assert "unreachable" in row.last_error
    t0 = row.next_attempt_at - timedelta(minutes=1)  # the first backoff is one minute

    smtp.start()
    assert deliver_pending(now=t0 + timedelta(seconds=30))["sent"] == 0  # still backing off
    assert deliver_pending(now=t0 + timedelta(minutes=2))["sent"] == 1
    assert deliver_pending(now=t0 + timedelta(hours=5), ignore_backoff=True)["sent"] == 0
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == patient.user.email and "is booked" in msg["Subject"]
    assert msg["Message-ID"] == f"<appt.{res.get_json()['id']}.booked.0.email@waitless>"
    assert "Dr Grey" in msg.get_body(("plain",)).get_content()
    (row,) = rows(channel="email")
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 2


def test_backoff_doubles_and_gives_up_after_max_attempts(app, clinic, make, smtp):
    _, doctor = clinic
    app.config["OUTBOX_MAX_ATTEMPTS"] = 4
    try:
        book(doctor, make.patient())
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 8
    now = utcnow().replace(microsecond=0)  # MariaDB keeps whole seconds
    waits = []
    for _ in range(4):
        deliver_pending(now=now)
        (row,) = rows(channel="email")
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert row.status == "dead" and row.attempts == 4 and "unreachable" in row.last_error
    smtp.start()
    assert deliver_pending(now=now + timedelta(days=1), ignore_backoff=True)["sent"] == 0  # dead stays dead


def test_sms_api_answering_500_is_retried_later(clinic, make, twilio):
    _, doctor = clinic
    twilio.statuses[:] = [500]
    appointment = book(doctor, make.patient(phone=PHONE))
    now = utcnow()
    assert deliver_pending(now=now)["retry"] == 1
    (row,) = rows(channel="sms")
    assert row.status == "pending" and "Twilio 500" in row.last_error
    assert deliver_pending(now=now + timedelta(seconds=59))["sent"] == 0
    assert deliver_pending(now=now + timedelta(minutes=1))["sent"] == 1
    assert len(twilio.requests) == 2
    request = twilio.requests[-1]
    assert request["path"] == "/2010-04-01/Accounts/ACtest/Messages.json"
    assert request["form"]["To"] == PHONE and request["form"]["From"] == TWILIO_FROM
    assert "Dr Grey" in request["form"]["Body"] and "Thames Riverside Hospital" in request["form"]["Body"]
    assert request["headers"]["Idempotency-Key"] == f"appt:{appointment.id}:booked:0:sms"
    assert rows(channel="sms")[0].status == "sent"


def test_malformed_addresses_are_dead_letters_with_the_reason(clinic, make, smtp, twilio):
    _, doctor = clinic
    smtp.start()
    patient = make.patient(phone="0123")
    patient.user.email = "not-an-address@"
    db.session.commit()
    book(doctor, patient)
    result = deliver_pending(now=utcnow())
    assert result["dead"] == 2 and result["sent"] == 0
    email, sms = rows(channel="email")[0], rows(channel="sms")[0]
    assert email.status == "dead" and email.attempts == 1 and "malformed e-mail address" in email.last_error
    assert sms.status == "dead" and "malformed phone number" in sms.last_error
    assert smtp.messages == [] and twilio.requests == []


def test_a_missing_template_variable_is_a_dead_letter(app, smtp):
    smtp.start()
    queue("email", "ada@example.org", "verify_email", {"user": {"name": "Ada"}}, "no-link")  # no "link"
    db.session.commit()
    deliver_pending(now=utcnow())
    (row,) = rows()
    assert row.status == "dead" and "template" in row.last_error and "link" in row.last_error
    assert smtp.messages == []


class Crash(BaseException):
    """The process dies: not an Exception, so nothing on the way catches it."""


def test_a_crash_between_send_and_mark_sent_duplicates_at_most_once(app, clinic, make, smtp, monkeypatch):
    _, doctor = clinic
    smtp.start()
    book(doctor, make.patient())
    real_finish = outbox._finish

    def crash_after_send(row, status, *args, **kw):
        if status == "sent":
            raise Crash
        return real_finish(row, status, *args, **kw)

    monkeypatch.setattr(outbox, "_finish", crash_after_send)
    now = utcnow()
    with pytest.raises(Crash):
        deliver_pending(now=now)
    db.session.rollback()
    monkeypatch.setattr(outbox, "_finish", real_finish)
    assert len(smtp.messages) == 1
    (row,) = rows(channel="email")
    assert row.status == "pending" and row.attempts == 1  # the claim was committed before the send

    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    assert deliver_pending(now=now + lease - timedelta(seconds=1))["sent"] == 0  # held by the crashed attempt
    assert deliver_pending(now=now + lease)["sent"] == 1
    for later in (1, 2, 3):
        deliver_pending(now=now + timedelta(days=later), ignore_backoff=True)
    assert len(smtp.messages) == 2  # one duplicate, no more
    assert smtp.messages[0]["Message-ID"] == smtp.messages[1]["Message-ID"]  # and recognisably the same
    assert rows(channel="email")[0].status == "sent"


# --- what the messages say

def test_book_move_cancel_send_ics_with_one_uid_and_the_right_method(clinic, make, smtp, twilio):
    _, doctor = clinic
    smtp.start()
    patient = make.patient(phone=PHONE)
    appointment = book(doctor, patient, slot(hh=9))
    booking.reschedule(None, appointment, slot(hh=10), now=utcnow())
    db.session.commit()
    booking.cancel(patient.user.id, appointment, "feeling better")
    db.session.commit()
    assert deliver_pending(now=utcnow())["sent"] == 6
    subjects = [m["Subject"] for m in smtp.messages]
    assert "is booked" in subjects[0] and "is moved" in subjects[1] and "is cancelled" in subjects[2]
    cals = [calendar_of(m) for m in smtp.messages]
    assert [str(c["METHOD"]) for c in cals] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [c.walk("VEVENT")[0] for c in cals]
    assert {str(e["UID"]) for e in events} == {f"appointment-{appointment.id}@waitless"}
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert events[1].decoded("DTSTART").replace(tzinfo=None) == slot(hh=10)
    assert str(events[2]["STATUS"]) == "CANCELLED"
    moved = smtp.messages[1].get_body(("plain",)).get_content()
    assert "09:00" in moved and "10:00" in moved
    assert "as you asked" in smtp.messages[2].get_body(("plain",)).get_content()
    texts = [r["form"]["Body"] for r in twilio.requests]
    assert len(texts) == 3 and "moved" in texts[1] and "cancelled" in texts[2]


def test_german_patients_read_german_in_their_hospital_time(make, smtp):
    hospital = make.hospital(name="Klinikum Mitte", city="Berlin", country="DE", timezone="Europe/Berlin")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Weber")
    make.schedule(doctor, hospital, horizon_days=30)
    patient = make.patient()
    patient.user.language = "de"
    db.session.commit()
    smtp.start()
    day = slot().date()
    start = datetime(day.year, day.month, day.day, 8, 0)  # 09:00 or 10:00 in Berlin
    book(doctor, patient, start)
    deliver_pending(now=utcnow())
    (msg,) = smtp.messages
    assert msg["Subject"].strip().startswith("Ihr Termin am") and "Europe/Berlin" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "Guten Tag" in text and "Dr Weber" in text
    local = start.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%H:%M") in text
    assert "Termin bei Dr Weber" in str(calendar_of(msg).walk("VEVENT")[0]["SUMMARY"])


def test_staff_cancellation_says_the_hospital_cancelled(clinic, make, smtp):
    _, doctor = clinic
    staff = make.user(Role.STAFF, clinic[0])
    smtp.start()
    appointment = book(doctor, make.patient())
    booking.cancel(staff.id, appointment, "doctor ill")
    db.session.commit()
    deliver_pending(now=utcnow())
    text = smtp.messages[-1].get_body(("plain",)).get_content()
    assert "hospital had to cancel" in text and "doctor ill" in text


def test_no_show_is_not_announced(clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    booking.cancel(None, appointment, "", status="no_show")
    db.session.commit()
    assert [r.template for r in rows()] == ["appointment_booked"]


# --- reminders and jobs

def test_reminders_24h_and_2h_once_each_and_none_after_a_cancellation(app, clinic, make, smtp, monkeypatch):
    _, doctor = clinic
    # delivery only by the periodic job (OUTBOX_DELIVERY=off), so a reminder can go stale before its turn
    monkeypatch.setitem(app.extensions, outbox.DISPATCH_KEY, None)
    smtp.start()
    patient = make.patient(phone=PHONE)
    start = slot(days=3)
    appointment = book(doctor, patient, start)
    other = book(doctor, make.patient(), start + timedelta(minutes=30))

    assert send_reminders(now=start - timedelta(hours=25)) == 0  # not yet
    assert send_reminders(now=start - timedelta(hours=23)) == 3  # e-mail and SMS, and the other's e-mail
    assert send_reminders(now=start - timedelta(hours=22)) == 0  # once
    assert send_reminders(now=start - timedelta(hours=1, minutes=50)) == 2  # the 2-hour reminder (other: 2h20)
    keys = sorted(r.dedupe_key for r in rows(template="appointment_reminder", appointment_id=appointment.id))
    assert keys == sorted(f"appt:{appointment.id}:reminder:{h}h:{start.isoformat()}:{c}"
                          for h in (24, 2) for c in ("email", "sms"))

    booking.cancel(None, other, "changed plans")
    db.session.commit()
    deliver_pending(now=start - timedelta(hours=1))
    skipped = rows(template="appointment_reminder", appointment_id=other.id)
    assert {r.status for r in skipped} == {"skipped"} and "cancelled" in skipped[0].last_error
    reminders = [m for m in smtp.messages if "Reminder" in m["Subject"]]
    assert len(reminders) == 2 and {m["To"] for m in reminders} == {patient.user.email}


def test_no_reminder_for_an_offset_that_passed_before_booking(clinic, make):
    _, doctor = clinic
    start = slot(days=2, hh=9)
    appointment = booking.book(None, make.patient(), doctor, start, now=start - timedelta(hours=3))
    appointment.created_at = start - timedelta(hours=3)
    db.session.commit()
    assert send_reminders(now=start - timedelta(hours=3)) == 0  # booked inside the 24-hour window
    assert send_reminders(now=start - timedelta(hours=1)) == 1


def test_jobs_run_once_delivers_ignoring_the_backoff(app, runner, clinic, make, smtp):
    _, doctor = clinic
    book(doctor, make.patient())
    deliver_pending(now=utcnow())  # SMTP down: waits a minute
    assert rows(channel="email")[0].status == "pending"
    smtp.start()
    result = runner.invoke(args=["jobs", "run-once"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["deliver_outbox"] == 1
    assert rows(channel="email")[0].status == "sent" and len(smtp.messages) == 1


# --- account mails and the admin page

def test_account_mails_go_through_the_outbox(client, make, smtp):
    smtp.start()
    user = make.user(Role.PATIENT, verified=False)
    client.post("/auth/verify/resend", data={"email": user.email})
    client.post("/auth/forgot", data={"email": user.email})
    assert sorted(r.template for r in rows(status="sent")) == ["reset_password", "verify_email"]
    assert {m["To"] for m in smtp.messages} == {user.email} and len(smtp.messages) == 2


def test_admin_sees_dead_letters_and_retries_them(client, auth, make, smtp):
    admin = make.user(Role.ADMIN)
    queue("email", "broken@", "verify_email", {"user": {"name": "X"}, "link": "l"}, "dead-one")
    queue("sms", PHONE, "appointment_reminder", {}, "waiting-one")
    db.session.commit()
    deliver_pending(now=utcnow())
    auth.login(admin.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "broken@" in page and "malformed e-mail address" in page and "Retry" in page
    dead = rows(dedupe_key="dead-one")[0]
    res = client.post(f"/admin/outbox/{dead.id}/retry")
    assert res.status_code == 302
    dead = rows(dedupe_key="dead-one")[0]
    assert dead.status == "pending" and dead.attempts == 1 and dead.max_attempts == 8
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert event.actor_id == admin.id and event.target_id == dead.id and event.before["status"] == "dead"
    patient = make.user(Role.PATIENT)
    auth.logout()
    auth.login(patient.email)
    assert client.get("/admin/outbox").status_code in (403, 404)


def test_sent_rows_keep_their_appointment_and_user(clinic, make, smtp):
    _, doctor = clinic
    smtp.start()
    patient = make.patient()
    appointment = book(doctor, patient)
    deliver_pending(now=utcnow())
    (row,) = rows(channel="email")
    assert row.appointment_id == appointment.id and row.user_id == patient.user_id
    assert db.session.get(Appointment, appointment.id) is not None and db.session.get(User, row.user_id)


# --- the Celery path (docs/operations.md): a real worker process on the real Redis

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_TEST_URL} is required in CI: {err}")
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")


@pytest.fixture
def celery_worker(app, smtp, tmp_path):
    """`celery worker` in its own process, on the test database, with its own queue on the test Redis."""
    _redis_or_skip()
    queue_name = f"waitless-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "WAITLESS_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "CELERY_BROKER_URL": REDIS_TEST_URL, "CELERY_QUEUE": queue_name, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp.port), "MAIL_FOLDER": str(tmp_path / "mail"), "JOBS_ENABLED": "false"}
    for name in ("TWILIO_ACCOUNT_SID", "TEST_DATABASE_URL"):
        env.pop(name, None)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "app.celery_app", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", queue_name, "-n", f"{queue_name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    saved = {k: app.config.get(k) for k in ("CELERY_BROKER_URL", "CELERY_QUEUE", "OUTBOX_DELIVERY")}
    app.config.update(CELERY_BROKER_URL=REDIS_TEST_URL, CELERY_QUEUE=queue_name, OUTBOX_DELIVERY="celery")
    app.extensions.pop("celery", None)
    configure_delivery(app)
    from app.celery_app import celery_for

    try:
        yield celery_for(app)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        app.extensions.pop("celery", None)
        app.config.update(saved)
        configure_delivery(app)


def _wait_for(predicate, timeout: float = 60.0):
    """Wait for another process (the worker): poll, do not guess a sleep."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the Celery worker did not get there in time")
        time.sleep(0.1)


def test_celery_worker_delivers_right_after_commit_and_runs_the_jobs(client, runner, clinic, make, smtp,
                                                                     celery_worker, tmp_path):
    from app.celery_app import job_task_name

    smtp.start()
    _, doctor = clinic
    patient = make.patient()
    token = runner.invoke(args=["users", "token", "--email", patient.user.email]).output.strip().splitlines()[-1]
    res = client.post("/api/v1/appointments", json={"doctor_id": doctor.id, "start": slot().isoformat() + "Z"},
                      headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 201
    _wait_for(lambda: len(smtp.messages) == 1)  # the web app handed the message to the worker
    assert "is booked" in smtp.messages[0]["Subject"]
    _wait_for(lambda: rows(channel="email")[0].status == "sent")

    # the periodic jobs are the same functions: run the outbox job through the worker
    queue("email", "grace@example.org", "verify_email", {"user": {"name": "Grace"}, "link": "http://x/v"}, "via-job")
    db.session.commit()
    result = celery_worker.send_task(job_task_name("deliver_outbox"), kwargs={"once": True})
    assert result.get(timeout=60) == 1
    assert [m["To"] for m in smtp.messages] == [patient.user.email, "grace@example.org"]
    beat = celery_worker.conf.beat_schedule
    assert {job_task_name(n) for n in ("deliver_outbox", "send_reminders")} <= set(beat)
    assert beat[job_task_name("deliver_outbox")]["schedule"] == 30.0
