"""`flask --app wsgi ...` commands: one module per command group, all registered here."""
from __future__ import annotations

from flask import Flask

from app.cli.availability import availability_cli
from app.cli.demo import demo_cli
from app.cli.federation import federation_cli
from app.cli.jobs import jobs_cli
from app.cli.noshow import noshow_cli
from app.cli.optimise import optimise_cli
from app.cli.sim import sim_cli
from app.cli.stats import stats_cli
from app.cli.users import users_cli

GROUPS = (users_cli, availability_cli, demo_cli, jobs_cli, sim_cli, optimise_cli, noshow_cli, stats_cli,
          federation_cli)


def init_cli(app: Flask) -> None:
    for group in GROUPS:
        app.cli.add_command(group)
