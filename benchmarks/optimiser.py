"""The optimiser: HiGHS against the greedy on a seeded region, with overbooking seats (no database).

    python -m benchmarks.optimiser [--requests 500] [--slots 2000] [--seed 1] [--runs 3]

Builds the instance of `flask --app wsgi optimise bench` (app.scheduling.optimiser_instance; --db is accepted like
every benchmark's but unused), allocates it --runs times with HiGHS and once with the greedy alone, and prints
{"bench": "optimiser", ...the bench line of the median HiGHS run..., "seconds_runs": [...], "greedy_seconds"}.
"""
from __future__ import annotations

import argparse
import statistics

from app.cli.optimise import bench_line
from app.scheduling.optimiser import allocate
from app.scheduling.optimiser_instance import build
from benchmarks._common import emit, log, parse, parser


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--requests", type=int, default=500)
    args.add_argument("--slots", type=int, default=2000)
    args.add_argument("--runs", type=int, default=3)
    args.add_argument("--time-limit", type=float, default=1.0)
    return args


def main(argv: list[str] | None = None) -> None:
    options = parse(arguments(), argv)
    instance = build(options.requests, options.slots, options.seed)
    log(f"{len(instance.requests)} requests, {len(instance.capacity)} slots, seed {options.seed}")
    runs = []
    for n in range(max(options.runs, 1)):
        runs.append(allocate(instance.requests, instance.capacity, time_limit=options.time_limit,
                             now=instance.now))
        log(f"run {n + 1}: {runs[-1].solver} {runs[-1].status} in {runs[-1].seconds} s")
    greedy = allocate(instance.requests, instance.capacity, solver="greedy", now=instance.now)
    median = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    emit({"bench": "optimiser", **bench_line(instance, median), "seconds_runs": [r.seconds for r in runs],
          "seconds_median": statistics.median(r.seconds for r in runs), "greedy_seconds": greedy.seconds,
          "greedy_placed": len(greedy.placements)})


if __name__ == "__main__":
    main()
