"""`flask --app wsgi stats ...`: the daily statistics the reports read (docs/reports.md)."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app import scheduling as core
from app.models.base import utcnow
from app.scheduling.stats import check_period
from app.services.reports import stats
from app.services.reports import totals as running
from app.transaction import transaction

stats_cli = AppGroup("stats", help="The daily statistics behind the reports.")


@stats_cli.command("rebuild")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First local day.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last local day.")
def rebuild(first, last):
    """Compute the days again from the appointments, queues and offers; a stretch per transaction."""
    first_day, last_day = first.date(), last.date()
    try:
        check_period(first_day, last_day, utcnow().date())
    except core.PeriodInvalid as err:
        raise click.BadParameter(err.message, param_hint=f"--{err.field}") from None
    totals = {"days": (last_day - first_day).days + 1, "daily_rows": 0, "access_rows": 0}
    for chunk_first, chunk_last in stats.chunks(first_day, last_day):
        with transaction():
            for name, value in stats.rebuild(chunk_first, chunk_last).items():
                totals[name] += value
    with transaction():  # the running totals from the first rebuilt day on, once (docs/reports.md)
        totals["total_rows"] = running.refresh(first_day)
    click.echo(json.dumps(totals))
