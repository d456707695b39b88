"""`flask --app wsgi sim ...`: the clinic simulation (no database)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

sim_cli = AppGroup("sim", help="Simulate a region's clinics.")

SIM_MODEL = "noshow-sim.joblib"  # the simulation's own model file under instance/, trained on first use


@sim_cli.command("run")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--policy", type=click.Choice(["baseline", "waitlist", "waitlist-optimised", "overbook-uniform",
                                            "overbook-predicted"]), default="baseline", show_default=True,
              help="waitlist-optimised: freed slots offered in optimiser batches; overbook-*: extra bookings "
                   "(docs/overbooking.md).")
@click.option("--early-release/--no-early-release", default=True, show_default=True,
              help="Offer near slots to routine patients at once when nobody urgent waits (the waitlist's rule).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"No-show model file for the sessions' probabilities (default: instance/{SIM_MODEL}, trained "
                   "on the data file on first use).")
def sim_run(days, seed, policy, early_release, model_path):
    """The clinic simulation (no database): one JSON line of access times, refills, no-shows, and the sessions'
    waits, overtime and attended time (docs/overbooking.md)."""
    import os

    from app.scheduling.simulation import simulate
    from app.scheduling.simulation_model import SimulationDataError, find_noshow_file
    from app.services.noshow import ModelFileError, NoShowDataError
    from app.services.noshow.simulation import probability_pool

    try:
        path = find_noshow_file(os.environ, Path(__file__).resolve().parent.parent.parent)
        pool = None
        if policy not in ("waitlist", "waitlist-optimised"):  # the waitlist policies' figures are the region's alone
            pool = probability_pool(path, model_path or Path(current_app.instance_path) / SIM_MODEL)
        figures = simulate(days, seed, policy, path, early_release=early_release, pool=pool)
    except (SimulationDataError, NoShowDataError, ModelFileError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(json.dumps(figures))
