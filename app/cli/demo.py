"""`flask --app wsgi demo ...`: a deterministic demo region."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital
from app.notifications import outbox

demo_cli = AppGroup("demo", help="Seed a demo region.")


@demo_cli.command("seed")
@click.option("--scale", type=click.Choice(["small", "region"]), default="small")
@click.option("--seed", "seed", type=int, default=1)
@click.option("--history-days", type=click.IntRange(0, 366), default=0,
              help="Region scale: past days of appointments with outcomes, and their statistics (docs/reports.md).")
@click.option("--hospitals", type=click.IntRange(1), default=100, help="Region scale: how many hospitals.")
@click.option("--doctors", type=click.IntRange(1), default=2000, help="Region scale: how many doctors.")
def seed(scale, seed, history_days, hospitals, doctors):
    """A deterministic demo region."""
    from app.demo import seed_region, seed_small

    if scale == "small" and history_days:
        raise click.BadParameter("--history-days needs --scale region.", param_hint="--history-days")
    if db.session.scalar(select(Hospital.id).limit(1)) is not None:
        click.echo("The database already holds a region; nothing seeded.")
        return
    _demo_model()
    logins = seed_small(seed) if scale == "small" else seed_region(
        seed, hospitals=hospitals, doctors=doctors, patients=max(doctors * 10, 100), history_days=history_days)
    _deliver_seeded_mail()
    click.echo("Demo logins:")
    for role, (email, password) in logins.items():
        click.echo(f"  {role:8} {email:36} {password}")


# The demo's quick model: one candidate on every DEMO_SAMPLE-th row of the shipped data set, a few seconds instead
# of the full comparison's minutes (docs/noshow.md, "The demo")
DEMO_SAMPLE = 20


def _demo_model() -> None:
    """When NOSHOW_MODEL names a file that does not exist yet (`make run` names instance/noshow-demo.joblib), train
    a quick model there before seeding, so the seeded bookings carry predictions and staff pages show bands."""
    import os
    from pathlib import Path

    from app.scheduling.simulation_model import SimulationDataError, find_noshow_file
    from app.services.noshow import save
    from app.services.noshow.training import NoShowDataError, load_csv, train

    setting = current_app.config.get("NOSHOW_MODEL")
    if not setting or Path(setting).exists():
        return
    try:
        rows = load_csv(find_noshow_file(os.environ, Path(current_app.root_path).parent)).rows
        record = train(rows[::DEMO_SAMPLE], only=("logistic_regression",))
    except (NoShowDataError, SimulationDataError) as err:
        click.echo(f"No demo no-show model: {err}")
        return
    save(record, setting)
    click.echo(f"Trained the demo no-show model ({record.name}, ROC AUC {record.metrics['roc_auc']}) into {setting}.")


def _deliver_seeded_mail() -> None:
    """Send the seed's messages before the command ends. The seeder commits in batches of its own, outside the
    transaction boundary that hands committed messages to delivery (docs/architecture.md, "Transactions"), so
    without this they waited for the outbox job (30 s, and only with JOBS_ENABLED) while the seed's output already
    pointed at /dev/mail."""
    keys = outbox.committed_keys()
    if not keys:
        return
    counts = outbox.deliver_pending(dedupe_keys=keys, limit=len(keys))
    config = current_app.config
    folders = []
    if "dev" in current_app.blueprints:  # without a provider, the development viewer shows what was sent
        if not config.get("MAIL_SERVER"):
            folders.append(f"{config['PUBLIC_BASE_URL']}/dev/mail")
        if not config.get("TWILIO_ACCOUNT_SID"):
            folders.append(f"{config['PUBLIC_BASE_URL']}/dev/sms")
    where = f" (see {' and '.join(folders)})" if folders else ""
    click.echo(f"Delivered {counts['sent']} of the seed's {len(keys)} messages{where}.")
