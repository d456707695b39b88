"""What a booking reads (docs/availability-index.md, "Cost"): the calendar and the doctor's resource once per
transaction, though the placement, the claims and the index upkeep each need them; and the upkeep of a change on
a far day still writes exactly what a rebuild would.
"""
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine.interfaces import CacheStats

from app import scheduling as core
from app.extensions import db
from app.models import AppointmentType, Equipment, IndexedSlot
from app.models.base import utcnow
from app.services import booking
from app.services.availability import index, resource_for_doctor
from app.services.availability.calendars import active_types, known_types
from app.services.availability.schedules import add_exception
from app.transaction import transaction
from tests.integration.statements import sent_statements

LONDON = ZoneInfo("Europe/London")


def _at(days: int, slot: int = 0) -> datetime:
    day = core.local_day(utcnow(), LONDON) + timedelta(days=days)
    return core.to_utc(day, time(9), LONDON) + timedelta(minutes=15 * slot)


def _reads(sent: list[str], table: str) -> int:
    return sum(1 for s in sent if s.startswith("SELECT") and re.search(rf"\bFROM {table}\b", s))


def test_a_booking_reads_the_calendar_and_the_resource_once_and_the_next_one_reads_them_again(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.priced_types(hospital, new=60)
    make.schedule(doctor, hospital, horizon_days=5)
    patient, other = make.patient(), make.patient()
    for who, slot in ((patient, 0), (other, 4)):
        with sent_statements() as sent:
            with transaction():
                booking.book(None, who, doctor, _at(1, slot), appointment_type="new")
        assert _reads(sent, "schedules") == 1, sent
        assert _reads(sent, "availability_exceptions") == 1, sent
        assert _reads(sent, "resources") == 1, sent
        assert _reads(sent, "appointment_types") == 1, sent  # the placement's, with their equipment
        assert _reads(sent, "equipment") == 0, sent
        # where the doctor works: the placement loaded the doctor's hospitals, and the upkeep uses them
        assert not [s for s in sent if "FROM doctors JOIN doctor_hospitals" in s]
        # the messages go in with insert-or-ignore on their dedupe key, without a check first
        assert not [s for s in sent if s.startswith("SELECT") and "FROM outbox WHERE outbox.dedupe_key" in s]
        assert sum(1 for s in sent if s.startswith("INSERT INTO outbox")) >= 1
        assert any(s.startswith("INSERT INTO slot_index") for s in sent)  # the upkeep ran, from the same reads


def _kit_clinic(make):
    """A hospital with an untyped and a typed way in, one type needing an ECG that one of two rooms has."""
    hospital = make.hospital()
    ecg = Equipment(code="ecg", name="ECG")
    db.session.add_all([AppointmentType(hospital_id=hospital.id, code="new", name="New", kind="new",
                                        duration_minutes=15),
                        AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG", kind="new",
                                        duration_minutes=30, equipment=[ecg])])
    make.room(hospital, "Consultation 1", equipment=[ecg])
    make.room(hospital, "Consultation 2")
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=5)
    return hospital, doctor


def test_an_untyped_booking_reads_the_types_and_the_rooms_kit_in_one_statement(make):
    _, doctor = _kit_clinic(make)
    with sent_statements() as sent:
        with transaction():
            booking.book(None, make.patient(), doctor, _at(1))
    kit_reads = [s for s in sent if s.startswith("SELECT") and "room_equipment" in s]
    assert len(kit_reads) == 1, sent
    assert _reads(sent, "appointment_types") == 1 and "FROM appointment_types" in kit_reads[0], sent
    assert any(s.startswith("INSERT INTO slot_index") for s in sent)


def test_the_upkeep_finds_the_same_types_and_rooms_whether_the_placement_read_the_types_or_not(make):
    hospital, _ = _kit_clinic(make)
    with transaction():
        types, rooms = index._setup({hospital.id})  # one statement of plain rows
    with transaction():
        active_types({hospital.id})  # what a typed booking's placement reads first
        assert known_types({hospital.id}) is not None
        assert index._setup({hospital.id}) == (types, rooms)
    assert [(t.code, t.duration, len(t.kit)) for t in types[hospital.id]] == [("new", 15, 0), ("ecg", 30, 1)]
    assert sorted(len(kit) for kit in rooms.values()) == [1]  # the room without equipment has none to offer


def test_the_first_booking_in_a_room_makes_its_resource_and_still_reads_the_calendar_once(make):
    """A room's resource is made by its first claim; it changes no calendar, so the upkeep keeps the placement's."""
    hospital = make.hospital()
    room = make.room(hospital)
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, room_id=room.id, horizon_days=5)
    with sent_statements() as sent:
        with transaction():
            booking.book(None, make.patient(), doctor, _at(1))
    assert any(s.startswith("INSERT INTO resources") for s in sent)  # the room's first claim
    assert _reads(sent, "schedules") == 1, sent
    assert _reads(sent, "availability_exceptions") == 1, sent
    assert any(s.startswith("INSERT INTO slot_index") for s in sent)


def test_a_transaction_that_adds_leave_reads_the_calendar_again(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=5)
    patient = make.patient()
    start = _at(1, 2)
    with pytest.raises(core.SchedulingError):
        with transaction():
            booking.place(doctor, start, appointment_type=None, urgency="routine", now=utcnow())  # read once
            add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, start - timedelta(minutes=15),
                          start + timedelta(hours=1), False, "training")
            booking.book(None, patient, doctor, start)  # must see the leave written a moment ago


