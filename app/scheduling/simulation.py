"""A region's clinics on a SimPy clock: how much a cancellation waitlist shortens waits (issue #7, item 6).

``run(params)`` simulates ``params.days`` measured days and returns one flat dict of figures (the ``sim run`` JSON
line, docs/cli.md). Time is in days; day ``d`` is ``[d, d+1)``, clinics see patients Monday to Friday
(day 0 is a Monday), requests arrive between 08:00 and 17:00, an appointment counts at noon of its day.

The region (``SimParams`` defaults) and why:

- 6 clinics x 3 doctors x 14 slots a working day (252 slots), a typical outpatient list of 15-20 minute slots.
  15 % of each day's slots are held for urgent patients, and a slot freed one or two days ahead joins them: urgent
  need comes at short notice. Holds still unused at 10:00 on the day go to anyone (the morning's urgent calls are in).
- Demand: first requests are 88 % of capacity (Poisson per clinic and working day), 15 % of them urgent; patients
  who cancel and book again bring it to about 97 %: a little under capacity, so the list neither explodes nor
  empties. The region starts with six weeks of booked routine work (``backlog_days``), so routine access times are
  weeks, as on real waiting lists; those bookings are served, cancel and miss like any other but are not measured.
- Booking: a routine patient takes the earliest free slot at their clinic that leaves the notice they need: 1-3
  days for the flexible ones (the cohort, below), 2-21 days for the rest (NHS practice offers routine dates about
  three weeks out; many patients take sooner ones). An urgent patient takes any free slot in the region, held ones
  first, today (before noon), tomorrow or the day after, else the earliest free slot anywhere.
- Cancellations: 6 % of bookings made for tomorrow, rising by 0.4 points per day of lead time to at most 30 %
  (long waits breed cancellations: recovery, private care, moves; English outpatient data show patient
  cancellations of about 10-15 %, here about 18 % at these waits). 30 % come in the last 24 hours, the rest a week
  ahead on average (exponential: some weeks ahead). 60 % of cancelling patients still need care and book again; a
  patient cancels at most once.
- No-shows: the share for the booking's lead-time bucket (0, 1-2, 3-7, 8-14, 15-30, 31+ days) in the real
  appointments file (``load_noshow_rates``): about 5 % same day to about 35 % at two weeks and more.
- Waitlist policy: routine patients willing to come at short notice (30 %, the cohort; drawn per patient, so the
  same people under every policy) join when booked more than 7 days ahead, urgent patients booked beyond 48 hours
  join too. A freed slot (cancellation, released urgent hold, or the old slot of a patient who moved) goes at once
  to the 3 best-ranked eligible waiting patients by the ``waitlist`` matcher's points (urgency, time waited, days
  gained; one clinic, so no distance term). The matcher's urgent window applies: a slot less than 48 hours ahead
  (``URGENT_WINDOW_HOURS``) when offered, or one joining the urgent holds, goes to urgent waiting patients only.
  The late release (``LATE_RELEASE_HOURS``, 3 h, before the noon appointments: 09:00) offers the slots still free
  on the day to any waiting patient, routine included, one by one while the urgent reserve holds: the region's
  other free slots an urgent request asking now could take (today, the next two days) must stay at least twice the
  urgent requests expected before noon (``LATE_RELEASE_RESERVE``); so before a weekend, with no clinic day within
  48 hours, Friday's spare slots are mostly kept for Friday's late-morning urgent requests. Urgent holds released
  at 10:00 and same-day cancellations follow the same rule. The early release (``early_release``) lifts the urgent
  window at once, whatever the notice: when nobody urgent is on the clinic's list and the region's other free
  slots of that day still make twice a day's urgent requests, a slot freed a day ahead goes to routine waiting
  patients when it is freed, not only on the morning. Each accepts within the 15-minute hold with a chance
  of 60 % three or more days ahead, 40 % one to three days, 15 % under a day; the first to accept moves and their
  old slot is offered in turn (the cascade). Nobody accepts:
  the next three, until the list is exhausted or the slot is under an hour away; then it goes where the baseline
  puts it (the urgent holds, or free for any request).
- Baseline policy: a freed slot is refilled only if a later request happens to find it.

Equal ground: arrivals (count, time, urgency, clinic) come from one stream, every patient's profile,
cancellation and no-show draws from streams of their own, and offers' answers from a further stream; so the same
seed gives the same demand, cancellation propensities and no-show draws under both policies. What a policy
changes is dates, and through dates the lead-time dependent chances of cancelling and missing, as it would.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import simpy

from .optimiser_model import Weights
from .simulation_batch import BatchOffers
from .simulation_gaps import gap_figures
from .simulation_model import (
    NOON,
    POLICIES,
    NoShowRates,
    Patient,
    SimParams,
    load_noshow_rates,
    poisson,
    stream,
)
from .simulation_offers import Waitlist
from .simulation_report import summarise
from .simulation_sessions import OVERBOOK_POLICIES
from .simulation_sessions import figures as session_figures

DAY_OPEN, DAY_CLOSE = 8 / 24, 17 / 24
HOLD_RELEASE = 10 / 24  # urgent holds serve the morning's urgent calls, then anyone


def is_workday(day: int) -> bool:
    return day % 7 < 5


class Region(Waitlist, BatchOffers):
    """The calendar, the waitlist and the counters of one run; the SimPy processes drive it."""

    def __init__(self, params: SimParams, rates: NoShowRates):
        if params.policy not in POLICIES:
            raise ValueError(f"unknown policy {params.policy!r}")
        self.p, self.rates = params, rates
        self.env = simpy.Environment()
        self.end = params.days + params.runoff_days
        horizon = self.end + params.backlog_days + 400
        regular = params.daily_capacity - params.held_per_day
        self.free = [[regular if is_workday(d) else 0 for d in range(horizon)] for _ in range(params.clinics)]
        self.held = [[params.held_per_day if is_workday(d) else 0 for d in range(horizon)]
                     for _ in range(params.clinics)]
        self.booked: dict[tuple[int, int], set[Patient]] = defaultdict(set)
        self.waitlist: list[set[Patient]] = [set() for _ in range(params.clinics)]
        self.holes: dict[tuple[int, int], list[dict]] = defaultdict(list)  # freed, not yet refilled
        self.freed: list[dict] = []  # every freed slot of the measured window, with its cause
        self.patients: list[Patient] = []
        self.accept = stream(params.seed, "acceptance")
        self.counts = defaultdict(int)
        self.waitlisting = params.policy in ("waitlist", "waitlist-optimised")
        self.batching = params.policy == "waitlist-optimised"
        self.pending: list[tuple[int, int, bool]] = []  # freed slots waiting for the next batch
        self.optimiser_weights = Weights()

    # ---- slots -------------------------------------------------------------------------------------------------
    def _take(self, clinic: int, day: int, held: bool) -> None:
        if held:
            self.held[clinic][day] -= 1
        else:
            self.free[clinic][day] -= 1
        self._fill_hole(clinic, day)

    def _fill_hole(self, clinic: int, day: int) -> None:
        holes = self.holes.get((clinic, day))
        if holes:
            holes.pop(0)["refilled"] = True

    def _first_free(self, clinic: int, start: int, *, held_too: bool = False) -> tuple[int, bool] | None:
        free, held = self.free[clinic], self.held[clinic]
        for day in range(start, len(free)):
            if held_too and held[day] > 0:
                return day, True
            if free[day] > 0:
                return day, False
        return None

    def _release(self, patient: Patient, cause: str) -> None:
        """``patient`` gives up their slot; it is counted, then offered (waitlist) or left for searches."""
        self.booked[(patient.clinic, patient.day)].discard(patient)
        self._free_slot(patient.clinic, patient.day, patient.held_slot, cause)

    def _free_slot(self, clinic: int, day: int, held: bool, cause: str) -> None:
        now = self.env.now
        record = {"cause": cause, "notice": day + NOON - now, "refilled": False}
        if now < self.p.days:
            self.freed.append(record)
        self.holes[(clinic, day)].append(record)
        ahead = day - math.floor(now)
        held = ahead >= 1 and (held or ahead <= 2)  # inside the urgent window until the day before
        if self.batching:
            self.pending.append((clinic, day, held))
        elif self.waitlisting:
            self.env.process(self._offer(clinic, day, held))
        elif held:
            self.held[clinic][day] += 1
        else:
            self.free[clinic][day] += 1

    # ---- bookings ----------------------------------------------------------------------------------------------
    def _book(self, patient: Patient, clinic: int, day: int, held: bool) -> None:
        now = self.env.now
        self._take(clinic, day, held)
        patient.clinic, patient.day, patient.held_slot, patient.booked_at = clinic, day, held, now
        patient.version += 1
        self.booked[(clinic, day)].add(patient)
        self._arm_cancellation(patient)

    def book_request(self, patient: Patient) -> None:
        """A new request, or a cancelling patient who books again: earliest suitable slot, then maybe the list."""
        today = math.floor(self.env.now)
        if patient.urgent and self._book_urgent(patient, today):
            return
        start = today + (1 if patient.urgent else patient.min_notice)
        clinics = range(self.p.clinics) if patient.urgent else [patient.home]
        options = [(found[0], c, found[1]) for c in clinics if (found := self._first_free(c, start))]
        day, clinic, held = min(options)
        self._book(patient, clinic, day, held)
        self._maybe_wait(patient)

    def _book_urgent(self, patient: Patient, today: int) -> bool:
        days = ([today] if self.env.now - today < NOON else []) + [today + 1, today + 2]
        order = [patient.home] + [c for c in range(self.p.clinics) if c != patient.home]
        for day in days:
            for clinic in order:
                if self.held[clinic][day] > 0 or self.free[clinic][day] > 0:
                    self._book(patient, clinic, day, self.held[clinic][day] > 0)
                    return True
        return False

    # ---- cancellations -----------------------------------------------------------------------------------------
    def _arm_cancellation(self, patient: Patient) -> None:
        if patient.cancelled_once:
            return
        now = self.env.now
        until = patient.day + NOON - now
        if patient.cancel_u >= patient.cancel_chance(self.p, until):
            return
        delay = until - patient.cancel_notice
        if delay <= 0:  # booked closer than the patient's notice: they cancel part way through the wait
            delay = until * patient.cancel_frac
        self.env.process(self._cancel_later(patient, patient.version, delay))

    def _cancel_later(self, patient: Patient, version: int, delay: float):
        yield self.env.timeout(delay)
        if patient.version != version or patient.outcome is not None:
            return  # moved meanwhile: the new booking armed its own timer
        patient.cancelled_once = True
        patient.version += 1
        self._leave_list(patient)
        self._release(patient, "cancellation")
        self.counts["cancellations"] += 1
        if patient.rebooks:
            self.book_request(patient)
        else:
            patient.outcome, patient.day = "dropped", None

    # ---- processes ---------------------------------------------------------------------------------------------
    def seed_backlog(self) -> None:
        """Six weeks of routine bookings already on the books at time 0 (the region's existing waiting list)."""
        rng = stream(self.p.seed, "backlog")
        backlog, full_until = self.p.backlog_days, 0.75 * self.p.backlog_days
        for day in range(backlog):
            share = 1.0 if day < full_until else (backlog - day) / (backlog - full_until)
            for clinic in range(self.p.clinics):
                for _ in range(round(self.free[clinic][day] * share)):
                    patient = self._new_patient(day - backlog + rng.random(), False, clinic, False)
                    self._book(patient, clinic, day, False)
                    patient.booked_at = patient.requested  # booked when they asked, weeks ago
                    self._maybe_wait(patient)

    def _new_patient(self, requested: float, urgent: bool, clinic: int, measured: bool) -> Patient:
        patient = Patient.draw(self.p, len(self.patients), requested, urgent, clinic, measured)
        self.patients.append(patient)
        return patient

    def arrivals(self):
        rng = stream(self.p.seed, "arrivals")
        mean = self.p.load * self.p.daily_capacity
        for day in range(self.end):
            if not is_workday(day):
                continue
            today = []
            for clinic in range(self.p.clinics):
                for _ in range(poisson(rng, mean)):
                    today.append((day + rng.uniform(DAY_OPEN, DAY_CLOSE), rng.random() < self.p.urgent_share,
                                  clinic))
            for at, urgent, clinic in sorted(today):
                yield self.env.timeout(at - self.env.now)
                self.book_request(self._new_patient(at, urgent, clinic, day < self.p.days))

    def days_pass(self):
        """10:00: release the day's unused urgent holds. Noon: the clinics see their patients."""
        for day in range(self.end):
            yield self.env.timeout(day + HOLD_RELEASE - self.env.now)
            for clinic in range(self.p.clinics):
                self._release_holds(clinic, day)
            yield self.env.timeout(day + NOON - self.env.now)
            for clinic in range(self.p.clinics):
                self._see_patients(clinic, day)

    def _release_holds(self, clinic: int, day: int) -> None:
        unused, self.held[clinic][day] = self.held[clinic][day], 0
        if day < self.p.days:
            self.counts["holds_released"] += unused
        for _ in range(unused):
            if self.waitlisting:
                self.env.process(self._offer(clinic, day))
            else:
                self.free[clinic][day] += 1

    def _see_patients(self, clinic: int, day: int) -> None:
        for patient in sorted(self.booked.pop((clinic, day), ()), key=lambda p: p.pid):
            lead = day - math.floor(patient.booked_at)
            patient.outcome = "no_show" if patient.noshow_u < self.rates.rate(lead) else "attended"
            self._leave_list(patient)
        self.holes.pop((clinic, day), None)
        if day < self.p.days and is_workday(day):
            self.counts["capacity"] += self.p.daily_capacity
            self.counts["unused_slots"] += self.free[clinic][day] + self.held[clinic][day]


def simulate(days: int, seed: int, policy: str, data_path: str | Path, *, early_release: bool = True,
             pool: Sequence[tuple[float, bool]] | None = None) -> dict:
    """The ``sim run`` figures for the default region; raises ``SimulationDataError`` without the no-show file.

    ``pool``: (predicted no-show probability, missed) of real appointments; with it, the figures of the measured
    days' sessions under the policy (``simulation_sessions``) join the line. The overbooking policies need it; for
    the region's bookings they are the baseline (no waitlist)."""
    params = SimParams(days=days, seed=seed, policy=policy, early_release=early_release)
    if pool is None and policy in OVERBOOK_POLICIES:
        raise ValueError(f"the {policy} policy needs the predicted no-show probabilities")
    figures = run(params, load_noshow_rates(data_path))
    workdays = sum(is_workday(d) for d in range(days))
    count = workdays * params.clinics * params.doctors_per_clinic
    # where in the day patients sit, "earliest" against "best for you" (simulation_gaps), for every policy
    figures.update(gap_figures(seed, count))
    if pool is None:
        return figures
    return {**figures, **session_figures(pool, seed, count, policy if policy in OVERBOOK_POLICIES else "baseline")}


def run(params: SimParams, rates: NoShowRates) -> dict:
    """Simulate and summarise (``simulation_report.summarise`` lists the figures); same input, same output."""
    return summarise(simulate_region(params, rates))


def simulate_region(params: SimParams, rates: NoShowRates) -> Region:
    """The region after the run, for callers (tests) that look at the patients themselves."""
    region = Region(params, rates)
    region.seed_backlog()
    region.env.process(region.arrivals())
    region.env.process(region.days_pass())
    if region.waitlisting and params.late_release_hours > params.min_offer_hours:
        region.env.process(region.late_releases())
    if region.batching:
        region.env.process(region.batches())
    region.env.run(until=region.end)
    return region
