"""The ``waitlist-optimised`` policy of the clinic simulation: freed slots offered in batches chosen by the optimiser.

A mixin of ``simulation.Region``, beside ``simulation_offers.Waitlist``. Under this policy a freed slot is not
offered at once: it waits for the next batch, every ``batch_minutes`` (an hour). A batch hands every pending slot and
every waiting patient who could gain from one to ``optimiser.allocate`` (the waitlist's batch offers, issue #16),
which places the most urgent first and then the longest waits and largest gains, all slots at once. Each placement
becomes one offer to its patient, with the same hold and acceptance chances as the greedy policy; a slot declined,
or left unplaced, goes on to the greedy offers (``Waitlist._offer``: first accept wins), so nothing is lost against
``waitlist``. docs/optimiser.md, "Simulation", compares the two.

The simulation's clock is days from a Monday; the optimiser wants datetimes, so day ``t`` is ``EPOCH + t days``.
The urgent window is a hard constraint here, as the matcher's: a slot inside it (or held back for urgent cases) is
passed with ``urgencies`` {"urgent"}, so only urgent patients may take it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from .optimiser import allocate
from .optimiser_model import Capacity, Request
from .simulation_model import NOON, Patient, accept_chance

EPOCH = datetime(2026, 1, 5)  # a Monday: the simulation's day 0
SLOT = timedelta(minutes=15)
URGENT_ONLY = frozenset({"emergency", "urgent"})


def at(t: float) -> datetime:
    """The simulation's time ``t`` (days) as the naive-UTC instant the optimiser takes."""
    return EPOCH + timedelta(days=t)


class BatchOffers:
    """Batch behaviour; every attribute it reads is set up by ``Region.__init__``."""

    def batches(self):
        """Every ``batch_minutes``, offer the slots freed since the last batch."""
        step = self.p.batch_minutes / 1440
        while self.env.now < self.end:
            yield self.env.timeout(step)
            if self.pending:
                self._run_batch()

    def _run_batch(self) -> list[tuple[Patient, int, int]]:
        """Allocate the pending slots and start their offers; answers the placements (patient, clinic, day)."""
        now = self.env.now
        pending, self.pending = self.pending, []
        seats: dict[tuple[int, int, bool, bool], int] = defaultdict(int)
        for clinic, day, held in pending:
            notice = day + NOON - now
            if notice < self.p.min_offer_hours / 24:
                self.env.process(self._offer(clinic, day, held))  # too late to offer: back on sale at once
                continue
            urgent_only = held or self._urgent_window(clinic, day, notice)
            seats[(clinic, day, urgent_only, held)] += 1
        if not seats:
            return []
        keys = sorted(seats)
        capacity = [Capacity(n, clinic, clinic, at(day + NOON), at(day + NOON) + SLOT,
                             seats=seats[key], urgencies=URGENT_ONLY if urgent_only else frozenset())
                    for n, key in enumerate(keys) for clinic, day, urgent_only, _ in [key]]
        first_day: dict[int, int] = {}
        for clinic, day, _, _ in keys:
            first_day[clinic] = min(day, first_day.get(clinic, day))
        waiting = {w.pid: w for clinic, day in first_day.items() for w in self.waitlist[clinic]
                   if w.day > day and not w.offered}
        requests = [_request(w, now) for w in sorted(waiting.values(), key=lambda w: w.pid)]
        result = allocate(requests, capacity, self.optimiser_weights, now=at(now))
        self.counts["batches"] += 1
        self.counts["batch_placements"] += len(result.placements)
        left = {n: seats[key] for n, key in enumerate(keys)}
        placed = []
        for placement in result.placements:
            clinic, day, _, held = keys[placement.capacity_id]
            left[placement.capacity_id] -= 1
            placed.append((waiting[placement.patient_id], clinic, day))
            self.env.process(self._offer_placed(waiting[placement.patient_id], clinic, day, held))
        for n, count in left.items():
            clinic, day, _, held = keys[n]
            for _ in range(count):
                self.env.process(self._offer(clinic, day, held))
        return placed

    def _offer_placed(self, patient: Patient, clinic: int, day: int, held: bool):
        """Offer the optimiser's choice first; declined, the slot goes to the greedy offers."""
        hold = self.p.hold_minutes / 1440
        version = patient.version
        patient.offered = True
        self.counts["offers"] += 1
        yes = self.accept.random() < accept_chance(self.p, day + NOON - self.env.now)
        after = self.accept.uniform(0, hold)
        yield self.env.timeout(after if yes else hold)
        patient.offered = False
        if yes and patient.version == version and patient.day > day and patient.outcome is None:
            self._move(patient, clinic, day)
            return
        yield from self._offer(clinic, day, held)


def _request(w: Patient, now: float) -> Request:
    return Request(w.pid, w.pid, "urgent" if w.urgent else "routine", max(now - w.requested, 0.0),
                   hospital_ids=frozenset({w.clinic}), current_start=at(w.day + NOON))
