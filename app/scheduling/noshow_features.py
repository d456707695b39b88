"""No-show features: appointments read from the Kaggle layout, turned into numbers the portal knows at booking time.

Pure Python (docs/architecture.md, "Layers"): no scikit-learn here; ``app/services/noshow`` fits the models on the
rows this module builds. docs/noshow.md lists every feature and why it is honest:

- everything but the history is known when the appointment is booked (age, sex, lead time, weekday, the booking's
  hour, SMS reminder, welfare and chronic conditions, neighbourhood);
- the patient's history counts only appointments whose outcome was known when this one was booked: their day lies
  strictly before the booking's date. An outcome from the same day or later never reaches a feature;
- the neighbourhood's encodings (how common, how often its patients miss) are fitted on the training rows only and
  applied unchanged to later rows.
"""
from __future__ import annotations

import bisect
import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

# The columns of the data set (data/noshow/README.md), in its order; a file must have exactly these.
COLUMNS = ("PatientId", "AppointmentID", "Gender", "ScheduledDay", "AppointmentDay", "Age", "Neighbourhood",
           "Scholarship", "Hipertension", "Diabetes", "Alcoholism", "Handcap", "SMS_received", "No-show")
FLAGS = ("Scholarship", "Hipertension", "Diabetes", "Alcoholism", "SMS_received")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
FEATURES = ("lead_days", "log_lead_days", "same_day", "age", "female", "booked_hour", *(f"day_{d}" for d in WEEKDAYS),
            "sms_received", "scholarship", "hypertension", "diabetes", "alcoholism", "handicap",
            "neighbourhood_share", "neighbourhood_noshow_rate", "prior_visits", "prior_noshows",
            "prior_noshow_share", "first_visit")
# Smoothing of the neighbourhood's no-show rate towards the overall rate: a neighbourhood with few training rows
# says little (an m-estimate; docs/noshow.md, "Features").
SMOOTHING = 50.0
MAX_AGE = 120


class NoShowDataError(ValueError):
    """A file the model cannot be trained or judged on; the message names the row (1 = first data row) and column."""


@dataclass(frozen=True)
class Appointment:
    patient: str
    appointment: str
    female: bool
    booked: datetime  # ScheduledDay: when the appointment was booked
    day: date  # AppointmentDay
    age: int
    neighbourhood: str
    scholarship: bool
    hypertension: bool
    diabetes: bool
    alcoholism: bool
    handicap: int
    sms: bool
    no_show: bool

    @property
    def lead_days(self) -> int:
        return (self.day - self.booked.date()).days


@dataclass(frozen=True)
class Loaded:
    rows: list[Appointment]
    dropped: int  # dirty rows left out: age below zero or above MAX_AGE, appointment before its booking day


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))


def _flag(value: str) -> bool:
    if value.strip() not in ("0", "1"):
        raise ValueError(f"expected 0 or 1, got {value!r}")
    return value.strip() == "1"


def _row(raw: dict[str, str], number: int) -> Appointment:
    def field(column, parse):
        try:
            return parse(raw[column])
        except (TypeError, ValueError) as err:
            raise NoShowDataError(f"row {number}, column {column}: {err}") from None

    gender = field("Gender", lambda v: _choice(v, {"F": True, "M": False}))
    outcome = field("No-show", lambda v: _choice(v, {"Yes": True, "No": False}))
    return Appointment(
        patient=field("PatientId", _text), appointment=field("AppointmentID", _text), female=gender,
        booked=field("ScheduledDay", _stamp), day=field("AppointmentDay", lambda v: _stamp(v).date()),
        age=field("Age", int), neighbourhood=field("Neighbourhood", _text),
        scholarship=field("Scholarship", _flag), hypertension=field("Hipertension", _flag),
        diabetes=field("Diabetes", _flag), alcoholism=field("Alcoholism", _flag), handicap=field("Handcap", int),
        sms=field("SMS_received", _flag), no_show=outcome)


def _choice(value: str, choices: dict[str, bool]) -> bool:
    if value.strip() not in choices:
        raise ValueError(f"expected {' or '.join(choices)}, got {value!r}")
    return choices[value.strip()]


