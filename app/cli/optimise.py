"""`flask --app wsgi optimise ...`: the optimiser on a generated region (no database)."""
from __future__ import annotations

import json
from datetime import timedelta

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


@optimise_cli.command("offers")
@click.option("--hospital", "hospital_id", type=int, required=True)
@click.option("--days", type=click.IntRange(1, 14), default=1, show_default=True,
              help="Local days from today whose free slots are offered together.")
@click.option("--apply/--dry-run", default=False, show_default=True,
              help="Send the offers (held, first accept wins); without it the proposal is only printed.")
def optimise_offers(hospital_id, days, apply):
    """Batch offers for one hospital (the morning batch, run by cron): one JSON line (docs/optimiser.md)."""
    from app import scheduling as core
    from app.extensions import db
    from app.models import Hospital
    from app.services.booking.lists import local_today
    from app.services.waitlist import batch
    from app.transaction import transaction

    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise click.ClickException(f"No hospital {hospital_id}.")
    today = local_today(hospital)
    proposal = batch.propose(hospital, today, today + timedelta(days=days - 1))
    sent = 0
    if apply and proposal.offers:
        try:
            with transaction():
                sent = len(batch.apply(None, hospital, proposal.token))
        except core.ProposalStale as err:
            raise click.ClickException(err.message) from None
    r = proposal.result
    click.echo(json.dumps({"hospital": hospital.id, "free_slots": proposal.free_slots,
                           "proposed": len(proposal.offers), "sent": sent, "objective": r.objective,
                           "greedy_objective": r.greedy_objective, "solver": r.solver, "status": r.status,
                           "unplaced": len(proposal.left)}))
