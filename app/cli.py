"""`flask --app wsgi ...` commands (DESIGN.md section 6)."""
from __future__ import annotations

import json
import secrets

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Hospital, Membership, Patient, Role
from app.security import token_digest
from app.services import accounts

users_cli = AppGroup("users", help="Create users and API tokens.")
demo_cli = AppGroup("demo", help="Seed a demo region.")
jobs_cli = AppGroup("jobs", help="Run periodic jobs.")
sim_cli = AppGroup("sim", help="Simulate a region's clinics.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--hospital", "hospital_id", type=int, help="Hospital id (required for staff, nurses, doctors).")
@click.option("--name", default=None)
def create_user(email, password, role, hospital_id, name):
    """Create an active, verified account."""
    if role in (Role.STAFF, Role.NURSE, Role.DOCTOR) and hospital_id is None:
        raise click.UsageError(f"--hospital is required for role {role}")
    if hospital_id is not None and db.session.get(Hospital, hospital_id) is None:
        raise click.UsageError(f"no hospital with id {hospital_id}")
    try:
        user = accounts.create_user(email, password, role, name or email.split("@")[0], verified=True)
    except accounts.AccountError as err:
        raise click.ClickException(err.message) from None
    if role == Role.PATIENT:
        db.session.add(Patient(user_id=user.id, name=user.name))
    if role == Role.DOCTOR:
        from app.services.directory import create_doctor_profile

        create_doctor_profile(user, hospital_id)
    if hospital_id is not None and role != Role.PATIENT:
        db.session.add(Membership(user_id=user.id, hospital_id=hospital_id, role=role))
    db.session.commit()
    click.echo(f"created {role} {user.email} (id {user.id})")


@users_cli.command("token")
@click.option("--email", required=True)
def create_token(email):
    """Print a new API bearer token for the user, alone on the last line."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=token_digest(token)))
    db.session.commit()
    click.echo(token)


@demo_cli.command("seed")
@click.option("--scale", type=click.Choice(["small", "region"]), default="small")
@click.option("--seed", "seed", type=int, default=1)
def seed(scale, seed):
    """A deterministic demo region."""
    from app.demo import seed_region, seed_small

    if db.session.scalar(select(Hospital.id).limit(1)) is not None:
        click.echo("The database already holds a region; nothing seeded.")
        return
    logins = seed_small(seed) if scale == "small" else seed_region(seed)
    click.echo("Demo logins:")
    for role, (email, password) in logins.items():
        click.echo(f"  {role:8} {email:36} {password}")


@jobs_cli.command("run-once")
def run_once():
    """Run every periodic job once, now."""
    from app.jobs import run_all

    click.echo(json.dumps(run_all()))


@sim_cli.command("run")
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--policy", type=click.Choice(["baseline", "waitlist"]), default="baseline", show_default=True)
def sim_run(days, seed, policy):
    """The clinic simulation (no database): one JSON line of access times, refills and no-shows."""
    import os
    from pathlib import Path

    from app.scheduling.simulation import simulate
    from app.scheduling.simulation_model import SimulationDataError, find_noshow_file

    try:
        path = find_noshow_file(os.environ, Path(__file__).resolve().parent.parent)
        figures = simulate(days, seed, policy, path)
    except SimulationDataError as err:
        raise click.ClickException(str(err)) from None
    click.echo(json.dumps(figures))


def init_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(sim_cli)
