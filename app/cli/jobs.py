"""`flask --app wsgi jobs ...`: run the periodic jobs by hand."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Run periodic jobs.")


@jobs_cli.command("run-once")
def run_once():
    """Run every periodic job once, now."""
    from app.jobs import run_all

    click.echo(json.dumps(run_all()))