def _text(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("empty")
    return value.strip()


def read_appointments(fh: IO[str], source: str = "file") -> Loaded:
    """Every row of a CSV in the data set's layout. A missing or extra column or an unreadable value is an error
    naming the row and column (nothing is trained on half a file); the data set's few dirty rows (a negative age,
    an appointment before its booking day, data/noshow/README.md) are left out and counted."""
    reader = csv.DictReader(fh)
    header = tuple(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(extra)}"] if extra else [])
        raise NoShowDataError(f"{source}: {'; '.join(parts)}")
    rows, dropped = [], 0
    for number, raw in enumerate(reader, start=1):
        if None in raw or any(v is None for v in raw.values()):
            raise NoShowDataError(f"{source}: row {number}: wrong number of fields")
        try:
            row = _row(raw, number)
        except NoShowDataError as err:
            raise NoShowDataError(f"{source}: {err}") from None
        if row.age < 0 or row.age > MAX_AGE or row.lead_days < 0:
            dropped += 1
            continue
        rows.append(row)
    if not rows:
        raise NoShowDataError(f"{source}: no usable rows")
    return Loaded(rows, dropped)


def time_split(rows: Sequence[Appointment], holdout_share: float = 0.2
               ) -> tuple[list[Appointment], list[Appointment]]:
    """Earlier appointment days to learn from, the last ``holdout_share`` of the days held out (at least one day
    on each side). Split by day, not by row: a day is wholly on one side."""
    days = sorted({r.day for r in rows})
    if len(days) < 2:
        raise NoShowDataError("a time split needs appointments on at least two days")
    held = min(max(1, round(len(days) * holdout_share)), len(days) - 1)
    cut = days[-held]
    return [r for r in rows if r.day < cut], [r for r in rows if r.day >= cut]


@dataclass(frozen=True)
class Encoding:
    """What is learnt from the training rows and applied unchanged later: the neighbourhoods' shares and rates."""

    shares: dict[str, float]
    rates: dict[str, float]
    base_rate: float

    @classmethod
    def fit(cls, rows: Sequence[Appointment]) -> Encoding:
        if not rows:
            raise NoShowDataError("no training rows")
        seen = Counter(r.neighbourhood for r in rows)
        missed = Counter(r.neighbourhood for r in rows if r.no_show)
        base = sum(missed.values()) / len(rows)
        rates = {n: (missed[n] + SMOOTHING * base) / (k + SMOOTHING) for n, k in seen.items()}
        return cls({n: k / len(rows) for n, k in seen.items()}, rates, base)


class History:
    """Outcomes per patient, sorted by day, for counting what was known before a given date."""

    def __init__(self, known: Iterable[Appointment]):
        unique = {r.appointment: r for r in known}  # the same appointment in two files counts once
        days: dict[str, list[tuple[date, bool]]] = defaultdict(list)
        for r in unique.values():
            days[r.patient].append((r.day, r.no_show))
        self._days: dict[str, list[date]] = {}
        self._missed: dict[str, list[int]] = {}  # prefix sums of no-shows
        for patient, seen in days.items():
            seen.sort()
            self._days[patient] = [d for d, _ in seen]
            sums = [0]
            for _, missed in seen:
                sums.append(sums[-1] + missed)
            self._missed[patient] = sums

    def before(self, patient: str, cutoff: date) -> tuple[int, int]:
        """(appointments, no-shows) of the patient on days strictly before ``cutoff``."""
        days = self._days.get(patient)
        if not days:
            return 0, 0
        n = bisect.bisect_left(days, cutoff)
        return n, self._missed[patient][n]


def features(row: Appointment, encoding: Encoding, history: History) -> list[float]:
    """The row's numbers in the order of ``FEATURES``. The outcome of ``row`` itself is never read: its history
    stops before its booking date, which is never after its own day."""
    visits, missed = history.before(row.patient, row.booked.date())
    return vector(row, encoding, visits, missed)


def vector(row: Appointment, encoding: Encoding, visits: int, missed: int) -> list[float]:
    """The numbers of ``FEATURES`` for a row whose history (earlier appointments, of which missed) is known."""
    weekday = row.day.weekday()
    return [
        float(row.lead_days), math.log1p(row.lead_days), float(row.lead_days == 0), float(row.age),
        float(row.female), float(row.booked.hour), *(float(weekday == i) for i in range(len(WEEKDAYS))),
        float(row.sms), float(row.scholarship), float(row.hypertension), float(row.diabetes), float(row.alcoholism),
        float(row.handicap), encoding.shares.get(row.neighbourhood, 0.0),
        encoding.rates.get(row.neighbourhood, encoding.base_rate), float(visits), float(missed),
        (missed + encoding.base_rate) / (visits + 1), float(visits == 0),
    ]


def matrix(rows: Sequence[Appointment], encoding: Encoding, known: Iterable[Appointment]
           ) -> tuple[list[list[float]], list[int]]:
    """Features and outcomes (1 = no-show) of ``rows``; history from ``known`` (any rows: what a row may see is
    decided by its booking date, so passing the evaluated rows themselves leaks nothing)."""
    history = History(known)
    return [features(r, encoding, history) for r in rows], [int(r.no_show) for r in rows]


# --- Bookings made in the portal (docs/noshow.md, "Predictions on bookings") ---

# A patient without a birth date counts as the data set's typical patient (its mean age, rounded).
UNKNOWN_AGE = 37
# The data set's SMS reminders went out only for appointments booked at least this many days ahead, so the model
# has never seen an SMS with a shorter lead: an SMS-enabled patient counts as reminded from this lead on.
SMS_FROM_LEAD_DAYS = 3
# Bands staff see instead of a bare number: below LOW_BELOW is low risk, from HIGH_FROM on high risk (about one
# booking in five misses in the data set, so "medium" brackets that base rate). High-risk bookings get the stronger
# reminder.
LOW_BELOW = 0.15
HIGH_FROM = 0.35
BANDS = ("low", "medium", "high")


@dataclass(frozen=True)
class BookingFacts:
    """What the portal knows of a booking when it is made; times are the hospital's wall clock."""

    booked: datetime  # when the booking is made (or moved)
    day: date  # the appointment's day
    age: int | None  # None: no birth date recorded
    female: bool
    sms_enabled: bool  # the patient gets SMS (a phone, SMS switched on)
    prior_visits: int  # earlier appointments on days before the booking's day that took place or were missed
    prior_noshows: int
    hypertension: bool = False  # chronic conditions, when recorded; the portal records none today
    diabetes: bool = False
    alcoholism: bool = False
    handicap: int = 0


def booking_features(facts: BookingFacts, encoding: Encoding) -> list[float]:
    """The model's features for a portal booking, through the same ``vector`` the training rows use. The portal
    knows no neighbourhood: it counts as one never seen (share 0, the overall rate); a booking for a past day
    (staff recording one) counts as same-day."""
    return vector(booking_row(facts), encoding, facts.prior_visits, facts.prior_noshows)


def booking_row(facts: BookingFacts, patient: str = "", appointment: str = "", no_show: bool = False
                ) -> Appointment:
    """A portal booking as a row of the data set's layout: what predictions score and what `noshow train
    --from-db` learns from, so both see a booking the same way."""
    day = max(facts.day, facts.booked.date())
    lead = (day - facts.booked.date()).days
    return Appointment(
        patient=patient, appointment=appointment, female=facts.female, booked=facts.booked, day=day,
        age=min(max(facts.age if facts.age is not None else UNKNOWN_AGE, 0), MAX_AGE), neighbourhood="",
        scholarship=False, hypertension=facts.hypertension, diabetes=facts.diabetes, alcoholism=facts.alcoholism,
        handicap=facts.handicap, sms=facts.sms_enabled and lead >= SMS_FROM_LEAD_DAYS, no_show=no_show)


def risk_band(probability: float | None) -> str | None:
    """"low", "medium" or "high" for a predicted no-show probability; None without a prediction."""
    if probability is None:
        return None
    if probability < LOW_BELOW:
        return "low"
    return "high" if probability >= HIGH_FROM else "medium"


# Lead-time bands of the admin's no-show rates (days between booking and appointment): (label, its last day), each
# starting the day after the previous band's last
LEAD_BANDS = (("same_day", 0), ("1_2_days", 2), ("3_7_days", 7), ("8_30_days", 30), ("over_30_days", None))


def lead_band(days: int) -> str:
    """The band of a lead time in days (a negative lead, a booking recorded afterwards, counts as same-day)."""
    for label, last in LEAD_BANDS:
        if last is None or max(days, 0) <= last:
            return label
    raise AssertionError("the last band is open-ended")


@dataclass
class Rate:
    """Appointments that took place or were missed, and how many were missed."""

    seen: int = 0
    missed: int = 0

    @property
    def rate(self) -> float | None:
        return self.missed / self.seen if self.seen else None
