"""Kept search answers (docs/availability-index.md, "Cached answers"): every change of a specialty's slots reaches
the next search through the cache, and a change in one specialty leaves the other's kept answer alone."""
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import CacheVersion, IndexedSlot, Specialty
from app.models.base import utcnow
from app.services import booking
from app.services.availability import answers, resource_for_doctor, stamps
from app.services.availability.query import SlotQuery
from app.services.availability.schedules import add_exception
from app.transaction import transaction
from tests.integration.statements import sent_statements


def _starts(client, specialty_id) -> list[str]:
    first = (utcnow() + timedelta(days=1)).date()
    res = client.get(f"/api/v1/slots?specialty={specialty_id}&from={first}&to={first + timedelta(days=1)}&limit=50")
    assert res.status_code == 200
    return [s["start"] for s in res.get_json()["slots"]]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def test_bookings_cancellations_and_leave_reach_the_next_search_and_spare_the_other_specialty(make, client):
    hospital = make.hospital()
    cardio, derma = make.specialty("Cardiology", "CAR"), make.specialty("Dermatology", "DER")
    doctor, other = make.doctor(hospital, cardio), make.doctor(hospital, derma)
    make.schedule(doctor, hospital)
    make.schedule(other, hospital)
    patient = make.patient()
    offered, kept = _starts(client, cardio.id), _starts(client, derma.id)
    assert offered and kept and answers.kept() == 2
    derma_stamp = stamps.current(derma.id)

    with transaction():
        appointment = booking.book(None, patient, doctor, _utc(offered[0]))
    assert _starts(client, cardio.id) == offered[1:]
    assert stamps.current(derma.id) == derma_stamp
    # dermatology's answer is still the kept one: rows removed behind the application's back (no stamp) do not show
    db.session.execute(delete(IndexedSlot).where(IndexedSlot.specialty_id == derma.id))
    db.session.commit()
    assert _starts(client, derma.id) == kept

    with transaction():
        booking.cancel(None, db.session.merge(appointment), "changed plans")
    assert _starts(client, cardio.id) == offered

    first = _utc(offered[0])
    with transaction():
        add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, first, first + timedelta(hours=1),
                      False, "training")
    assert _starts(client, cardio.id) == [s for s in offered if _utc(s) >= first + timedelta(hours=1)]
    assert _starts(client, derma.id) == kept


def test_a_kept_answer_ends_when_its_first_slot_can_no_longer_be_booked(make, client, monkeypatch):
    hospital = make.hospital()
    cardio = make.specialty("Cardiology", "CAR")
    make.schedule(make.doctor(hospital, cardio), hospital, min_notice_minutes=30)
    offered = _starts(client, cardio.id)
    assert _starts(client, cardio.id) == offered and answers.kept() == 1
    # the clock passes the first slot's notice: it is offered no more, although nothing was written
    late = _utc(offered[0]) - timedelta(minutes=29)
    monkeypatch.setattr(answers, "utcnow", lambda: late)
    assert _starts(client, cardio.id) == offered[1:]


def _starts_of(results) -> list[datetime]:
    return [r.start for r in results]


def test_a_transaction_that_has_written_reads_its_own_writes_not_a_kept_answer(make, client):
    hospital = make.hospital()
    cardio = make.specialty("Cardiology", "CAR")
    doctor = make.doctor(hospital, cardio)
    make.schedule(doctor, hospital)
    offered = _starts(client, cardio.id)
    first = _utc(offered[0])
    query = SlotQuery(first_day=first.date(), last_day=first.date() + timedelta(days=1), specialty_id=cardio.id)
    assert first in answers.answer(query, _starts_of)  # kept from now on
    with transaction():
        booking.book(None, make.patient(), doctor, first)
        assert first not in answers.answer(query, _starts_of)


