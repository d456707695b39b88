"""Today's clinic and a waitlist offer for the demo logins (issues #5 and #7), seeded by app.demo.seed_small.

Right after `make run`, the desk (staff@), the nurse station (nurse@), the doctor's day list (doctor1@) and the
waiting-room display of their hospital show a queue in full swing: booked patients checked in and walk-ins of every
priority, one patient called, one with the doctor (vitals taken), one seen (vitals and consult notes). patient1@ waits
for an earlier slot with doctor1 and holds an open offer of one, freed by another patient's cancellation.

Everything goes through the services, as the pages do it; ``now`` (naive UTC) is the moment of seeding, and the
clinic's earlier events are spread over the hour before it (squeezed after the local midnight). Any time of day works:
when doctor1 has no hours around now (at night, at the weekend, after the afternoon clinic), an extra session is
added for today, so that booked patients can check in and close_queues (which closes a queue an hour after the
doctor's last hours) leaves the demo queue open for a while. The seed prints what it did.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app import realtime
from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, Patient, Specialty, User, WaitlistEntry
from app.notifications.events import muted
from app.services import booking, waitlist
from app.services import queue as queue_service
from app.services.availability import Request, load_calendars, resource_for_doctor, schedules, slot_groups

CLINIC_HOSPITAL = "Thames Riverside Hospital"  # seed_small puts staff@, nurse@, doctor1@ and doctor7@ there
SESSION_BEFORE, SESSION_AFTER = timedelta(hours=1), timedelta(hours=3)  # an added session around now
CLINIC_HOUR = timedelta(minutes=75)  # the clinic's events below happened within this long before now
BOOKED_AHEAD = timedelta(hours=2)  # today's check-in bookings are made as if this long before their start

# (token, doctor login, how the patient came, priority, minutes before now). Booked patients ("appointment") arrive
# about five minutes before their slot; a slot that cannot be booked makes that patient a walk-in instead.
ARRIVALS = (
    ("A1", "doctor1", "appointment", "normal", 70),
    ("A2", "doctor1", "appointment", "normal", 50),
    ("W1", "doctor1", "walkin", "normal", 40),
    ("E1", "doctor7", "walkin", "normal", 35),
    ("A3", "doctor1", "appointment", "normal", 30),
    ("W2", "doctor1", "walkin", "urgent", 25),
    ("W3", "doctor1", "walkin", "vip", 15),
    ("E2", "doctor7", "walkin", "urgent", 12),
    ("W4", "doctor1", "walkin", "normal", 10),
    ("A4", "doctor1", "appointment", "urgent", 8),
    ("E3", "doctor7", "walkin", "normal", 5),
    ("W5", "doctor1", "walkin", "emergency", 2),  # arrives just after the last call: now at the top of the line
)
# (minutes before now, token, step): A1 seen, A2 with the doctor; "call_next" calls doctor1's first in line
STEPS = (
    (66, "A1", "vitals"), (62, "A1", "called"), (60, "A1", "in_progress"), (47, "A1", "notes"),
    (46, "A1", "completed"), (45, "A2", "vitals"), (44, "A2", "called"), (42, "A2", "in_progress"),
    (4, "doctor1", "call_next"),
)
NOTES = "Chest pain on exertion for two weeks, none at rest. ECG: sinus rhythm. Plan: exercise test, review in 4 weeks."


def seed_today(seed: int, now: datetime) -> list[str]:
    """Seed today's queue and the waitlist; returns the lines of the printed summary."""
    rng = random.Random(f"demo-clinic-{seed}")
    hospital = db.session.scalar(select(Hospital).where(Hospital.name == CLINIC_HOSPITAL))
    logins = {u.email.split("@")[0]: u for u in db.session.scalars(select(User).where(User.email.in_(
        [f"{name}@waitless.example" for name in ("staff", "nurse", "doctor1", "doctor7")])))}
    doctors = {name: db.session.scalar(select(Doctor).where(Doctor.user_id == logins[name].id))
               for name in ("doctor1", "doctor7")}
    patients = list(db.session.scalars(select(Patient).order_by(Patient.id)))
    tz = ZoneInfo(hospital.timezone)
    today = core.local_day(now, tz)
    lines = [f"Today's demo clinic at {hospital.name} ({today.isoformat()}, {hospital.timezone}):"]
    queue_patients = patients[4:]  # patient1-4 are the waitlist's
    rng.shuffle(queue_patients)
    with muted():  # fictional patients hear nothing of their bookings
        lines += _clinic(hospital, doctors, logins, queue_patients, rng, now)
    db.session.commit()
    lines += _waitlist(hospital, doctors["doctor1"], patients[:4], now)
    db.session.commit()
    realtime.publish_queue_changes()  # boards already open (a server with a message queue) refresh, as after a view
    realtime.publish_slot_changes()
    return lines


