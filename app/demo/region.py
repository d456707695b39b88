"""The `region` demo scale (docs/cli.md): 100 hospitals, 2,000 doctors, 30 days about 60% booked.

Built with bulk Core inserts of precomputed rows, not through the booking service: a million bookings one by one
would take an hour. The rows are the ones a real booking writes (an Appointment, one Claim per 5-minute cell on
seat 0 of the doctor's resource, the DayCounter of the local day), so the integrity rules hold afterwards and
the slot search and the booking service see an ordinary, busy region. Audit events are not written for them. Each
doctor has a consultation room of their own at each hospital, so the room's claims would repeat the doctor's
cell for cell: the bulk rows leave them out (holds_room false) and keep the seeding time; a booking made on the
site claims both.

Slot times come from the scheduling core itself (expand_windows -> generate_slots, i.e. to_utc in the hospital's
zone), computed once per zone and day and shared by every doctor, so the seeded bookings sit exactly on the slots
the search offers, urgent hold-backs included.
"""
from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from app import scheduling as core
from app.demo.catalogue import DEMO_PASSWORD, consultation_room, person_name, seed_catalogue, seed_hospital
from app.demo.phones import landline, mobile
from app.extensions import db
from app.models import (
    Appointment,
    AvailabilityRule,
    Claim,
    DayCounter,
    Doctor,
    Hospital,
    IndexedSlot,
    Membership,
    Patient,
    Queue,
    QueueEntry,
    Role,
    SchedulableResource,
    Schedule,
    User,
    doctor_hospitals,
)
from app.models.base import utcnow
from app.models.user import new_stamp
from app.services.accounts import create_user
from app.services.accounts.passwords import hash_password
from app.services.availability import index as availability_index
from app.services.reports import stats as report_stats
from app.services.reports import totals as report_totals

# real cities (centre coordinates); the first of each country gets the most hospitals
CITIES = {
    ("GB", "Europe/London"): [
        ("London", 51.5074, -0.1278, 8), ("Birmingham", 52.4862, -1.8904, 3), ("Manchester", 53.4808, -2.2426, 3),
        ("Leeds", 53.8008, -1.5491, 2), ("Liverpool", 53.4084, -2.9916, 2), ("Sheffield", 53.3811, -1.4701, 2),
        ("Bristol", 51.4545, -2.5879, 2), ("Newcastle upon Tyne", 54.9783, -1.6178, 1),
        ("Nottingham", 52.9548, -1.1581, 1), ("Leicester", 52.6369, -1.1398, 1), ("Oxford", 51.7520, -1.2577, 1),
        ("Cambridge", 52.2053, 0.1218, 1), ("Southampton", 50.9097, -1.4044, 1), ("Brighton", 50.8225, -0.1372, 1),
        ("Norwich", 52.6309, 1.2974, 1), ("York", 53.9600, -1.0873, 1), ("Plymouth", 50.3755, -4.1427, 1),
        ("Coventry", 52.4068, -1.5197, 1),
    ],
    ("DE", "Europe/Berlin"): [
        ("Berlin", 52.5200, 13.4050, 8), ("Hamburg", 53.5511, 9.9937, 3), ("München", 48.1351, 11.5820, 3),
        ("Köln", 50.9375, 6.9603, 2), ("Frankfurt am Main", 50.1109, 8.6821, 2), ("Stuttgart", 48.7758, 9.1829, 2),
        ("Düsseldorf", 51.2277, 6.7735, 2), ("Leipzig", 51.3397, 12.3731, 1), ("Dortmund", 51.5136, 7.4653, 1),
        ("Essen", 51.4556, 7.0116, 1), ("Bremen", 53.0793, 8.8017, 1), ("Dresden", 51.0504, 13.7373, 1),
        ("Hannover", 52.3759, 9.7320, 1), ("Nürnberg", 49.4521, 11.0767, 1),
        ("Freiburg im Breisgau", 47.9990, 7.8421, 1), ("Heidelberg", 49.3988, 8.6724, 1),
        ("Münster", 51.9607, 7.6261, 1), ("Bonn", 50.7374, 7.0982, 1),
    ],
}
HOURS = ((time(9), time(12)), (time(13), time(17)))  # Mon-Fri, 15-minute slots
SLOT_MINUTES = 15
WEEK = (0, 1, 2, 3, 4)
SPLIT_WEEK = ((0, 1, 2), (3, 4))  # a doctor at two hospitals: Mon-Wed at home, Thu-Fri at the second
POLICY = dict(horizon_days=60, daily_limit=None, min_notice_minutes=60, buffer_minutes=0, urgent_share=0.1,
              urgent_release_hours=24)
