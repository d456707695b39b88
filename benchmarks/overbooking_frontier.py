"""Overbooking's frontier: attended time against waiting and overtime for a grid of rules, with the no-show model's
probabilities and with an oracle's (docs/overbooking.md, "Simulation").

    python -m benchmarks.overbooking_frontier [--days 60] [--seed 1] [--seeds 1] [--max-extra 3,4,5,6]
        [--alpha 0,1,1.5] [--weights 6,15,50] [--target 0.95] [--model instance/noshow-sim.joblib]

The sessions of `sim run` (app/scheduling/simulation_sessions.py: 6 clinics x 3 doctors per working day, 14 slots
of 15 minutes, the same patients, arrivals and consultation lengths for every policy) are played for every rule
(max extras x alpha, low risk 0.15) and overtime weight of the placement (`plan_extras`) under three policies:

- `predicted`: the model's probabilities (trained once on the data file and kept as the model file, as `sim run`
  does; ROC AUC about 0.74);
- `uniform`: as many extras as `predicted` booked, spread evenly (no model);
- `oracle`: the probability of every patient is what they really did (1 missed, 0 came): no prediction can do
  better, so it bounds what a better model could give.

Prints {"bench": "overbooking_frontier", "days", "seeds", "sessions", "model": {roc_auc, brier, base_rate},
"baseline": {...}, "grid": [{policy, max_extra, alpha, overtime_weight, attended_utilisation, mean_wait_min,
p90_overtime_min, extra_bookings, top_risk_decile_mean_wait_min}], "best_at_target": {policy: the grid point with
the least p90 overtime among those reaching --target attended utilisation, or null}, "variance": {...}}: figures
are means over the seeds. "variance" is the normal approximation of docs/overbooking.md: a session's work W (minutes
with the patients who come) has variance 15^2 x (N x Brier + n x v), N patients booked, n coming, v the
consultation factor's variance; reaching the target needs E[min(W, L)] >= target x L, and the overtime is at least
W - L, which gives the least p90 overtime any placement could reach under that approximation.
"""
from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from statistics import NormalDist

from app.scheduling.overbooking import OVERTIME_WEIGHT, Rule
from app.scheduling.simulation import is_workday
from app.scheduling.simulation_model import SimParams, find_noshow_file
from app.scheduling.simulation_sessions import SessionParams, figures
from benchmarks._common import emit, log, parse, parser

ROOT = Path(__file__).resolve().parent.parent
KEY = ("attended_utilisation", "mean_wait_min", "p90_overtime_min", "extra_bookings",
       "top_risk_decile_mean_wait_min")


def numbers(text: str, kind=float) -> list:
    return [kind(x) for x in text.split(",") if x.strip()]


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--days", type=int, default=60, help="simulated days (default 60; `sim run` uses 90)")
    args.add_argument("--seeds", type=int, default=1, help="how many seeds, from --seed on (default 1)")
    args.add_argument("--max-extra", default="3,4,5,6", help="extra bookings per session to try")
    args.add_argument("--alpha", default="0,1,1.5", help="alphas to try")
    args.add_argument("--weights", default=f"{OVERTIME_WEIGHT:g},15,50",
                      help="overtime weights of the placement (plan_extras; the portal's is 6)")
    args.add_argument("--low-risk", type=float, default=0.15)
    args.add_argument("--target", type=float, default=0.95, help="attended utilisation to reach (default 0.95)")
    args.add_argument("--model", type=Path, default=ROOT / "instance" / "noshow-sim.joblib",
                      help="the model file (trained on the data file on first use, as `sim run` does)")
    return args


def roc_auc(pool: list[tuple[float, bool]]) -> float:
    """The chance that a patient who missed has a higher probability than one who came (ties count half)."""
    ranked = sorted(pool, key=lambda x: x[0])
    rank_sum, missed, start = 0.0, 0, 0
    while start < len(ranked):  # average ranks over ties
        end = start
        while end < len(ranked) and ranked[end][0] == ranked[start][0]:
            end += 1
        hits = sum(1 for _, m in ranked[start:end] if m)
        rank_sum += hits * (start + end + 1) / 2
        missed += hits
        start = end
    came = len(ranked) - missed
    return (rank_sum - missed * (missed + 1) / 2) / (missed * came)


def averaged(pool, seeds: list[int], count: int, policy: str, params: SessionParams) -> dict:
    lines = [figures(pool, seed, count, policy, params) for seed in seeds]
    out = {k: round(sum(line[k] for line in lines) / len(lines), 4 if k == "attended_utilisation" else 2)
           for k in KEY if k != "extra_bookings"}
    out["extra_bookings"] = sum(line["extra_bookings"] for line in lines)
    return out