# --- today's queue ---

def _windows(resource_id: int, hospital: Hospital, day) -> tuple:
    calendar = load_calendars([(resource_id, hospital.id)], {hospital.id: hospital.timezone}, day, day)[
        (resource_id, hospital.id)]
    return calendar, core.expand_windows([s for _, s in calendar.schedules], calendar.exceptions, calendar.tz, day,
                                         day)


def _quarter(instant: datetime) -> datetime:
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def _open_session(doctor: Doctor, hospital: Hospital, now: datetime) -> str | None:
    """Add a session around now for today when the doctor's hours are not there (a summary line says so)."""
    tz = ZoneInfo(hospital.timezone)
    today = core.local_day(now, tz)
    resource_id = resource_for_doctor(doctor.id).id
    _, windows = _windows(resource_id, hospital, today)
    soon = now + SESSION_BEFORE
    if windows and windows[0].start <= soon <= max(w.end for w in windows):
        return None
    start = max(core.to_utc(today, time(0), tz), _quarter(now) - SESSION_BEFORE)
    end = min(core.to_utc(today + timedelta(days=1), time(0), tz), _quarter(now) + SESSION_AFTER)
    schedules.add_exception(None, resource_id, hospital.id, start, end, True,
                            "Extra session (demo data: keeps today's demo queue open)", now=now)
    return f"  {doctor.name} had no hours around now: added an extra session {_clock(start, tz)}-{_clock(end, tz)}"


def _slot_starts(doctor: Doctor, hospital: Hospital, now: datetime) -> list[datetime]:
    today = core.local_day(now, ZoneInfo(hospital.timezone))
    calendar, _ = _windows(resource_for_doctor(doctor.id).id, hospital, today)
    return sorted({s.start for g in slot_groups(calendar, today, today, Request(now=now)) for s in g.slots})


def _book_today(doctor: Doctor, hospital: Hospital, patients: list[Patient], starts: list[datetime],
                target: datetime, urgency: str) -> Appointment | None:
    """A booking of the free slot nearest to `target`, made as if BOOKED_AHEAD before it (it may lie in the past)."""
    for start in sorted(starts, key=lambda s: (abs(s - target), s)):
        for patient in patients[:3]:
            try:
                with db.session.begin_nested():
                    appointment = booking.book(None, patient, doctor, start, urgency=urgency,
                                               hospital_id=hospital.id, now=start - BOOKED_AHEAD)
            except core.PatientOverlap:
                continue  # this patient is booked elsewhere then: the next one
            except core.SchedulingError:
                break  # taken, or the day is full: the next slot
            starts.remove(start)
            patients.remove(patient)
            return appointment
    return None


