"""`flask --app wsgi demo ...`: a deterministic demo region."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Hospital

demo_cli = AppGroup("demo", help="Seed a demo region.")


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
