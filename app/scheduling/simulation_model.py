"""The clinic simulation's parts that need no clock: parameters, real no-show rates, patients and their draws.

``simulation`` runs the region day by day on a SimPy clock; this module holds what it reads. Every figure in
``SimParams`` is a default a caller may change; the module docstring of ``simulation`` says why each one is what it
is. No-show rates are never invented: ``load_noshow_rates`` derives them from the real appointments file.
"""
from __future__ import annotations

import csv
import gzip
import io
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .waitlist import (
    GAIN_CAP,
    GAIN_PER_DAY,
    LATE_RELEASE_HOURS,
    LATE_RELEASE_RESERVE,
    URGENT_POINTS,
    URGENT_WINDOW_HOURS,
    WAITED_CAP,
    WAITED_PER_DAY,
)

POLICIES = ("baseline", "waitlist", "waitlist-optimised", "overbook-uniform",
            "overbook-predicted")  # overbook-*: simulation_sessions

# Lead-time buckets of the no-show rates (days from booking to appointment), inclusive upper bounds.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0), ("1-2", 1, 2), ("3-7", 3, 7), ("8-14", 8, 14), ("15-30", 15, 30), ("31+", 31, None),
)
NOSHOW_FILE = "appointments-2016-04-29-to-05-24.csv"
NOSHOW_FOLDER = Path("data") / "noshow"  # in the repository, with its source and licence (data/noshow/README.md)
NOON = 0.5  # an appointment counts at noon of its day (time is in days)
GZIP_MAGIC = b"\x1f\x8b"


class SimulationDataError(Exception):
    """The no-show data file is missing or unusable: the simulation refuses to run on made-up rates."""


def find_noshow_file(environ: Mapping[str, str], repo_root: str | Path) -> Path:
    """The no-show file: ``NOSHOW_DATA`` when set (it must exist), else the copy shipped in the repository's
    data/noshow/ (compressed, or unpacked beside it). Nothing outside the repository is looked at."""
    if environ.get("NOSHOW_DATA"):
        path = Path(environ["NOSHOW_DATA"])
        if not path.is_file():
            raise SimulationDataError(f"NOSHOW_DATA names no file: {path}")
        return path
    folder = Path(repo_root) / NOSHOW_FOLDER
    tried = [folder / f"{NOSHOW_FILE}.gz", folder / NOSHOW_FILE]
    for path in tried:
        if path.is_file():
            return path
    raise SimulationDataError("no-show data file not found (set NOSHOW_DATA to its path); tried "
                              + ", ".join(str(p) for p in tried))


def open_text(path: Path) -> io.TextIOBase:
    """The file as UTF-8 text, unpacked on the fly when it is gzip (told by its first bytes, not its name)."""
    with path.open("rb") as fh:
        packed = fh.read(2) == GZIP_MAGIC
    if packed:
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return path.open(newline="", encoding="utf-8")


def lead_bucket(lead_days: int) -> str:
    """The label of the bucket a booking lead time (whole days, >= 0) falls in."""
    for label, low, high in BUCKETS:
        if lead_days >= low and (high is None or lead_days <= high):
            return label
    raise ValueError(f"negative lead time {lead_days}")


@dataclass(frozen=True)
class NoShowRates:
    """No-show share per lead-time bucket, with the number of appointments behind each."""

    rates: dict[str, float]
    counts: dict[str, int]
    dropped: int  # dirty rows left out (negative lead, age below zero, unreadable dates)

    def rate(self, lead_days: int) -> float:
        return self.rates[lead_bucket(max(lead_days, 0))]


def load_noshow_rates(path: str | Path) -> NoShowRates:
    """Rates per bucket from the Kaggle "Medical Appointment No Shows" extract (see data/noshow/README.md).

    Lead = AppointmentDay date - ScheduledDay date; rows with a negative lead or an age below zero are dirty and
    dropped, as the data set's README asks.
    """
    path = Path(path)
    if not path.is_file():
        raise SimulationDataError(f"no-show data file not found: {path}")
    seen = {label: 0 for label, _, _ in BUCKETS}
    missed = dict.fromkeys(seen, 0)
    dropped = 0
    try:
        with open_text(path) as fh:
            for row in csv.DictReader(fh):
                try:
                    lead = (date.fromisoformat(row["AppointmentDay"][:10])
                            - date.fromisoformat(row["ScheduledDay"][:10])).days
                    age = int(row["Age"])
                    missed_it = row["No-show"].strip() == "Yes"
                except (KeyError, TypeError, ValueError):
                    dropped += 1
                    continue
                if lead < 0 or age < 0:
                    dropped += 1
                    continue
                label = lead_bucket(lead)
                seen[label] += 1
                missed[label] += missed_it
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as err:  # gzip: BadGzipFile is an OSError
        raise SimulationDataError(f"cannot read no-show data file {path}: {err}") from None
    empty = [label for label, n in seen.items() if n == 0]
    if empty:
        raise SimulationDataError(f"no-show data file {path} has no usable rows for lead times {', '.join(empty)}")
    return NoShowRates({k: missed[k] / seen[k] for k in seen}, seen, dropped)