def _rows(doctor_id: int) -> list[tuple]:
    return sorted(db.session.execute(
        select(IndexedSlot.local_date, IndexedSlot.variant, IndexedSlot.start, IndexedSlot.end,
               IndexedSlot.seats_left, IndexedSlot.urgent_hold, IndexedSlot.open_from)
        .where(IndexedSlot.doctor_id == doctor_id)).all())


def _clinic(make, *schedules: dict):
    """A doctor at a hospital with the given schedules (make.schedule's keywords), in order."""
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    for kw in schedules:
        make.schedule(doctor, hospital, **kw)
    return hospital, doctor


def _assert_as_a_rebuild_would(doctor_id: int) -> None:
    kept = _rows(doctor_id)
    with transaction():
        index.rebuild(doctor_id)
    assert _rows(doctor_id) == kept


def test_leave_on_a_day_past_the_nearby_horizon_is_kept_in_step_as_a_rebuild_would(make):
    """Near hours open 2 days ahead until day 15, later hours 40 days ahead: day 12 is indexed (the later
    schedule's horizon reaches it) though the hours around it alone would not reach it. The upkeep reads the
    calendar around the day first, and must notice that the whole window decides."""
    today = core.local_day(utcnow(), LONDON)
    hospital, doctor = _clinic(make, dict(horizon_days=2),
                               dict(valid_from=today + timedelta(days=15), horizon_days=40))
    far = today + timedelta(days=12)
    assert far in {row[0] for row in _rows(doctor.id)}
    with transaction():
        add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, _at(12), _at(12, 8), False, "course")
    assert [row for row in _rows(doctor.id) if row[0] == far and row[2] < _at(12, 8)] == []
    _assert_as_a_rebuild_would(doctor.id)


def test_a_booking_beside_leave_keeps_the_leave_out_of_the_index(make):
    """The booking's upkeep reads the calendar of the days around it only: that read must hold the leave of the
    booked day, or the upkeep would offer the hours under it again."""
    hospital, doctor = _clinic(make, dict(horizon_days=3))
    patient = make.patient()  # before the transaction: the factory commits
    with transaction():
        add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, _at(2), _at(2, 4), False, "course")
    with transaction():
        booking.book(None, patient, doctor, _at(2, 5))
    assert [row for row in _rows(doctor.id) if row[2] < _at(2, 4) and row[3] > _at(2)] == []
    _assert_as_a_rebuild_would(doctor.id)


def test_leave_rolled_back_with_its_savepoint_is_not_remembered(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, horizon_days=5)
    patient = make.patient()  # before the transaction: the factory commits
    start = _at(1, 2)
    with transaction():
        with pytest.raises(core.SchedulingError):
            with db.session.begin_nested():
                add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, start, start + timedelta(hours=1),
                              False, "training")
                db.session.flush()
                booking.place(doctor, start, appointment_type=None, urgency="routine", now=utcnow())  # sees the leave
        booking.book(None, patient, doctor, start)  # the leave went with its savepoint


def test_a_booking_compiles_no_statement_anew_and_writes_no_unchanged_prediction(make):
    """After a first booking has compiled what a booking sends, a second one finds every statement compiled: the
    upserts (outbox, day count, stamps) come from rows.compiled_once, SQLAlchemy's cache has the rest. With no
    no-show model active the new booking's prediction stays empty, without an UPDATE that writes it empty again."""
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.user("staff", hospital)  # a reader of the booking's notices: a notice and its e-mail per booking
    make.priced_types(hospital, new=60)
    make.schedule(doctor, hospital, horizon_days=5)
    fresh = []

    def record(_conn, _cursor, statement, _params, context, _many):
        if context.cache_hit in (CacheStats.CACHE_MISS, CacheStats.NO_CACHE_KEY):
            fresh.append(" ".join(statement.split())[:120])
    for slot, who in ((0, make.patient()), (4, make.patient())):
        fresh.clear()
        with sent_statements() as sent:
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                with transaction():
                    booking.book(None, who, doctor, _at(1, slot), appointment_type="new")
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        assert any(s.startswith("INSERT INTO staff_notices") for s in sent)
        assert not [s for s in sent if s.startswith("UPDATE appointments")], sent
    assert fresh == []


def test_a_doctors_hospitals_are_read_without_an_on_disk_temporary_table(make):
    """hospitals.address is a VARCHAR: as TEXT, MariaDB sorted a doctor's hospitals (by name, on every booking)
    through an on-disk temporary table (migration 0024)."""
    first, second = make.hospital(name="Zeta"), make.hospital(name="Alpha")
    for n in range(12):  # a region's worth: with two rows the planner would scan hospitals first and sort nothing
        make.hospital(name=f"Other {n}")
    doctor = make.doctor(first, make.specialty())
    doctor.hospitals.append(second)
    db.session.commit()
    address = next(c for c in inspect(db.engine).get_columns("hospitals") if c["name"] == "address")
    assert getattr(address["type"], "length", None) == 500  # what the migrations made, on either database
    doctor_id = doctor.id
    db.session.expire_all()
    mysql = db.engine.dialect.name == "mysql"
    before = _temporary_tables() if mysql else {}  # this connection's counters (FLUSH STATUS needs a privilege)
    names = [h.name for h in db.session.get(type(doctor), doctor_id).hospitals]
    assert names == ["Alpha", "Zeta"]
    if mysql:
        made = {name: count - before[name] for name, count in _temporary_tables().items()}
        assert made["Created_tmp_tables"] >= 1, made  # sorted through one, as ever
        assert made["Created_tmp_disk_tables"] == 0, made


def _temporary_tables() -> dict[str, int]:
    return {name: int(value) for name, value in
            db.session.execute(text("SHOW SESSION STATUS LIKE 'Created_tmp%tables'")).all()}