def _clinic(hospital: Hospital, doctors: dict[str, Doctor], logins: dict[str, User], patients: list[Patient],
            rng: random.Random, now: datetime) -> list[str]:
    tz = ZoneInfo(hospital.timezone)
    # just after local midnight the clinic's hour is squeezed into the minutes since: every token stays today's
    since_midnight = now - core.to_utc(core.local_day(now, tz), time(0), tz)
    scale = min(1.0, since_midnight / CLINIC_HOUR)

    def at(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes) * scale

    notes = [note for doctor in doctors.values() if (note := _open_session(doctor, hospital, now))]
    starts = _slot_starts(doctors["doctor1"], hospital, now)
    staff, nurse, doctor_user = logins["staff"].id, logins["nurse"].id, logins["doctor1"].id
    events = [(m, 0, token, ("arrive", doctor, source, priority)) for token, doctor, source, priority, m in ARRIVALS]
    events += [(m, 1, token, (step,)) for m, token, step in STEPS]
    entries, walked_in = {}, 0
    for minutes, _, token, what in sorted(events, key=lambda e: (-e[0], e[1])):
        when = at(minutes)
        if what[0] == "arrive":
            _, login, source, priority = what
            doctor = doctors[login]
            appointment = None
            if source == "appointment":
                appointment = _book_today(doctor, hospital, patients, starts, when + timedelta(minutes=5),
                                          "urgent" if priority == "urgent" else "routine")
                walked_in += appointment is None
            if appointment is not None:
                entries[token] = queue_service.check_in(staff, appointment, now=when, hospital_id=hospital.id)
            else:
                entries[token] = queue_service.issue_walkin(staff, hospital.id, patients.pop(0), doctor_id=doctor.id,
                                                            priority=priority, now=when)
        elif what[0] == "call_next":
            queue_service.call_next(nurse, hospital.id, doctors[token].id, now=when)
        elif what[0] == "vitals":
            queue_service.record_vitals(nurse, entries[token], _vitals(rng))
        elif what[0] == "notes":
            queue_service.save_notes(doctor_user, entries[token], NOTES)
        else:
            actor = nurse if what[0] == "called" else doctor_user
            queue_service.set_status(actor, entries[token], what[0], now=when)
    db.session.flush()
    lines = []
    for login in ("doctor1", "doctor7"):
        mine = [e for t, e in entries.items() if next(a[1] for a in ARRIVALS if a[0] == t) == login]
        counts = {s: sum(e.status == s for e in mine) for s in ("in_progress", "called", "waiting", "completed")}
        booked = sum(e.source == "appointment" for e in mine)
        lines.append(f"  {doctors[login].name}: {len(mine)} tokens ({counts['in_progress']} with the doctor, "
                     f"{counts['called']} called, {counts['waiting']} waiting, {counts['completed']} seen; "
                     f"{booked} booked patients checked in)")
    lines += notes
    if walked_in:
        lines.append(f"  {walked_in} booked patients had no free slot today and came as walk-ins instead")
    return lines


def _vitals(rng: random.Random) -> dict[str, str]:
    systolic = rng.randint(112, 148)
    return {"systolic_mmhg": str(systolic), "diastolic_mmhg": str(systolic - rng.randint(35, 50)),
            "pulse_bpm": str(rng.randint(58, 96)), "temperature_c": f"{rng.uniform(36.3, 37.4):.1f}",
            "spo2_percent": str(rng.randint(95, 99)), "weight_kg": f"{rng.uniform(52, 98):.1f}",
            "height_cm": str(rng.randint(155, 192))}


def _clock(instant: datetime, tz: ZoneInfo) -> str:
    return core.to_local(instant, tz).strftime("%H:%M")


# --- the waitlist ---

def _later_booking(patient: Patient, doctor: Doctor, hospital: Hospital, now: datetime) -> Appointment | None:
    """patient1's booking with the doctor one to three weeks ahead: the one they would like to bring forward."""
    resource_id = resource_for_doctor(doctor.id).id
    first = core.local_day(now, ZoneInfo(hospital.timezone)) + timedelta(days=8)
    last = first + timedelta(days=13)
    calendar = load_calendars([(resource_id, hospital.id)], {hospital.id: hospital.timezone}, first, last)[
        (resource_id, hospital.id)]
    groups = slot_groups(calendar, first, last, Request(now=now))
    for start in sorted({s.start for g in groups for s in g.slots}):
        try:
            with db.session.begin_nested():
                return booking.book(patient.user_id, patient, doctor, start, hospital_id=hospital.id, now=now)
        except core.SchedulingError:
            continue
    return None