@dataclass(frozen=True)
class SimParams:
    """A region and its patients; the defaults are the calibrated region of the ``simulation`` docstring."""

    days: int = 90
    seed: int = 1
    policy: str = "baseline"
    clinics: int = 6
    doctors_per_clinic: int = 3
    slots_per_doctor: int = 14  # per working day (Monday to Friday)
    urgent_hold_share: float = 0.15  # of each day's slots, kept for urgent patients until the day before
    load: float = 0.88  # first requests per working day / capacity (re-bookings come on top)
    urgent_share: float = 0.15
    backlog_days: int = 42  # the waiting list the region starts with: six weeks of routine bookings
    runoff_days: int = 150  # the clock runs on so every measured patient's appointment happens
    optin_share: float = 0.30  # routine patients willing to come earlier at short notice
    notice_flexible: tuple[int, ...] = (1, 2, 3)  # days of notice the cohort needs when booking
    notice_standard: tuple[int, ...] = (2, 3, 5, 7, 10, 14, 21)  # ... and everyone else
    waitlist_min_days: int = 7  # who joins: booked more than this many days ahead
    cancel_base: float = 0.06  # cancellation chance of a booking made for tomorrow ...
    cancel_per_day: float = 0.004  # ... plus this per day of lead time ...
    cancel_max: float = 0.30  # ... capped here
    late_cancel_share: float = 0.30  # cancellations in the last 24 hours
    rebook_share: float = 0.6  # cancelling patients who still need an appointment
    offer_batch: int = 3  # candidates offered a slot at once
    hold_minutes: int = 15
    batch_minutes: int = 60  # waitlist-optimised: freed slots wait at most this long for the next batch
    accept_far: float = 0.6  # acceptance chance of an offer 3+ days ahead ...
    accept_near: float = 0.4  # ... 1-3 days ahead ...
    accept_late: float = 0.15  # ... under 24 hours ahead
    min_offer_hours: float = 1.0  # no offers for a slot closer than this
    urgent_window_hours: float = URGENT_WINDOW_HOURS  # closer than this: offered to urgent waiting patients only
    late_release_hours: float = LATE_RELEASE_HOURS  # this close to its start a free slot goes to anyone waiting
    late_release_reserve: float = LATE_RELEASE_RESERVE  # ... while this x the urgent requests due stay free; < 0: off
    early_release: bool = True  # near slots to anyone at once: nobody urgent waits, the day's reserve holds

    @property
    def daily_capacity(self) -> int:
        return self.doctors_per_clinic * self.slots_per_doctor

    @property
    def held_per_day(self) -> int:
        return round(self.daily_capacity * self.urgent_hold_share)


def stream(seed: int, concern: str, key: int | None = None) -> random.Random:
    """An independent random stream per concern (and per patient): policies never shift each other's draws."""
    return random.Random(f"waitless-sim/{seed}/{concern}" + ("" if key is None else f"/{key}"))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps in one unit of time (exact, fine for small means)."""
    count, clock = 0, rng.expovariate(mean)
    while clock < 1.0:
        count += 1
        clock += rng.expovariate(mean)
    return count


@dataclass(eq=False)
class Patient:
    """One referral. Everything random about the patient is drawn when they are created, from their own streams."""

    pid: int
    requested: float  # simulation time (days) of the request
    urgent: bool
    home: int  # the patient's clinic; urgent patients may be seen elsewhere
    measured: bool  # requested inside the measured window (not part of the starting backlog)
    opt_in: bool  # would join the waitlist (routine patients only): the cohort
    min_notice: int  # days of notice a routine patient needs when booking
    cancel_u: float
    cancel_notice: float  # days before the appointment when a cancelling patient cancels
    rebooks: bool
    noshow_u: float
    cancel_frac: float  # booked closer than their notice: they cancel this far through the wait
    clinic: int = -1  # the clinic of the booking
    day: int | None = None  # the booked working day
    booked_at: float = 0.0
    held_slot: bool = False  # the booking uses a slot held for urgent patients
    version: int = 0  # bumped on every move or cancellation; stale timers see it and stop
    waiting: bool = False  # on the waitlist
    offered: bool = False  # has an offer open
    cancelled_once: bool = False
    outcome: str | None = None  # attended, no_show, dropped

    @classmethod
    def draw(cls, params: SimParams, pid: int, requested: float, urgent: bool, clinic: int,
             measured: bool) -> Patient:
        profile = stream(params.seed, "profile", pid)
        opt_in = not urgent and profile.random() < params.optin_share
        min_notice = profile.choice(params.notice_flexible if opt_in else params.notice_standard)
        cancel = stream(params.seed, "cancel", pid)
        cancel_u = cancel.random()
        if cancel.random() < params.late_cancel_share:
            notice = cancel.uniform(0.05, 1.0)
        else:
            notice = 1.0 + cancel.expovariate(1 / 7)  # a week on average, some weeks ahead
        rebooks = cancel.random() < params.rebook_share
        cancel_frac = cancel.random()
        noshow_u = stream(params.seed, "noshow", pid).random()
        return cls(pid, requested, urgent, clinic, measured, opt_in, min_notice, cancel_u, notice, rebooks,
                   noshow_u, cancel_frac, clinic)

    def cancel_chance(self, params: SimParams, lead_days: float) -> float:
        return min(params.cancel_max, params.cancel_base + params.cancel_per_day * max(lead_days, 0.0))


def offer_points(patient: Patient, slot_day: int, now: float) -> float:
    """The matcher's points (``waitlist`` module table) for a patient waiting on a slot on ``slot_day``."""
    points = URGENT_POINTS if patient.urgent else 0.0
    points += min(WAITED_PER_DAY * max(now - patient.requested, 0.0), WAITED_CAP)
    return points + min(GAIN_PER_DAY * (patient.day - slot_day), GAIN_CAP)


def accept_chance(params: SimParams, notice_days: float) -> float:
    if notice_days >= 3:
        return params.accept_far
    return params.accept_near if notice_days >= 1 else params.accept_late


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]
