"""No-show rates of the portal's own appointments for the admin pages (docs/noshow.md, "Admin pages"): by
hospital, doctor, lead time and weekday, over the appointments that took place or were missed, within the admin's
hospitals."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Doctor, Hospital, User
from app.models.base import utcnow
from app.scheduling.codes import Kind, Status
from app.scheduling.noshow_features import LEAD_BANDS, Rate, lead_band

# Appointments whose outcome is known: the patient came (checked in or later) or was marked a no-show.
OUTCOMES = (Status.COMPLETED, Status.NO_SHOW, Status.CHECKED_IN, Status.IN_PROGRESS)
WINDOW_DAYS = 365  # a year of appointments: enough to compare, bounded for a large region


def noshow_rates(scope: set[int] | None, now: datetime | None = None) -> dict:
    """{"hospital": [(name, Rate)], "doctor": [(name, Rate)], "lead": [(band, Rate)], "weekday": [(0..6, Rate)],
    "total": Rate}: appointments of the last WINDOW_DAYS before ``now`` in the hospitals of ``scope`` (None: all)."""
    now = now or utcnow()
    query = (select(Appointment.start, Appointment.created_at, Appointment.status, Hospital.name, Hospital.timezone,
                    User.name)
             .join(Hospital, Hospital.id == Appointment.hospital_id)
             .join(Doctor, Doctor.id == Appointment.doctor_id).join(User, User.id == Doctor.user_id)
             .where(Appointment.status.in_(OUTCOMES), Appointment.kind != Kind.LOCATION,
                    Appointment.patient_id.is_not(None), Appointment.start < now,
                    Appointment.start >= now - timedelta(days=WINDOW_DAYS)))
    if scope is not None:
        query = query.where(Appointment.hospital_id.in_(scope))
    by = {key: defaultdict(Rate) for key in ("hospital", "doctor", "lead", "weekday")}
    total = Rate()
    zones: dict[str, ZoneInfo] = {}
    utc = ZoneInfo("UTC")
    for start, created, status, hospital, timezone, doctor in db.session.execute(query):
        tz = zones.setdefault(timezone, ZoneInfo(timezone))
        local_start = start.replace(tzinfo=utc).astimezone(tz)
        lead = (local_start.date() - created.replace(tzinfo=utc).astimezone(tz).date()).days
        missed = status == Status.NO_SHOW
        for key, value in (("hospital", hospital), ("doctor", doctor), ("lead", lead_band(lead)),
                           ("weekday", local_start.weekday()), (None, None)):
            rate = total if key is None else by[key][value]
            rate.seen += 1
            rate.missed += missed
    return {
        "hospital": sorted(by["hospital"].items()), "doctor": sorted(by["doctor"].items()),
        "lead": [(label, by["lead"][label]) for label, _ in LEAD_BANDS if label in by["lead"]],
        "weekday": sorted(by["weekday"].items()), "total": total,
    }
