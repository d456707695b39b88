"""`flask --app wsgi availability ...`: the availability index (docs/availability-index.md)."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.services.availability import index
from app.transaction import transaction

availability_cli = AppGroup("availability", help="The availability index the slot search reads.")


@availability_cli.command("rebuild")
@click.option("--doctor", "doctor_id", type=int, help="Only this doctor (default: every doctor).")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First local day (default: the window's).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last local day (default: the window's).")
def rebuild(doctor_id: int | None, first, last):
    """Compute the index rows again from the rules, exceptions and bookings, one doctor per transaction."""
    doctors = [doctor_id] if doctor_id is not None else index.doctor_ids()
    rows = 0
    for doctor in doctors:
        # one transaction per doctor: an interrupted rebuild leaves every doctor either old or new, never half
        with transaction():
            rows += index.rebuild(doctor, first.date() if first else None, last.date() if last else None)
    click.echo(json.dumps({"doctors": len(doctors), "rows": rows}))