def test_a_held_back_slot_shows_up_through_the_cache_when_its_release_comes(make, client, monkeypatch):
    hospital = make.hospital()
    cardio = make.specialty("Cardiology", "CAR")
    make.schedule(make.doctor(hospital, cardio), hospital, urgent_share=0.5, urgent_release_hours=30)
    first = (utcnow() + timedelta(days=2)).date()
    url = f"/api/v1/slots?specialty={cardio.id}&from={first}&to={first + timedelta(days=1)}&limit=50"
    offered = [s["start"] for s in client.get(url).get_json()["slots"]]
    held = db.session.execute(select(IndexedSlot.start, IndexedSlot.release_at).where(
        IndexedSlot.urgent_hold, IndexedSlot.variant == "", IndexedSlot.local_date == first)
        .order_by(IndexedSlot.release_at)).first()
    assert offered and held is not None and held.start not in {_utc(s) for s in offered}
    assert [s["start"] for s in client.get(url).get_json()["slots"]] == offered and answers.kept() == 1
    monkeypatch.setattr(answers, "utcnow", lambda: held.release_at)  # nothing written; the hold-back just ends
    assert held.start in {_utc(s["start"]) for s in client.get(url).get_json()["slots"]}


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_another_process_s_booking_reaches_a_kept_answer_within_the_stamp_check_and_a_hit_asks_nothing(
        make, client, app, monkeypatch):
    hospital = make.hospital()
    specialty = make.specialty("Cardiology", "CAR").id
    make.schedule(make.doctor(hospital, db.session.get(Specialty, specialty)), hospital)
    clock = _Clock()
    monkeypatch.setattr(stamps, "time", clock)
    offered = _starts(client, specialty)
    db.session.remove()

    with sent_statements() as statements:
        assert _starts(client, specialty) == offered
    assert statements == []  # a kept answer costs no database round trip

    # another process books the first slot: its index row goes and the stamp moves in that process's transaction
    # (a connection of its own: none of this process's session hooks run)
    with db.engine.begin() as other:
        other.execute(delete(IndexedSlot).where(IndexedSlot.specialty_id == specialty,
                                                IndexedSlot.start == _utc(offered[0])))
        other.execute(update(CacheVersion).where(CacheVersion.name == stamps.name(specialty))
                      .values(version=CacheVersion.version + 1))
    clock.now += app.config["SLOT_STAMP_CHECK_SECONDS"] / 2
    assert _starts(client, specialty) == offered  # within the check: the kept answer, at most that much behind
    clock.now += app.config["SLOT_STAMP_CHECK_SECONDS"]
    with sent_statements() as statements:
        assert _starts(client, specialty) == offered[1:]  # the stamps read again: the answer is computed again
    # one read of the stamps serves both the check and the stamp the new answer is filed under
    stamp_reads = [s for s in statements if "FROM cache_versions" in s and "changed_at" not in s]  # not the directory
    assert len(stamp_reads) == 1 and "LIKE" in stamp_reads[0], stamp_reads


def test_threads_asking_the_same_question_at_once_share_one_search(make, app, monkeypatch):
    hospital = make.hospital()
    cardio = make.specialty("Cardiology", "CAR")
    make.schedule(make.doctor(hospital, cardio), hospital)
    first = (utcnow() + timedelta(days=1)).date()
    query = SlotQuery(first_day=first, last_day=first + timedelta(days=1), specialty_id=cardio.id)
    db.session.remove()
    searching, go_on, waiting = threading.Event(), threading.Event(), threading.Event()
    searches = []
    search = answers.indexed_search_until

    def held_search(question, now):
        searches.append(question)
        searching.set()
        go_on.wait(10)  # bounds a broken test; the order comes from the events
        return search(question, now)

    class Watched(threading.Event):
        def wait(self, timeout=None):
            waiting.set()  # a second thread waits for the first one's answer
            return super().wait(timeout)

    monkeypatch.setattr(answers, "indexed_search_until", held_search)
    monkeypatch.setattr(answers, "_new_event", Watched)
    found = {}

    def ask(name):
        with app.app_context():
            found[name] = answers.answer(query, _starts_of)
            db.session.remove()

    first_asker = threading.Thread(target=ask, args=("first",))
    first_asker.start()
    assert searching.wait(10)
    second_asker = threading.Thread(target=ask, args=("second",))
    second_asker.start()
    assert waiting.wait(10)
    go_on.set()
    first_asker.join(10)
    second_asker.join(10)
    assert len(searches) == 1 and found["first"] and found["second"] == found["first"]
