"""Celery (docs/operations.md): with CELERY_BROKER_URL set, Celery workers and beat on Redis or RabbitMQ run the same
job functions as the embedded scheduler thread, and the web app hands freshly committed messages to a worker.

    celery -A app.celery_app worker --beat      # or a separate `celery -A app.celery_app beat`
"""
from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from app.jobs import DELIVER_TASK, JOBS, RUN_ONCE_ARGS
from app.notifications import outbox


def job_task_name(name: str) -> str:
    return f"waitless.job.{name}"


def result_backend_for(broker: str) -> str:
    """The default result backend: the broker itself for Redis; RabbitMQ stores no results (Celery 5 dropped its
    `amqp` backend), so replies travel back over the broker as messages (`rpc://`)."""
    return "rpc://" if broker.split(":", 1)[0] in {"amqp", "amqps", "pyamqp"} else broker


def make_celery(flask_app: Flask) -> Celery:
    """A Celery app whose tasks run inside flask_app's context; beat runs every job at its interval."""
    from app.extensions import db

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with flask_app.app_context():
                try:
                    return self.run(*args, **kwargs)
                except Exception:
                    db.session.rollback()
                    raise

    broker = flask_app.config["CELERY_BROKER_URL"]
    celery = Celery(flask_app.import_name, task_cls=FlaskTask, broker=broker,
                    backend=flask_app.config.get("CELERY_RESULT_BACKEND") or result_backend_for(broker))
    celery.conf.update(
        task_default_queue=flask_app.config.get("CELERY_QUEUE", "waitless"),
        task_acks_late=True,  # a worker that dies mid-task leaves it to another (the outbox claims stop doubles)
        worker_prefetch_multiplier=1,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        beat_schedule={job_task_name(name): {"task": job_task_name(name), "schedule": float(every)}
                       for name, (_fn, every) in JOBS.items()},
    )
    for name, (fn, _every) in JOBS.items():
        celery.task(name=job_task_name(name))(_job_runner(fn))

    @celery.task(name=DELIVER_TASK)
    def deliver(keys: list[str] | None = None) -> dict:
        return outbox.deliver_pending(dedupe_keys=keys)

    flask_app.extensions["celery"] = celery
    return celery


def _job_runner(fn):
    def run(once: bool = False) -> int:
        # `once` mirrors `flask jobs run-once` (delivery ignores the backoff); beat runs the ordinary way
        return fn(**RUN_ONCE_ARGS.get(_name_of(fn), {})) if once else fn()
    run.__name__ = fn.__name__
    return run


def _name_of(fn) -> str:
    return next(name for name, (job_fn, _every) in JOBS.items() if job_fn is fn)


def celery_for(flask_app: Flask) -> Celery:
    """The Celery app bound to flask_app (the web process uses it only to send tasks)."""
    return flask_app.extensions.get("celery") or make_celery(flask_app)


def _worker_celery() -> Celery:
    from app import create_app

    return make_celery(create_app())


def __getattr__(name: str):
    # `celery -A app.celery_app` looks up `celery`/`app`: build the Flask app only when a worker asks
    if name in ("celery", "app"):
        value = _worker_celery()
        globals()["celery"] = globals()["app"] = value
        return value
    raise AttributeError(name)
