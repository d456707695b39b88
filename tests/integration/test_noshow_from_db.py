"""`flask noshow train --from-db`: the portal's own past appointments as training rows (docs/noshow.md)."""
import json
import random
from datetime import date, datetime, timedelta

from app.extensions import db
from app.models import Appointment
from app.models.base import utcnow
from app.scheduling.noshow_features import FEATURES
from app.services.noshow import load
from app.services.noshow.portal import portal_rows


def _history(make, days: int = 40, per_day: int = 18, seed: int = 3):
    """Past visits whose outcome depends on the lead time and on the patient's habit, as in the data set: a model
    that learns anything must find it."""
    rng = random.Random(seed)
    hospital = make.hospital(timezone="Europe/Berlin")
    doctor = make.doctor(hospital, make.specialty())
    patients = [make.patient(birth_date=date(1950 + i % 50, 1 + i % 12, 1), phone="+4930123456" if i % 2 else None)
                for i in range(40)]
    habit = {p.id: rng.random() < 0.25 for p in patients}
    today = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    for back in range(days, 0, -1):
        for k in range(per_day):
            patient = rng.choice(patients)
            start = today - timedelta(days=back) + timedelta(minutes=15 * k)
            lead = rng.choice([0, 1, 3, 7, 14, 30])
            p_miss = 0.05 + 0.015 * lead + (0.6 if habit[patient.id] else 0)
            db.session.add(Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=start,
                                       end=start + timedelta(minutes=15), kind="slots",
                                       created_at=start - timedelta(days=lead, hours=2),
                                       status="no_show" if rng.random() < p_miss else "completed"))
    # a visit recorded after it took place, and one still to come: neither is a training row
    late = today - timedelta(days=2)
    db.session.add(Appointment(patient_id=patients[0].id, doctor_id=doctor.id, hospital_id=hospital.id, start=late,
                               end=late + timedelta(minutes=15), kind="slots", created_at=late + timedelta(hours=3),
                               status="completed"))
    soon = today + timedelta(days=2)
    db.session.add(Appointment(patient_id=patients[1].id, doctor_id=doctor.id, hospital_id=hospital.id, start=soon,
                               end=soon + timedelta(minutes=15), kind="slots", created_at=today, status="scheduled"))
    db.session.commit()
    return days * per_day


def test_train_from_the_portals_history(app, runner, make, tmp_path):
    expected = _history(make)
    model = tmp_path / "portal.joblib"
    res = runner.invoke(args=["noshow", "train", "--from-db", "--out", str(model)])
    assert res.exit_code == 0, res.output
    line = json.loads(res.output.strip().splitlines()[-1])
    assert line["source"] == "db"
    assert (line["rows"], line["dropped"]) == (expected, 1)
    assert line["trained_to"] < line["held_out_from"]
    assert {c["model"] for c in line["comparison"]} == {"logistic_regression", "linear_svm", "gradient_boosting"}
    assert line["roc_auc"] > 0.6  # the lead time and the habit are there to be learnt
    record = load(model)
    assert tuple(record.features) == FEATURES  # the portal can score its bookings with it


def test_rows_are_the_bookings_as_predictions_see_them(app, make):
    _history(make, days=3, per_day=4)
    rows = portal_rows(utcnow()).rows
    assert len(rows) == 12
    assert all(r.neighbourhood == "" and not r.scholarship for r in rows)  # the portal knows neither
    assert all(r.lead_days >= 0 for r in rows)
    assert {r.sms for r in rows if r.lead_days < 3} == {False}  # as booking_features: no SMS reminder that close
    # a patient's own outcome is never its own history: the booking date is before the day
    assert all(r.booked.date() <= r.day for r in rows)


def test_nothing_to_learn_from_is_a_clear_error(app, runner, tmp_path):
    model = tmp_path / "none.joblib"
    res = runner.invoke(args=["noshow", "train", "--from-db", "--out", str(model)])
    assert res.exit_code == 1
    assert "no past appointments with a known outcome" in res.output
    assert not model.exists()


def test_two_sources_are_refused(app, runner, tmp_path):
    res = runner.invoke(args=["noshow", "train", "--from-db", "--csv", str(tmp_path / "x.csv"),
                              "--out", str(tmp_path / "m.joblib")])
    assert res.exit_code == 2
    assert "--from-db and --csv" in res.output


def test_only_known_outcomes_before_now(app, make):
    _history(make, days=2, per_day=3)
    early = portal_rows(datetime.combine(utcnow().date() - timedelta(days=1), datetime.min.time())).rows
    assert len(early) == 3  # the day before yesterday only
