"""The clinic simulation: how long `sim run` takes, and the two policies' key figures side by side.

    python -m benchmarks.simulation [--days 90] [--seed 1]

Runs app.scheduling.simulation for the default region under both policies on the same seed (no database; --db is
accepted like every benchmark's but unused) and prints {"bench": "simulation", "days", "seed", "seconds":
{policy: s}, "baseline": {...}, "waitlist": {...}, "cohort_access_reduction"}. The no-show file is found as the
CLI finds it (NOSHOW_DATA, else data/noshow/ in the repository).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from app.scheduling.simulation import run
from app.scheduling.simulation_model import POLICIES, SimParams, find_noshow_file, load_noshow_rates
from benchmarks._common import emit, log, parse, parser

KEY = ("patients", "mean_access_days", "p90_access_days", "cohort_mean_access_days", "cohort_p90_access_days",
       "freed_slots", "freed_24h_ahead", "refilled_share", "refilled_24h_ahead_share", "freed_24_48h_ahead",
       "refilled_24_48h_ahead_share", "near_slots_released_early", "urgent_within_48h_share",
       "no_show_rate", "utilisation", "moved_earlier")


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--days", type=int, default=90)
    return args


def main(argv: list[str] | None = None) -> None:
    options = parse(arguments(), argv)
    started = time.perf_counter()
    rates = load_noshow_rates(find_noshow_file(os.environ, Path(__file__).resolve().parent.parent))
    load_seconds = time.perf_counter() - started
    seconds, figures = {}, {}
    for policy in POLICIES:
        log(f"simulating {options.days} days, policy {policy}")
        started = time.perf_counter()
        result = run(SimParams(days=options.days, seed=options.seed, policy=policy), rates)
        seconds[policy] = round(time.perf_counter() - started, 3)
        figures[policy] = {k: result[k] for k in KEY}
    base, wait = (figures[p]["cohort_mean_access_days"] for p in POLICIES)
    emit({"bench": "simulation", "days": options.days, "seed": options.seed,
          "load_data_seconds": round(load_seconds, 3),
          "seconds": seconds, **figures, "cohort_access_reduction": round(1 - wait / base, 4) if base else None})


if __name__ == "__main__":
    main()
