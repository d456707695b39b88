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
        first = True
        while True:
            now = self.env.now
            notice = day + NOON - now
            if notice < self.p.min_offer_hours / 24:
                break
            urgent_only = held or self._urgent_window(clinic, day, notice)
            if first and not urgent_only and notice * 24 < self.p.urgent_window_hours:
                self.counts["released_early" if self._early_released(clinic, day) else "released_late"] += 1
            first = False
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

    def _urgent_window(self, clinic: int, day: int, notice: float) -> bool:
        """Whether a slot of ``clinic`` on ``day``, ``notice`` days ahead, goes to urgent waiting patients only:
        inside the urgent window, unless released early (``_early_released``) or late (``_late_released``)."""
        hours = notice * 24
        return (hours < self.p.urgent_window_hours and not self._early_released(clinic, day)
                and not self._late_released(day, hours))

    def _urgent_per_hour(self) -> float:
        # urgent requests arrive in office hours (DAY_OPEN to DAY_CLOSE, nine hours) on working days
        return self.p.load * self.p.daily_capacity * self.p.urgent_share * self.p.clinics / 9

    def _early_released(self, clinic: int, day: int) -> bool:
        """The matcher's early release (``waitlist.early_release``): nobody urgent waits on the clinic's list and,
        without the slot, the region's free slots of that day (urgent patients take any clinic) still make the day's
        reserve: ``late_release_reserve`` times a day of urgent requests, at least one."""
        if not self.p.early_release or self.p.late_release_reserve < 0:
            return False
        if any(w.urgent for w in self.waitlist[clinic]):
            return False
        spare = sum(self.free[c][day] + self.held[c][day] for c in range(self.p.clinics))
        reserve = max(1, math.ceil(self.p.late_release_reserve * self._urgent_per_hour() * 9 - 1e-9))
        return spare >= reserve

    def _late_released(self, day: int, hours: float) -> bool:
        """The matcher's late release (``waitlist.late_release``): ``late_release_hours`` or less before it (the
        release moment counts), a slot goes to anyone waiting if the other free slots an urgent request asking now
        could take within its window (the region's, today before noon, then the next two days) make the urgent
        reserve: ``late_release_reserve`` times the urgent requests expected until the slot, at least one."""
        if self.p.late_release_hours <= 0 or hours > self.p.late_release_hours + 1e-6:
            return False
        if self.p.late_release_reserve < 0:  # no reserve at all: for comparison only
            return True
        now = self.env.now
        last = math.floor(now) + math.ceil(self.p.urgent_window_hours / 24)
        first = day if now - math.floor(now) < NOON else day + 1
        spare = sum(self.free[c][d] + self.held[c][d] for c in range(self.p.clinics) for d in range(first, last + 1))
        reserve = max(1, math.ceil(self.p.late_release_reserve * self._urgent_per_hour() * hours - 1e-9))
        return spare >= reserve

    def late_releases(self):
        """``late_release_hours`` before each clinic day's appointments (noon), offer the slots still free to any
        waiting patient, one by one while the urgent reserve holds (the real system's ``offer_short_notice_slots``
        job). The urgent holds follow their own release at 10:00, then the same rule (``_offer``)."""
        late = self.p.late_release_hours / 24
        for day in range(self.end):
            yield self.env.timeout(max(day + NOON - late - self.env.now, 0))
            for clinic in range(self.p.clinics):
                while self.free[clinic][day] > 0:
                    self.free[clinic][day] -= 1
                    if not self._late_released(day, self.p.late_release_hours):
                        self.free[clinic][day] += 1
                        break
                    self.env.process(self._offer(clinic, day))

    def _move(self, patient: Patient, clinic: int, day: int) -> None:
        self.counts["moved"] += 1
        old = (patient.clinic, patient.day, patient.held_slot)
        self.booked[old[:2]].discard(patient)
        self.free[clinic][day] += 1  # the offer held it; _book takes it and fills the hole
        self._book(patient, clinic, day, False)
        self._free_slot(*old, "move")
        if day - math.floor(self.env.now) <= self.p.waitlist_min_days:
            self._leave_list(patient)
