"""`flask --app wsgi users ...`: accounts and API tokens."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.models import Role
from app.services import accounts
from app.services.accounts import tokens
from app.services.directory import DirectoryError, people
from app.transaction import transaction

users_cli = AppGroup("users", help="Create users and API tokens.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--hospital", "hospital_id", type=int, help="Hospital id (required for staff, nurses, doctors).")
@click.option("--name", default=None)
def create_user(email, password, role, hospital_id, name):
    """Create an active, verified account."""
    try:
        with transaction():
            user = people.create_operator_account(email, password, role, name or email.split("@")[0], hospital_id)
    except DirectoryError as err:
        flag = {"hospital_id": "--hospital: ", "email": "--email: ", "password": "--password: "}.get(err.field, "")
        raise click.UsageError(flag + str(err.message)) from None
    click.echo(f"created {role} {user.email} (id {user.id})")


def _user(email: str):
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Lifetime (default API_TOKEN_DAYS).")
def create_token(email, name, days):
    """Print a new API bearer token for the user, alone on the last line."""
    user = _user(email)
    with transaction():
        token = tokens.issue_token(user, name, days=days, comment="issued on the command line")
    click.echo(token)


@users_cli.command("revoke-tokens")
@click.option("--email", required=True)
def revoke_tokens(email):
    """Revoke every API token of the user still in force; prints how many."""
    user = _user(email)
    with transaction():
        count = tokens.revoke_all(user, None, comment="revoked on the command line")
    click.echo(f"revoked {count} token{'s' if count != 1 else ''} of {user.email}")
