"""`flask --app wsgi optimise ...`: the optimiser on a generated region (no database)."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

optimise_cli = AppGroup("optimise", help="Place waiting patients on free seats (the optimiser).")


@optimise_cli.command("bench")
@click.option("--requests", "n_requests", type=click.IntRange(0, 100_000), default=500, show_default=True)
@click.option("--slots", "n_slots", type=click.IntRange(0, 100_000), default=2000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--time-limit", type=click.FloatRange(0, 3600), default=1.0, show_default=True,
              help="Seconds for the solver; the greedy answers when HiGHS has no solution by then.")
@click.option("--solver", type=click.Choice(["highs", "greedy"]), default="highs", show_default=True)
def optimise_bench(n_requests, n_slots, seed, time_limit, solver):
    """One JSON line: the optimiser on a seeded region of free slots and waiting patients (docs/optimiser.md)."""
    from app.scheduling.optimiser import allocate
    from app.scheduling.optimiser_instance import build

    instance = build(n_requests, n_slots, seed)
    result = allocate(instance.requests, instance.capacity, time_limit=time_limit, solver=solver, now=instance.now)
    click.echo(json.dumps(bench_line(instance, result)))


def bench_line(instance, result) -> dict:
    """The bench's figures, in the order docs/optimiser.md lists them."""
    from app.scheduling.optimiser_instance import figures

    return {"solver": result.solver, "status": result.status, "seconds": result.seconds,
            "objective": result.objective, "greedy_objective": result.greedy_objective,
            **figures(instance, result), "requests": len(instance.requests), "slots": len(instance.capacity),
            "seats": sum(c.seat_count for c in instance.capacity),
            "overbooking_seats": sum(len(c.overbooking) for c in instance.capacity),
            "pairs": result.pairs, "variables": result.variables, "seed": instance.seed, "note": result.note}
