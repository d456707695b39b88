"""Outbox delivery: how fast queued e-mails reach an SMTP server, and what notifications add to a booking.

    python -m benchmarks.outbox_delivery [--db URL] [--messages 500] [--bookings 200]

Part 1 books --bookings appointments one after another through app.services.booking.book, every other one inside
app.notifications.events.muted(), and times book() + commit each way: the difference is what writing the outbox
rows (e-mail and SMS) and the staff notices costs a booking. Part 2 queues --messages booking confirmations (HTML,
text and .ics) and times app.notifications.outbox.deliver_pending sending them to a local aiosmtpd server, one
SMTP connection per message as in production. Prints {"bench": "outbox_delivery", "db", "messages", "sent",
"received", "messages_per_s", "book_p50_ms", "book_p95_ms", "book_muted_p50_ms", "book_muted_p95_ms",
"notify_p50_ms", ...}. The schema is always rebuilt (--db is dropped and migrated).
"""
from __future__ import annotations

import argparse
import socket
import time
from datetime import date, datetime, timedelta
from datetime import time as wall
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db, mail
from app.models import Doctor, Hospital, Membership, OutboxMessage, Patient, Role, Specialty, StaffNotice
from app.notifications import events
from app.notifications.outbox import deliver_pending, queue
from app.services import booking
from app.services.accounts import create_user
from app.services.accounts.passwords import hash_password
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule
from app.services.directory import create_doctor_profile
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema

NOW = datetime(2030, 1, 7, 6, 0)  # a Monday; bookings fill the following days, inside the horizon
TZ = "Europe/London"
WARM_UP = 10
SLOTS_PER_DAY = 40  # 08:00-18:00 in 15-minute slots


class Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd names it)
        self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(patients: int) -> tuple[int, list[int]]:
    """A London hospital with three front-desk staff, one doctor open 08:00-18:00 daily, patients with phones."""
    hospital = Hospital(name="Bench Hospital", city="London", country="GB", lat=51.5, lon=-0.12, timezone=TZ,
                        address="1 Bench Street")
    specialty = Specialty(name="Cardiology", code="CAR")
    db.session.add_all([hospital, specialty])
    db.session.flush()
    password_hash = hash_password("bench-Password-1")
    for i in range(3):
        desk = create_user(f"desk{i}@bench.example", "", Role.STAFF, f"Desk {i}", verified=True,
                           password_hash=password_hash)
        db.session.add(Membership(user_id=desk.id, hospital_id=hospital.id, role=Role.STAFF))
    user = create_user("doctor@bench.example", "", Role.DOCTOR, "Dr Bench", verified=True,
                       password_hash=password_hash)
    doctor = create_doctor_profile(user, hospital.id, specialty.id)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=wall(8), end=wall(18)) for d in range(7)]
    put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2020, 1, 1), valid_till=None, rules=rules, horizon_days=365,
                               min_notice_minutes=0))
    patient_ids = []
    for i in range(patients):
        account = create_user(f"patient{i}@bench.example", "", Role.PATIENT, f"Patient {i}", verified=True,
                              password_hash=password_hash)
        patient = Patient(user_id=account.id, name=account.name, phone=f"+4479111{i:05d}")
        db.session.add(patient)
        db.session.flush()
        patient_ids.append(patient.id)
    db.session.commit()
    return doctor.id, patient_ids


def time_bookings(doctor_id: int, patient_ids: list[int], count: int) -> tuple[list[float], list[float]]:
    """book() + commit, alternately with notifications on and muted; returns (on, muted) seconds."""
    tz = ZoneInfo(TZ)
    on, off = [], []
    for i in range(count + 2 * WARM_UP):
        day = NOW.date() + timedelta(days=1 + i // SLOTS_PER_DAY)
        start = core.to_utc(day, wall(8), tz) + timedelta(minutes=15 * (i % SLOTS_PER_DAY))
        doctor = db.session.get(Doctor, doctor_id)
        patient = db.session.get(Patient, patient_ids[i % len(patient_ids)])
        quiet = i % 2 == 1
        started = time.perf_counter()
        if quiet:
            with events.muted():
                booking.book(None, patient, doctor, start, now=NOW)
                db.session.commit()
        else:
            booking.book(None, patient, doctor, start, now=NOW)
            db.session.commit()
        elapsed = time.perf_counter() - started
        if i >= 2 * WARM_UP:
            (off if quiet else on).append(elapsed)
        db.session.expire_all()  # each booking reads fresh, as each request would
    return on, off


def queue_confirmations(count: int) -> list[str]:
    """`count` booking confirmations like the ones part 1 wrote (HTML, text, .ics), to distinct addresses."""
    template = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "email",
                                                             OutboxMessage.template == "appointment_booked")
                                 .order_by(OutboxMessage.id).limit(1))
    keys = []
    for i in range(count):
        key = f"bench:{i}:email"
        queue("email", f"reader{i}@bench.example", template.template, template.context, key,
              language=template.language, appointment_id=template.appointment_id)
        keys.append(key)
    db.session.commit()
    return keys


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--messages", type=int, default=500)
    args.add_argument("--bookings", type=int, default=200)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(arguments(), argv)
    app = make_app(args.db)
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SUPPRESS_SEND=False,
                      MAIL_USE_TLS=False, MAIL_USE_SSL=False)
    app.extensions["mail"] = mail.init_mail(app.config, testing=False)  # Flask-Mail keeps its state here
    with app.app_context():
        reset_schema()
        doctor_id, patient_ids = setup(20)
        log(f"booking {args.bookings} appointments, every other one muted")
        on, off = time_bookings(doctor_id, patient_ids, args.bookings)
        notified = len(on) + WARM_UP
        outbox_rows = db.session.scalar(select(func.count(OutboxMessage.id)))
        notices = db.session.scalar(select(func.count(StaffNotice.id)))
        keys = queue_confirmations(args.messages)
        controller.start()
        try:
            log(f"delivering {args.messages} e-mails to 127.0.0.1:{controller.port}")
            started = time.perf_counter()
            counts = deliver_pending(ignore_backoff=True, limit=args.messages, dedupe_keys=keys)
            seconds = time.perf_counter() - started
        finally:
            controller.stop()
        emit({
            "bench": "outbox_delivery", "db": dialect_label(), "messages": args.messages, "sent": counts["sent"],
            "received": counter.received, "failed": counts["retry"] + counts["dead"], "seconds": round(seconds, 3),
            "messages_per_s": round(counts["sent"] / seconds, 1) if seconds else None,
            "bookings": len(on) + len(off),
            "book_p50_ms": ms(percentile(on, 50)), "book_p95_ms": ms(percentile(on, 95)),
            "book_muted_p50_ms": ms(percentile(off, 50)), "book_muted_p95_ms": ms(percentile(off, 95)),
            "notify_p50_ms": ms(percentile(on, 50) - percentile(off, 50)),
            "notify_p95_ms": ms(percentile(on, 95) - percentile(off, 95)),
            "outbox_rows_per_booking": round(outbox_rows / notified, 2),
            "staff_notices_per_booking": round(notices / notified, 2),
        })


if __name__ == "__main__":
    main()
