"""Deterministic demo regions for `flask demo seed` (docs/cli.md)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.demo.catalogue import (
    DEMO_OFFER_HOLD_MINUTES,
    DEMO_PASSWORD,
    HOSPITALS,
    consultation_room,
    person_name,
    seed_catalogue,
    seed_hospital,
)
from app.demo.phones import mobile
from app.extensions import db
from app.models import (
    AvailabilityRule,
    Hospital,
    Membership,
    Patient,
    Role,
    Room,
    Schedule,
)
from app.models.base import utcnow
from app.services.accounts import create_user
from app.services.accounts.passwords import hash_password
from app.services.availability import resource_for_doctor
from app.services.directory import create_doctor_profile


def _weekly_schedule(resource_id: int, hospital: Hospital, room: Room, valid_from: date) -> Schedule:
    """Mon-Fri 09:00-12:00 and 13:00-16:00 in 15-minute slots; Tuesday afternoons for follow-ups only."""
    schedule = Schedule(resource_id=resource_id, hospital_id=hospital.id, valid_from=valid_from, horizon_days=60,
                        daily_limit=24, min_notice_minutes=60, urgent_share=0.1, urgent_release_hours=24)
    for weekday in range(5):
        schedule.rules.append(AvailabilityRule(weekday=weekday, start=time(9), end=time(12), slot_minutes=15,
                                               room_id=room.id))
        schedule.rules.append(AvailabilityRule(
            weekday=weekday, start=time(13), end=time(16), slot_minutes=15, room_id=room.id,
            appointment_types="follow_up" if weekday == 1 else ""))
    db.session.add(schedule)
    return schedule


def seed_small(seed: int = 1, *, now: datetime | None = None) -> dict[str, tuple[str, str]]:
    """Six hospitals in England and Germany, 20 doctors over 10 specialties, patients and four weeks of hours, two
    weeks of bookings, and today's clinic and a waitlist offer for the demo logins (app.demo_clinic).

    ``now`` (naive UTC, default the clock) is the moment of seeding: tests seed at chosen times of day.
    """
    import click

    from app.demo.clinic import seed_today

    now = now or utcnow()
    rng = random.Random(seed)
    specialties, equipment = seed_catalogue()
    hospitals = [seed_hospital(row, specialties, equipment) for row in HOSPITALS]
    hospitals[0].offer_hold_minutes = DEMO_OFFER_HOLD_MINUTES
    today = now.date()
    password_hash = hash_password(DEMO_PASSWORD)

    def account(email: str, role: str, name: str):
        return create_user(email, DEMO_PASSWORD, role, name, verified=True, password_hash=password_hash)

    for i in range(20):
        specialty = specialties[i % len(specialties)]
        home = hospitals[i % len(hospitals)]
        user = account(f"doctor{i + 1}@waitless.example", Role.DOCTOR, f"Dr {person_name(rng)}")
        db.session.add(Membership(user_id=user.id, hospital_id=home.id, role=Role.DOCTOR))
        doctor = create_doctor_profile(
            user, home.id, specialty.id, qualifications=rng.choice(["MBBS, MRCP", "MD, PhD", "Dr. med., FA",
                                                                    "MBChB, FRCS", "MD"]),
            bio=f"{specialty.name} consultant with {rng.randint(5, 25)} years of practice.",
            languages=rng.choice(["en", "en,de", "de,en", "en,fr", "de"]), fee=Decimal(rng.choice([60, 80, 95, 120])))
        db.session.flush()
        room = consultation_room(home, i // len(hospitals) + 1)
        _weekly_schedule(resource_for_doctor(doctor.id).id, home, room, today - timedelta(days=today.weekday()))

    for i in range(30):
        name = person_name(rng)
        user = account(f"patient{i + 1}@waitless.example", Role.PATIENT, name)
        db.session.add(Patient(user_id=user.id, name=name, birth_date=date(1940 + rng.randint(0, 65),
                                                                             rng.randint(1, 12), rng.randint(1, 28)),
                               sex=rng.choice(["female", "male"]), phone=mobile(rng, "DE" if i % 4 == 3 else "GB"),
                               blood_type=rng.choice(["A+", "O+", "B+", "AB-", "O-"])))
    logins = {"patient": ("patient1@waitless.example", DEMO_PASSWORD),
              "doctor": ("doctor1@waitless.example", DEMO_PASSWORD)}
    for role, hospital in ((Role.NURSE, hospitals[0]), (Role.STAFF, hospitals[0])):
        user = account(f"{role}@waitless.example", role, f"{person_name(rng)}")
        db.session.add(Membership(user_id=user.id, hospital_id=hospital.id, role=role))
        logins[str(role)] = (user.email, DEMO_PASSWORD)
    account("admin@waitless.example", Role.ADMIN, "Regional Administrator")
    logins["admin"] = ("admin@waitless.example", DEMO_PASSWORD)
    db.session.commit()

    _book_some(rng, today, now)
    for line in seed_today(seed, now):
        click.echo(line)
    return logins


def _book_some(rng: random.Random, today: date, now: datetime) -> None:
    """seed_small's bookings: about a quarter of the next 14 days' slots, through the real booking service, so the
    demo has claims, day counters and audit events exactly as the site writes them (but no e-mails or SMS to the
    fictional patients). A slot held back for urgent cases goes to an urgent patient; other refused starts (past,
    too short notice) are skipped."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from app.models import Doctor
    from app.notifications.events import muted
    from app.scheduling import SchedulingError, SlotTaken, to_utc
    from app.services.booking import book

    patients = db.session.scalars(select(Patient).order_by(Patient.id)).all()
    booked_at: dict = {}  # start -> patients booked then: pick one who is free (the service checks too)
    starts = [time(m // 60, m % 60) for m in (*range(9 * 60, 12 * 60, 15), *range(13 * 60, 16 * 60, 15))]
    with muted():
        for doctor in db.session.scalars(select(Doctor).order_by(Doctor.id)).all():
            tz = ZoneInfo(doctor.hospitals[0].timezone)
            days = [today + timedelta(days=n) for n in range(14) if (today + timedelta(days=n)).weekday() < 5]
            for start in (to_utc(day, t, tz) for day in days for t in starts if rng.random() < 0.25):
                taken = booked_at.setdefault(start, set())
                patient = rng.choice([p for p in patients if p.id not in taken])
                for urgency in ("routine", "urgent"):
                    try:
                        with db.session.begin_nested():
                            book(None, patient, doctor, start, urgency=urgency, now=now)
                    except SlotTaken:
                        continue  # held back for urgent cases: book it as urgent
                    except SchedulingError:
                        break
                    taken.add(patient.id)
                    break
    db.session.commit()
