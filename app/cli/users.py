"""`flask --app wsgi users ...`: accounts and API tokens."""
from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import ApiToken, Hospital, Membership, Patient, Role
from app.security import token_digest
from app.services import accounts

users_cli = AppGroup("users", help="Create users and API tokens.")


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