FEES = {"new": Decimal("80.00"), "follow_up": Decimal("50.00")}  # the types app.demo._hospital creates


def _stdout(message: str) -> None:
    print(message, flush=True)


class _Writer:
    """Buffers rows per table and inserts them with executemany, parents before children (foreign keys)."""

    def __init__(self, batch: int):
        self.batch = batch
        self.rows: dict = {}
        self.order: list = []
        self.written: dict[str, int] = defaultdict(int)

    def add(self, table, row: dict) -> None:
        if table not in self.rows:
            self.rows[table] = []
            self.order.append(table)
        self.rows[table].append(row)

    def maybe_flush(self) -> None:
        if max(len(r) for r in self.rows.values()) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.rows[table]
            for i in range(0, len(rows), self.batch):
                db.session.execute(insert(table), rows[i:i + self.batch])
            self.written[table.name] += len(rows)
            rows.clear()
        db.session.commit()  # short transactions: InnoDB's undo log stays small


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _hospital_rows(rng: random.Random, count: int) -> list[tuple]:
    """Alternate England and Germany; cities drawn by weight; '<City> General Hospital N' is unique per city."""
    per_city: dict[str, int] = defaultdict(int)
    rows = []
    countries = list(CITIES)
    for i in range(count):
        (country, tz) = countries[i % len(countries)]
        cities = CITIES[(country, tz)]
        city, lat, lon, _ = rng.choices(cities, weights=[c[3] for c in cities])[0]
        per_city[city] += 1
        n = per_city[city]
        phone = landline(rng, country)
        rows.append((f"{city} General Hospital {n}", city, country, round(lat + rng.uniform(-0.05, 0.05), 5),
                     round(lon + rng.uniform(-0.08, 0.08), 5), tz, phone))
    return rows


def _slot_templates(tz_names: set[str], days: list[date], valid_from: date) -> dict[tuple[str, date], list]:
    """The core's slots of the weekly hours, per zone and local day: the same for every doctor there."""
    rules = tuple(core.WeeklyRule(weekday=d, start=s, end=e, slot_minutes=SLOT_MINUTES)
                  for d in WEEK for s, e in HOURS)
    policy = core.Policy(**POLICY)
    schedule = core.Schedule(valid_from, None, rules, policy)
    templates = {}
    for tz_name in tz_names:
        tz = ZoneInfo(tz_name)
        for day in days:
            windows = core.expand_windows([schedule], [], tz, day, day)
            templates[(tz_name, day)] = core.generate_slots(windows, tz, policy)
    return templates


def seed_region(seed: int = 1, *, hospitals: int = 100, doctors: int = 2000, days: int = 30,
                patients: int = 20000, booked_share: float = 0.6, two_hospital_share: float = 0.1,
                batch: int = 10000, echo: Callable[[str], None] | None = _stdout,
                history_days: int = 0) -> dict[str, tuple[str, str]]:
    """Seed the region into an empty database and return the demo logins (like app.demo.seed_small).

    The keyword arguments scale it down for tests; the defaults are the region of docs/cli.md. Each doctor
    is booked with a popularity drawn around `booked_share`; `two_hospital_share` of the doctors work Mon-Wed at
    their home hospital and Thu-Fri at a second one in the same country. `history_days` adds that many past days
    of appointments with outcomes (completed, no-shows, cancellations) and their daily statistics
    (docs/reports.md).
    """
    say = echo or (lambda _message: None)
    started = clock.perf_counter()
    region = _Region(random.Random(seed), _Writer(batch), hash_password(DEMO_PASSWORD), history_days)
    logins = region.hospitals(hospitals)
    region.doctors(doctors, two_hospital_share)
    region.patients(patients)
    region.writer.flush()
    say(f"region: {hospitals} hospitals, {doctors} doctors, {patients} patients in "
        f"{clock.perf_counter() - started:.1f} s; booking...")
    slots, booked = region.bookings(days, booked_share)
    if history_days:
        past = region.history(history_days, booked_share)
        say(f"history: {past} past appointments over {history_days} days; statistics...")
        _build_stats(region.today - timedelta(days=history_days), region.today - timedelta(days=1))
    indexed = _build_index(batch)
    _analyze()
    written = region.writer.written
    say(f"region seeded in {clock.perf_counter() - started:.1f} s on {db.engine.dialect.name}: {hospitals} hospitals, "
        f"{doctors} doctors ({written['schedules']} schedules), {patients} patients, {slots} slots over {days} days, "
        f"{booked} appointments ({booked / max(slots, 1):.1%} booked), {written['claims']} claims, "
        f"{written['day_counters']} day counters, {indexed} free slots indexed")
    return logins


