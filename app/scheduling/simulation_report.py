"""The figures of one simulation run: the ``sim run`` JSON line (docs/cli.md), flat and rounded.

Access time is whole days from the day of the request to the day of the last appointment the patient held
(attended or missed), after every move and re-booking. Measured are the patients who asked inside the first
``days`` days; the clock runs on afterwards so that every one of them gets seen. The cohort is the routine patients
willing to come earlier at short notice: decided per patient from their own stream, so the same people under
every policy. Freed slots are patient cancellations inside the measured window; a freed slot is refilled when
someone books that clinic day again before it happens.

``urgent_within_48h_share`` is the share of the measured urgent patients (everyone who asked, the same people under
every policy) seen within two days of asking; an urgent patient who gave up (cancelled and never came back) was not
seen within 48 hours. Counting only the patients seen (``urgent_within_48h_share_of_seen``, kept for comparison)
would reward a policy for losing late patients: the clinics are shut at weekends, so an urgent request on a Friday
afternoon can never be seen within two days, and a waitlist that brings those patients in after days instead of
weeks, so that fewer give up, lowers that share without anyone being seen later.
"""
from __future__ import annotations

import math
from statistics import fmean
from typing import Any, Protocol

from .simulation_model import BUCKETS, percentile


class Region(Protocol):
    """What a report reads of a finished run (app.scheduling.simulation.Region has it); a protocol, so that this
    module does not import the simulation that imports it."""

    p: Any
    patients: list
    freed: list
    counts: dict
    rates: Any


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarise(region: Region) -> dict:
    p = region.p
    measured = [x for x in region.patients if x.measured]
    seen = [x for x in measured if x.outcome in ("attended", "no_show")]
    access = {x.pid: x.day - math.floor(x.requested) for x in seen}
    everyone = list(access.values())
    cohort_all = [x for x in measured if x.opt_in]
    cohort = [access[x.pid] for x in cohort_all if x.pid in access]
    urgent = [x for x in seen if x.urgent]
    urgent_all = [x for x in measured if x.urgent]
    urgent_in_time = sum(access[x.pid] <= 2 for x in urgent)
    cancelled = [f for f in region.freed if f["cause"] == "cancellation"]
    ahead = [f for f in cancelled if f["notice"] >= 1.0]
    day_before = [f for f in ahead if f["notice"] < 2.0]  # inside the urgent window: the early release's share
    moves = [f for f in region.freed if f["cause"] == "move"]
    counts = region.counts
    return {
        "policy": p.policy,
        "days": p.days,
        "seed": p.seed,
        "patients": len(measured),
        "urgent_patients": sum(x.urgent for x in measured),
        "seen": len(seen),
        "dropped": sum(x.outcome == "dropped" for x in measured),
        "unresolved": sum(x.outcome is None for x in measured),
        "mean_access_days": _mean(everyone),
        "p90_access_days": percentile(everyone, 90),
        "routine_mean_access_days": _mean([access[x.pid] for x in seen if not x.urgent]),
        "cohort_patients": len(cohort_all),
        "cohort_mean_access_days": _mean(cohort),
        "cohort_p90_access_days": percentile(cohort, 90),
        "freed_slots": len(cancelled),
        "freed_24h_ahead": len(ahead),
        "refilled_share": _share(sum(f["refilled"] for f in cancelled), len(cancelled)),
        "refilled_24h_ahead_share": _share(sum(f["refilled"] for f in ahead), len(ahead)),
        "freed_24_48h_ahead": len(day_before),
        "refilled_24_48h_ahead_share": _share(sum(f["refilled"] for f in day_before), len(day_before)),
        "urgent_within_48h_share": _share(urgent_in_time, len(urgent_all)),
        "urgent_within_48h_share_of_seen": _share(urgent_in_time, len(urgent)),
        "urgent_mean_access_days": _mean([access[x.pid] for x in urgent]),
        "urgent_dropped": sum(x.outcome == "dropped" for x in urgent_all),
        "no_show_rate": _share(sum(x.outcome == "no_show" for x in seen), len(seen)),
        "utilisation": _share(counts["capacity"] - counts["unused_slots"], counts["capacity"]),
        "urgent_holds_released": counts["holds_released"],
        "near_slots_released_early": counts["released_early"],
        "near_slots_released_late": counts["released_late"],
        "waitlist_joined": counts["waitlist_joined"],
        "offers": counts["offers"],
        "moved_earlier": counts["moved"],
        "cascade_freed": len(moves),
        "cascade_refilled_share": _share(sum(f["refilled"] for f in moves), len(moves)),
        "noshow_rates": {label: round(region.rates.rates[label], 4) for label, _, _ in BUCKETS},
    }
