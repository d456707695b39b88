"""Predictions on bookings: the active model (the NOSHOW_MODEL setting) scores each booking when it is made or
moved, and the probability and the model's version are stored on the appointment (docs/noshow.md, "Predictions on
bookings").

No model configured, a model file refused at load (another version, a changed checksum) or a prediction that fails:
the booking goes on without a prediction and the log says why, once per model file. Never a crash.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Patient
from app.scheduling.codes import Kind, Status
from app.scheduling.noshow_features import FEATURES, BookingFacts, booking_features
from app.services.noshow.modelfile import ModelFileError, load, read_metrics

log = logging.getLogger(__name__)

# Appointments that took place or were missed: the patient's visits, in the data set's sense.
VISITED = (Status.COMPLETED, Status.NO_SHOW, Status.CHECKED_IN, Status.IN_PROGRESS)


@dataclass(frozen=True)
class ActiveModel:
    record: object  # training.ModelRecord
    version: str  # what each booking stores (modelfile.model_version)


_lock = threading.Lock()
_loaded: dict[tuple, ActiveModel | None] = {}  # (path, size, mtime) -> the model, or None: refused


def active_model() -> ActiveModel | None:
    """The model of the NOSHOW_MODEL setting, loaded once per file version; None without one or when refused."""
    setting = current_app.config.get("NOSHOW_MODEL")
    if not setting:
        return None
    path = Path(setting)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        key = (str(path), None, None)
    with _lock:
        if key not in _loaded:
            _loaded.clear()  # one model is active at a time; a replaced file is loaded afresh
            _loaded[key] = _load(path)
        return _loaded[key]


def _load(path: Path) -> ActiveModel | None:
    try:
        meta = read_metrics(path)
        record = load(path)
    except ModelFileError as err:
        log.error("no-show model refused, no predictions are stored: %s", err)
        return None
    if tuple(record.features) != FEATURES:
        log.error("no-show model refused, no predictions are stored: %s has features %s, this portal computes %s",
                  path, ", ".join(record.features), ", ".join(FEATURES))
        return None
    log.info("no-show model %s loaded from %s", meta["model_version"], path)
    return ActiveModel(record, meta["model_version"])


def facts(appointment: Appointment, patient: Patient, now: datetime) -> BookingFacts:
    """What the portal knows of the booking at ``now`` (naive UTC), on the hospital's wall clock. History counts
    the patient's appointments on days before the booking's day: their outcome was known (docs/noshow.md)."""
    tz = ZoneInfo(appointment.hospital.timezone)
    booked = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
    day = appointment.start.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()
    midnight = datetime.combine(booked.date(), time(), tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    visits, missed = db.session.execute(
        select(func.count(Appointment.id),
               func.coalesce(func.sum(func.cast(Appointment.status == Status.NO_SHOW, db.Integer)), 0))
        .where(Appointment.patient_id == patient.id, Appointment.id != appointment.id,
               Appointment.status.in_(VISITED), Appointment.start < midnight)).one()
    return BookingFacts(
        booked=booked, day=day, age=_age(patient.birth_date, day), female=patient.sex == "female",
        sms_enabled=bool(patient.notify_sms and patient.phone and current_app.config.get("NOTIFY_SMS", True)),
        prior_visits=int(visits), prior_noshows=int(missed))


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def predict(appointment: Appointment, now: datetime) -> None:
    """Store the booking's no-show probability and model version, or clear them when there is no model to ask
    (a moved booking's old prediction was about another lead time)."""
    if appointment.kind == Kind.LOCATION or appointment.patient_id is None:
        return _store(appointment, None, None)
    model = active_model()
    if model is None:
        return _store(appointment, None, None)
    patient = db.session.get(Patient, appointment.patient_id)  # a filled hold's relationship may be stale
    try:
        x = booking_features(facts(appointment, patient, now), model.record.encoding)
        p = float(model.record.model.predict_proba([x])[0][1])
    except Exception:  # a model that cannot score must not cost the patient the booking
        log.exception("no-show prediction failed for appointment %s; stored none", appointment.id)
        return _store(appointment, None, None)
    _store(appointment, round(p, 4), model.version)


def _store(appointment: Appointment, p: float | None, version: str | None) -> None:
    """Set the prediction only where it changes: assigning the same None to a booking just inserted would cost an
    UPDATE of every booking made while no model is active."""
    if (appointment.noshow_p, appointment.noshow_model) != (p, version):
        appointment.noshow_p, appointment.noshow_model = p, version


def forget_loaded() -> None:
    """Drop the loaded model, e.g. after the setting changed (tests, the demo seeder)."""
    with _lock:
        _loaded.clear()