def _build_stats(first: date, last: date) -> None:
    """The daily statistics of the seeded history, a stretch per commit like `flask stats rebuild`."""
    for chunk_first, chunk_last in report_stats.chunks(first, last):
        report_stats.rebuild(chunk_first, chunk_last)
        db.session.commit()
    report_totals.refresh(first)
    db.session.commit()


def _build_index(batch: int) -> int:
    """The availability index of the bulk-loaded rows (which bypass the session's upkeep), some doctors per commit."""
    doctors, rows, step = availability_index.doctor_ids(), 0, max(1, batch // 200)
    for i in range(0, len(doctors), step):
        rows += availability_index.reindex(dict.fromkeys(doctors[i:i + step], availability_index.ALL))
        db.session.commit()
    return rows


class _Region:
    """The region's rows, built in order: hospitals (ORM), then doctors, patients and bookings (bulk inserts).

    Ids are assigned here, from the tables' current maximum, so that children can name their parents without
    reading generated keys back.
    """

    def __init__(self, rng: random.Random, writer: _Writer, password_hash: str, history_days: int = 0):
        self.rng, self.writer, self.password_hash = rng, writer, password_hash
        self.now = utcnow()
        self.today = self.now.date()
        first = self.today - timedelta(days=history_days)  # the hours hold since the history's first day
        self.valid_from = first - timedelta(days=first.weekday())
        self.plans: list[tuple[int, int, int, int, frozenset[int]]] = []  # doctor, resource, hospital, room, days
        self.patient_users: dict[int, int] = {}  # patient id -> user id
        self.specialty_codes: dict[int, str] = {}  # doctor id -> the specialty's code (the queue's token prefix)

    def hospitals(self, count: int) -> dict[str, tuple[str, str]]:
        """The catalogue, the hospitals with their rooms and types (as in the small region) and the staff logins."""
        self.specialties, equipment = seed_catalogue()
        for row in _hospital_rows(self.rng, count):
            seed_hospital(row, self.specialties, equipment)
        db.session.flush()
        self.hospital_rows = db.session.execute(select(Hospital.id, Hospital.country, Hospital.timezone)
                                                .order_by(Hospital.id)).all()
        self.tz_of = {h: tz for h, _, tz in self.hospital_rows}
        self.currency_of = dict(db.session.execute(select(Hospital.id, Hospital.currency)).all())
        self.by_country: dict[str, list[int]] = defaultdict(list)
        for h, country, _ in self.hospital_rows:
            self.by_country[country].append(h)
        self.hospitals_by_id = {h.id: h for h in db.session.scalars(select(Hospital))}
        logins = _staff_accounts(self.rng, self.hospital_rows[0][0], self.password_hash)
        db.session.commit()
        self.next_user = _next_id(User)
        return logins

    def doctors(self, count: int, two_hospital_share: float) -> None:
        """Account, profile, resource, memberships and one schedule per doctor and hospital."""
        rng, add = self.rng, self.writer.add
        doctor_id, resource_id, schedule_id = _next_id(Doctor), _next_id(SchedulableResource), _next_id(Schedule)
        hospitals = self.hospital_rows
        rooms_given: dict[int, int] = defaultdict(int)  # a room of their own for each doctor at each hospital
        for i in range(count):
            home = hospitals[i % len(hospitals)]
            specialty = self.specialties[(i // len(hospitals)) % len(self.specialties)]
            user_id = self._user(f"doctor{i + 1}@waitless.example", Role.DOCTOR, f"Dr {person_name(rng)}")
            german = home[1] == "DE"
            add(Doctor.__table__, dict(
                id=doctor_id, user_id=user_id, specialty_id=specialty.id, photo=None,
                qualifications=rng.choice(["Dr. med., FA", "Dr. med.", "MD, PhD"] if german
                                          else ["MBBS, MRCP", "MBChB, FRCS", "MD"]),
                bio=f"{specialty.name} consultant with {rng.randint(5, 25)} years of practice.",
                languages=rng.choice(["de", "de,en", "de,en,fr"] if german else ["en", "en,fr", "en,de"]),
                fee=Decimal(rng.choice([60, 80, 95, 120])), active=True))
            add(SchedulableResource.__table__, dict(id=resource_id, kind="doctor", doctor_id=doctor_id, room_id=None))
            self.specialty_codes[doctor_id] = specialty.code
            places = [(home[0], WEEK)]
            if rng.random() < two_hospital_share and len(self.by_country[home[1]]) > 1:
                second = rng.choice([h for h in self.by_country[home[1]] if h != home[0]])
                places = [(home[0], SPLIT_WEEK[0]), (second, SPLIT_WEEK[1])]
            for hospital_id, weekdays in places:
                rooms_given[hospital_id] += 1
                room_id = consultation_room(self.hospitals_by_id[hospital_id], rooms_given[hospital_id]).id
                add(doctor_hospitals, dict(doctor_id=doctor_id, hospital_id=hospital_id))
                add(Membership.__table__, dict(user_id=user_id, hospital_id=hospital_id, role=Role.DOCTOR.value))
                add(Schedule.__table__, dict(id=schedule_id, resource_id=resource_id, hospital_id=hospital_id,
                                             valid_from=self.valid_from, valid_till=None, created_at=self.now,
                                             **POLICY))
                for weekday in weekdays:
                    for start, end in HOURS:
                        add(AvailabilityRule.__table__, dict(
                            schedule_id=schedule_id, weekday=weekday, start=start, end=end, kind="slots",
                            slot_minutes=SLOT_MINUTES, tokens_per_slot=1, appointment_types="", room_id=room_id))
                self.plans.append((doctor_id, resource_id, hospital_id, room_id, frozenset(weekdays)))
                schedule_id += 1
            doctor_id, resource_id = doctor_id + 1, resource_id + 1

    def patients(self, count: int) -> None:
        """Patients, each with an account (patient1 is the demo patient)."""
        rng = self.rng
        patient_id = _next_id(Patient)
        for i in range(count):
            name = person_name(rng)
            user_id = self._user(f"patient{i + 1}@waitless.example", Role.PATIENT, name)
            self.writer.add(Patient.__table__, dict(
                id=patient_id, user_id=user_id, name=name,
                birth_date=date(1940 + rng.randint(0, 65), rng.randint(1, 12), rng.randint(1, 28)),
                sex=rng.choice(["female", "male"]), blood_type=rng.choice(["A+", "O+", "B+", "AB-", "O-"]),
                phone=mobile(rng, "DE" if i % 4 == 3 else "GB"), address=None, emergency_contact_name=None,
                emergency_contact_phone=None, created_at=self.now))
            self.patient_users[patient_id] = user_id
            patient_id += 1

    def bookings(self, days: int, booked_share: float) -> tuple[int, int]:
        """Book each slot of the days with the doctor's popularity; (slots offered, appointments) are returned."""
        rng, add = self.rng, self.writer.add
        span = [self.today + timedelta(days=d) for d in range(days)]
        templates = _slot_templates(set(self.tz_of.values()), span, self.valid_from)
        patient_ids = list(self.patient_users)
        busy_patients: dict[datetime, set[int]] = defaultdict(set)  # no patient is in two places at once
        counters: dict[tuple[int, date], int] = defaultdict(int)
        cells_of: dict[datetime, list[datetime]] = {}
        appointment_id = _next_id(Appointment)
        slots = booked = 0
        low, high = max(0.0, booked_share - 0.15), min(1.0, booked_share + 0.15)
        for doctor_id, resource_id, hospital_id, room_id, weekdays in self.plans:
            popularity = rng.uniform(low, high)
            for day in span:
                if day.weekday() not in weekdays:
                    continue
                for slot in templates[(self.tz_of[hospital_id], day)]:
                    slots += 1
                    taken = busy_patients[slot.start]
                    if rng.random() >= popularity or len(taken) >= len(patient_ids):
                        continue  # left free (or, at toy scales, every patient is busy then)
                    patient_id = rng.choice(patient_ids)
                    while patient_id in taken:
                        patient_id = rng.choice(patient_ids)
                    taken.add(patient_id)
                    type_code = "follow_up" if rng.random() < 0.3 else "new"
                    add(Appointment.__table__, dict(
                        id=appointment_id, patient_id=patient_id, doctor_id=doctor_id, room_id=room_id,
                        hospital_id=hospital_id, appointment_type=type_code, start=slot.start, end=slot.end,
                        status="scheduled", urgency="urgent" if slot.urgent_hold else "routine", reason=None,
                        emergency=False, holds_room=False, kind="slots", booked_by_id=self.patient_users[patient_id],
                        created_at=self.now, cancelled_at=None, cancel_reason=None, fee=FEES[type_code],
                        currency=self.currency_of[hospital_id]))
                    cells = cells_of.get(slot.start)
                    if cells is None:
                        cells = cells_of[slot.start] = core.cells(slot.start, slot.end)
                    for cell in cells:
                        add(Claim.__table__, dict(resource_id=resource_id, cell_start=cell, seat=0,
                                                  appointment_id=appointment_id))
                    counters[(resource_id, slot.local_date)] += 1
                    appointment_id += 1
                    booked += 1
            self.writer.maybe_flush()
        for (resource_id, day), count in counters.items():
            add(DayCounter.__table__, dict(resource_id=resource_id, day=day, count=count))
        self.writer.flush()
        return slots, booked

    def history(self, days: int, booked_share: float) -> int:
        """Past days: each slot booked with the doctor's popularity, days to weeks ahead, then completed, missed
        (8 %) or cancelled (6 %, half of them within a day of the start). Patients who came passed through the
        doctor's queue, with a walk-in now and then. Past appointments hold no claims."""
        rng, add = self.rng, self.writer.add
        span = [self.today - timedelta(days=d) for d in range(days, 0, -1)]
        templates = _slot_templates(set(self.tz_of.values()), span, self.valid_from)
        patient_ids = list(self.patient_users)
        appointment_id, queue_id = _next_id(Appointment), _next_id(Queue)
        written = 0
        for doctor_id, _resource_id, hospital_id, room_id, weekdays in self.plans:
            add(Queue.__table__, dict(id=queue_id, hospital_id=hospital_id, doctor_id=doctor_id,
                                      prefix=self.specialty_codes[doctor_id], room_id=room_id))
            popularity = rng.uniform(max(0.0, booked_share - 0.15), min(1.0, booked_share + 0.15))
            for day in span:
                if day.weekday() not in weekdays:
                    continue
                line = _DayLine(queue_id, day, self.specialty_codes[doctor_id], add)
                for slot in templates[(self.tz_of[hospital_id], day)]:
                    if rng.random() < 0.05:  # a walk-in arrives
                        line.arrive(rng, rng.choice(patient_ids), slot.start, None)
                    if rng.random() >= popularity:
                        continue
                    patient_id = rng.choice(patient_ids)
                    created = slot.start - timedelta(hours=rng.randint(12, 24 * 40))
                    outcome = rng.random()
                    status, cancelled = "completed", None
                    if outcome < 0.08:
                        status = "no_show"
                    elif outcome < 0.14:
                        status = "cancelled"
                        cancelled = max(created, slot.start - timedelta(hours=rng.choice([2, 6, 48, 120])))
                    type_code = "follow_up" if rng.random() < 0.3 else "new"
                    add(Appointment.__table__, dict(
                        id=appointment_id, patient_id=patient_id, doctor_id=doctor_id, room_id=room_id,
                        hospital_id=hospital_id, appointment_type=type_code, start=slot.start, end=slot.end,
                        status=status, urgency="routine", reason=None, emergency=False, holds_room=False,
                        kind="slots", booked_by_id=self.patient_users[patient_id], created_at=created,
                        cancelled_at=cancelled, cancel_reason="demo" if cancelled else None, fee=FEES[type_code],
                        currency=self.currency_of[hospital_id]))
                    if status == "completed":
                        line.arrive(rng, patient_id, slot.start, appointment_id)
                    appointment_id += 1
                    written += 1
            queue_id += 1
            self.writer.maybe_flush()
        self.writer.flush()
        return written

    def _user(self, email: str, role: Role, name: str) -> int:
        user_id = self.next_user
        self.next_user += 1
        self.writer.add(User.__table__, dict(
            id=user_id, email=email, password_hash=self.password_hash, name=name, role=role.value, active=True,
            email_verified_at=self.now, security_stamp=new_stamp(), language="en", created_at=self.now))
        return user_id


class _DayLine:
    """One queue's past day: tokens numbered in arrival order, one per patient, each called after a wait and seen
    for eight to twenty minutes."""

    def __init__(self, queue_id: int, day: date, prefix: str, add: Callable):
        self.queue_id, self.day, self.prefix, self.add = queue_id, day, prefix, add
        self.number, self.patients = 0, set()

    def arrive(self, rng: random.Random, patient_id: int, around: datetime, appointment_id: int | None) -> None:
        if patient_id in self.patients:
            return  # one token per patient and day in a queue
        self.patients.add(patient_id)
        self.number += 1
        arrived = around - timedelta(minutes=rng.randint(0, 20))
        called = max(arrived, around + timedelta(minutes=rng.randint(-5, 25)))
        ended = called + timedelta(minutes=rng.randint(8, 20))
        self.add(QueueEntry.__table__, dict(
            queue_id=self.queue_id, day=self.day, number=self.number, label=core.token_label(self.prefix, self.number),
            patient_id=patient_id, appointment_id=appointment_id,
            source="appointment" if appointment_id else "walkin", priority="normal", status="completed",
            manual_offset=0, arrived_at=arrived, called_at=called, started_at=called, ended_at=ended,
            created_by_id=None))


def _analyze() -> None:
    """Fresh planner statistics after the bulk load: without them SQLite reads appointments through the status
    index (every row) instead of (doctor_id, start), and the slot search is several times slower."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        db.session.execute(text("ANALYZE"))
    elif dialect == "mysql":
        tables = ", ".join(t.name for t in (User.__table__, Patient.__table__, Doctor.__table__, Schedule.__table__,
                                            AvailabilityRule.__table__, Appointment.__table__, Claim.__table__,
                                            DayCounter.__table__, IndexedSlot.__table__))
        db.session.execute(text(f"ANALYZE TABLE {tables}")).all()
    db.session.commit()


def _staff_accounts(rng: random.Random, hospital_id: int, password_hash: str) -> dict[str, tuple[str, str]]:
    """The demo logins that are not doctors or patients: a nurse and staff at hospital 1, and the region admin."""
    logins = {"patient": ("patient1@waitless.example", DEMO_PASSWORD),
              "doctor": ("doctor1@waitless.example", DEMO_PASSWORD)}
    for role in (Role.NURSE, Role.STAFF):
        user = create_user(f"{role}@waitless.example", DEMO_PASSWORD, role, person_name(rng), verified=True,
                           password_hash=password_hash)
        db.session.add(Membership(user_id=user.id, hospital_id=hospital_id, role=role))
        logins[str(role)] = (user.email, DEMO_PASSWORD)
    create_user("admin@waitless.example", DEMO_PASSWORD, Role.ADMIN, "Regional Administrator", verified=True,
                password_hash=password_hash)
    logins["admin"] = ("admin@waitless.example", DEMO_PASSWORD)
    return logins