def normal_bound(variance_slots: float, target: float, slots: int, slot_minutes: int) -> dict:
    """Least p90 overtime (minutes) at ``target`` attended time for a session whose work is normal with this
    variance (in slot lengths squared): the mean work m must leave E[(L - W)+] <= (1 - target) x L, and the p90 of
    W - L is then m + z90 x sd - L."""
    unit = NormalDist()
    sd = math.sqrt(variance_slots) * slot_minutes
    idle = (1 - target) * slots * slot_minutes
    low, high = -10.0, 10.0  # d = (L - m) / sd; sd x (d Phi(d) + phi(d)) = E[(L - W)+] grows with d
    for _ in range(100):
        d = (low + high) / 2
        if sd * (d * unit.cdf(d) + unit.pdf(d)) > idle:
            high = d
        else:
            low = d
    return {"session_sd_min": round(sd, 2), "mean_work_over_length_min": round(-low * sd, 2),
            "p90_overtime_min": round(max(0.0, sd * (unit.inv_cdf(0.9) - low)), 2)}


def variance(pool, params: SessionParams, target: float) -> dict:
    """The normal approximation for the model, no model (everyone the base rate) and the oracle: per booked
    patient the squared error of the probability (Brier: what is left unknown of attendance), per patient who
    comes the consultation factor's variance; a session booked so that its expected work is its length."""
    base = sum(m for _, m in pool) / len(pool)
    brier = sum((p - m) ** 2 for p, m in pool) / len(pool)
    factor = math.exp(params.service_spread ** 2) - 1
    coming = params.slots  # patients coming when the expected work fills the session
    booked = coming / (1 - base)
    out = {"booked_per_session": round(booked, 2), "consultation_factor_variance": round(factor, 4)}
    for name, error in (("model", brier), ("base_rate", base * (1 - base)), ("oracle", 0.0)):
        attendance = booked * error
        out[name] = {"attendance_variance": round(attendance, 3),
                     "consultation_variance": round(coming * factor, 3),
                     **normal_bound(attendance + coming * factor, target, params.slots, params.slot_minutes)}
    return out


def main(argv: list[str] | None = None) -> None:
    options = parse(arguments(), argv)
    from app.services.noshow.simulation import probability_pool  # scikit-learn: only when the benchmark runs

    started = time.perf_counter()
    pool = probability_pool(find_noshow_file(os.environ, ROOT), options.model)
    oracle = [(1.0 if missed else 0.0, missed) for _, missed in pool]
    sim = SimParams(days=options.days, seed=options.seed)
    count = sum(is_workday(d) for d in range(options.days)) * sim.clinics * sim.doctors_per_clinic
    seeds = list(range(options.seed, options.seed + options.seeds))
    log(f"{len(pool)} patients, {count} sessions x {len(seeds)} seeds")
    grid = []
    for max_extra in numbers(options.max_extra, int):
        for alpha in numbers(options.alpha):
            uniform = None  # the weight moves extras, never how many (tests/unit/test_overbooking.py): played once
            for weight in numbers(options.weights):
                params = SessionParams(rule=Rule(max_extra=max_extra, alpha=alpha, low_risk=options.low_risk),
                                       overtime_weight=weight)
                point = {"max_extra": max_extra, "alpha": alpha, "overtime_weight": weight}
                uniform = uniform or averaged(pool, seeds, count, "overbook-uniform", params)
                grid += [{"policy": "predicted", **point,
                          **averaged(pool, seeds, count, "overbook-predicted", params)},
                         {"policy": "uniform", **point, **uniform},
                         {"policy": "oracle", **point, **averaged(oracle, seeds, count, "overbook-predicted", params)}]
                log(f"max_extra {max_extra} alpha {alpha} weight {weight}: "
                    + ", ".join(f"{g['policy']} {g['attended_utilisation']}/{g['mean_wait_min']}/"
                                f"{g['p90_overtime_min']}" for g in grid[-3:]))
    best = {}
    for policy in ("predicted", "uniform", "oracle"):
        reaching = [g for g in grid if g["policy"] == policy and g["attended_utilisation"] >= options.target]
        best[policy] = min(reaching, key=lambda g: (g["p90_overtime_min"], g["mean_wait_min"]), default=None)
    emit({"bench": "overbooking_frontier", "days": options.days, "seeds": seeds, "sessions": count,
          "low_risk": options.low_risk, "target": options.target,
          "model": {"roc_auc": round(roc_auc(pool), 4), "brier": round(sum((p - m) ** 2 for p, m in pool)
                                                                       / len(pool), 4),
                    "base_rate": round(sum(m for _, m in pool) / len(pool), 4)},
          "baseline": averaged(pool, seeds, count, "baseline", SessionParams()),
          "best_at_target": best, "variance": variance(pool, SessionParams(), options.target),
          "seconds": round(time.perf_counter() - started, 1), "grid": grid})


if __name__ == "__main__":
    main()