def _waitlist(hospital: Hospital, doctor: Doctor, patients: list[Patient], now: datetime) -> list[str]:
    """Four patients wait (patient1 for an earlier slot with doctor1); a cancellation offers one to them."""
    tz = ZoneInfo(hospital.timezone)
    today = core.local_day(now, tz)
    p1, p2, p3, p4 = patients
    ortho = db.session.scalar(select(Specialty).where(Specialty.code == "ORT"))
    with muted():
        current = _later_booking(p1, doctor, hospital, now)
        if current is not None:  # "an earlier slot, please": the booking stays until a better one is accepted
            first = waitlist.join(p1.user_id, p1, waitlist.Wish(urgency="urgent", hospital_ids=(hospital.id,)),
                                  current_appointment=current, now=now - timedelta(days=3))
        else:
            first = waitlist.join(p1.user_id, p1, waitlist.Wish(
                doctor_id=doctor.id, hospital_ids=(hospital.id,), latest=today + timedelta(days=14),
                urgency="urgent"), now=now - timedelta(days=3))
        waitlist.join(p2.user_id, p2, waitlist.Wish(specialty_id=doctor.specialty_id, latest=today + timedelta(days=21),
                                                    times_of_day=("morning",)), now=now - timedelta(days=12))
        waitlist.join(p3.user_id, p3, waitlist.Wish(doctor_id=doctor.id, latest=today + timedelta(days=10)),
                      now=now - timedelta(days=6))
        waitlist.join(p4.user_id, p4, waitlist.Wish(specialty_id=ortho.id, hospital_ids=(hospital.id,),
                                                    latest=today + timedelta(days=30), urgency="urgent"),
                      now=now - timedelta(days=20))
    db.session.commit()
    lines = [f"Waitlist: patient1-{len(patients)}@waitless.example are waiting"
             + (f"; patient1 would like to bring forward {_when(current, tz)} with {doctor.name}" if current else "")]
    freed = _to_cancel(first, doctor, hospital, [p.id for p in patients], now)
    if freed is None:
        return [*lines, "  no appointment of doctor1 before patient1's latest date could be cancelled: no offer made"]
    # not muted: the cancellation offers the slot as on the site, and the offers go out by e-mail (dev mail folder)
    booking.cancel(freed.patient.user_id, freed, "cannot come after all (demo data)", now=now)
    offer = _open_offer(first)
    if offer is None:  # the matcher preferred others: the desk offers it to patient1 as well
        try:
            waitlist.offer_slot(None, hospital.id, doctor.id, freed.start, freed.end, entries=[first], now=now)
        except core.SchedulingError as err:
            return [*lines, f"  the freed slot could not be offered: {err.message}"]
        offer = _open_offer(first)
    others = db.session.scalar(select(func.count(Offer.id)).where(Offer.hold_id == offer.hold_id)) - 1
    lines.append(f"  {freed.patient.name} cancelled {_when(freed, tz)}; it is offered to patient1"
                 + (f" and {others} more" if others else "")
                 + f", held until {_clock(offer.expires_at, tz)} (see patient1's waitlist page or /dev/mail)")
    return lines


def _to_cancel(entry: WaitlistEntry, doctor: Doctor, hospital: Hospital, waiting: list[int],
               now: datetime) -> Appointment | None:
    """Another patient's booking with the doctor from tomorrow up to patient1's latest date, at a time patient1 is
    free: the earlier slot a cancellation will free."""
    tz = ZoneInfo(hospital.timezone)
    tomorrow = core.to_utc(core.local_day(now, tz) + timedelta(days=1), time(0), tz)
    until = core.to_utc(entry.latest + timedelta(days=1), time(0), tz)
    for appointment in db.session.scalars(select(Appointment).where(
            Appointment.doctor_id == doctor.id, Appointment.hospital_id == hospital.id,
            Appointment.status == "scheduled", Appointment.kind == "slots", Appointment.start >= tomorrow,
            Appointment.start < until, Appointment.patient_id.not_in(waiting)).order_by(Appointment.start)):
        busy = db.session.scalar(select(Appointment.id).where(
            Appointment.patient_id == entry.patient_id, Appointment.status.in_(core.ACTIVE),
            Appointment.start < appointment.end, Appointment.end > appointment.start).limit(1))
        if busy is None:
            return appointment
    return None


def _open_offer(entry: WaitlistEntry) -> Offer | None:
    return db.session.scalar(select(Offer).where(Offer.entry_id == entry.id, Offer.status == "open").limit(1))


def _when(appointment: Appointment, tz: ZoneInfo) -> str:
    return core.to_local(appointment.start, tz).strftime("%a %d %b %H:%M")
