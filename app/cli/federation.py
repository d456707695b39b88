"""`flask --app wsgi federation ...`: other systems' slots (docs/federation.md, docs/cli.md)."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.jobs import sync_sources
from app.models.federation import KINDS
from app.services.federation import sources
from app.transaction import transaction

federation_cli = AppGroup("federation", help="Federation sources: other hospital systems' slots.")


@federation_cli.command("add")
@click.option("--name", required=True, help="A short name, shown to patients beside each slot.")
@click.option("--url", required=True, help="The manifest's address (smart-links) or the FHIR base (fhir).")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--max-age-minutes", default=60, show_default=True, type=int,
              help="The staleness budget: slots the source has not confirmed for longer disappear.")
@click.option("--token", envvar="FEDERATION_TOKEN", default=None,
              help="Bearer token for the source's $hold/$book (or FEDERATION_TOKEN); without one: deep links.")
def add(name: str, url: str, kind: str, max_age_minutes: int, token: str | None):
    """Register a source."""
    try:
        with transaction():
            source = sources.add(name, url, kind, max_age_minutes, token)
            made = {"id": source.id, "name": source.name, "kind": source.kind}
    except sources.SourceInputError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    click.echo(json.dumps(made))


@federation_cli.command("sync")
def sync():
    """Fetch every source now; one JSON line: sources, fetched, upserted, removed, errors, stale."""
    click.echo(json.dumps(sync_sources()))


@federation_cli.command("list")
def list_sources():
    """Each source and its health, one JSON line each."""
    with transaction():
        rows = [sources.as_json(row) for row in sources.health()]
    for row in rows:
        click.echo(json.dumps(row))


@federation_cli.command("pause")
@click.option("--name", required=True)
@click.option("--resume", is_flag=True, help="Resume a paused source instead.")
def pause(name: str, resume: bool):
    """Pause a source (no sync, its slots out of search) or resume it."""
    with transaction():
        source = sources.by_name(name)
        if source is not None:
            sources.set_paused(source, not resume)
    if source is None:
        click.echo(f"Error: no source named {name}.", err=True)
        sys.exit(2)
    click.echo(json.dumps({"name": name, "paused": not resume}))
