"""The waitlist policy of the clinic simulation: who joins, how a freed slot is offered, how moves cascade.

A mixin of ``simulation.Region`` (which owns the calendar, ``_book`` and ``_free_slot``); the ranking is the
``waitlist`` matcher's points, through ``simulation_model.offer_points``.
"""
from __future__ import annotations

import heapq
import math

from .simulation_model import NOON, Patient, accept_chance, offer_points


class Waitlist:
    """Waitlist behaviour; every attribute it reads is set up by ``Region.__init__``."""

    def _maybe_wait(self, patient: Patient) -> None:
        lead = patient.day - math.floor(self.env.now)
        wants = (patient.opt_in and lead > self.p.waitlist_min_days) or (patient.urgent and lead > 2)
        if self.waitlisting and wants and not patient.waiting:
            patient.waiting = True
            self.waitlist[patient.clinic].add(patient)
            self.counts["waitlist_joined"] += 1

    def _leave_list(self, patient: Patient) -> None:
        if patient.waiting:
            patient.waiting = False
            self.waitlist[patient.clinic].discard(patient)

    def _offer(self, clinic: int, day: int, held: bool = False):
        """Offer a freed slot (held meanwhile: search cannot sell it) to the best-ranked waiting patients.

        As the matcher: a slot kept for urgent patients (``held``), or less than ``urgent_window_hours`` ahead
        when offered, goes to urgent waiting patients only. Nobody takes it: back to the urgent pool when ``held``,
        else on sale to any request (at such short notice mostly urgent requests, as routine ones need notice).
        """
        asked: set[Patient] = set()
        hold = self.p.hold_minutes / 1440
        while True:
            now = self.env.now
            notice = day + NOON - now
            if notice < self.p.min_offer_hours / 24:
                break
            urgent_only = held or notice < self.p.urgent_window_hours / 24
            eligible = [w for w in self.waitlist[clinic] if w.day > day and not w.offered and w not in asked
                        and (w.urgent or not urgent_only)]
            if not eligible:
                break
            batch = heapq.nlargest(self.p.offer_batch, eligible,
                                   key=lambda w, t=now: (offer_points(w, day, t), -w.requested, -w.pid))
            chance = accept_chance(self.p, notice)
            answers = []
            for w in batch:
                yes, after = self.accept.random() < chance, self.accept.uniform(0, hold)
                w.offered = True
                asked.add(w)
                if yes:
                    answers.append((after, w.pid, w, w.version))
            self.counts["offers"] += len(batch)
            answers.sort(key=lambda a: a[:2])
            yield self.env.timeout(answers[0][0] if answers else hold)
            for w in batch:
                w.offered = False
            for _, _, w, version in answers:
                if w.version == version and w.day > day and w.outcome is None:
                    self._move(w, clinic, day)
                    return
        if held:
            self.held[clinic][day] += 1  # nobody took it: urgent requests may still find it
        else:
            self.free[clinic][day] += 1  # nobody took it: any later request may find it

    def _move(self, patient: Patient, clinic: int, day: int) -> None:
        self.counts["moved"] += 1
        old = (patient.clinic, patient.day, patient.held_slot)
        self.booked[old[:2]].discard(patient)
        self.free[clinic][day] += 1  # the offer held it; _book takes it and fills the hole
        self._book(patient, clinic, day, False)
        self._free_slot(*old, "move")
        if day - math.floor(self.env.now) <= self.p.waitlist_min_days:
            self._leave_list(patient)
