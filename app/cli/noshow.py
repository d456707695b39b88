"""`flask --app wsgi noshow ...`: train and judge the no-show model on CSV files, or train on the portal's own
history (docs/noshow.md)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup

noshow_cli = AppGroup("noshow", help="Predict no-shows: train and judge the model (docs/noshow.md).")

REPO = Path(__file__).resolve().parent.parent.parent


def _default_csv() -> Path:
    from app.scheduling.simulation_model import SimulationDataError, find_noshow_file

    try:
        return find_noshow_file(os.environ, REPO)
    except SimulationDataError as err:
        raise click.ClickException(str(err)) from None


def _rows(path: Path):
    from app.services.noshow.training import NoShowDataError, load_csv

    try:
        return load_csv(path)
    except NoShowDataError as err:
        raise click.ClickException(str(err)) from None


def _portal_rows():
    from app.models.base import utcnow
    from app.services.noshow.portal import portal_rows
    from app.services.noshow.training import NoShowDataError

    try:
        return portal_rows(utcnow())
    except NoShowDataError as err:
        raise click.ClickException(str(err)) from None


@noshow_cli.command("train")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Appointments in the data set's layout (default: the copy in data/noshow/).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where the model file is written.")
@click.option("--holdout", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True,
              help="Share of the last appointment days held out to judge the model.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--from-db", "from_db", is_flag=True,
              help="Train on the portal's own past appointments (completed or no-show) instead of a CSV file.")
def noshow_train(csv_path, out_path, holdout, seed, from_db):
    """Compare the models on a time split, keep the best, calibrated; one JSON line of what was trained."""
    from app.services.noshow import save
    from app.services.noshow.training import NoShowDataError, train

    if from_db and csv_path:
        raise click.UsageError("--from-db and --csv name two sources: give one.")
    loaded = _portal_rows() if from_db else _rows(csv_path or _default_csv())
    try:
        record = train(loaded.rows, holdout_share=holdout, seed=seed)
    except NoShowDataError as err:
        raise click.ClickException(str(err)) from None
    save(record, out_path)
    click.echo(json.dumps({"model": record.name, "out": str(out_path), "source": "db" if from_db else "csv",
                           "rows": len(loaded.rows),
                           "dropped": loaded.dropped, "trained_from": record.trained_from.isoformat(),
                           "trained_to": record.trained_to.isoformat(),
                           "held_out_from": record.holdout_from.isoformat(), **record.metrics,
                           "comparison": record.comparison}))


@noshow_cli.command("evaluate")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Appointments to judge on; only days after the model's training period count.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Earlier appointments: the patients' past, never judged.")
def noshow_evaluate(model_path, csv_path, history_path):
    """One JSON line: roc_auc, pr_auc, brier, base_rate, n on the days after the model's training period."""
    from app.services.noshow import ModelFileError, load
    from app.services.noshow.training import NoShowDataError, evaluate

    try:
        record = load(model_path)
    except ModelFileError as err:
        raise click.ClickException(str(err)) from None
    rows = _rows(csv_path or _default_csv()).rows
    history = _rows(history_path).rows if history_path else []
    try:
        scores = evaluate(record, rows, history)
    except NoShowDataError as err:
        raise click.ClickException(str(err)) from None
    click.echo(json.dumps({**scores.line(), "model": record.name}))
