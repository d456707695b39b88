"""Application factory: create_app builds the app in named register_* steps."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from config import BASE_DIR, CONFIGS, DEFAULT_ENV, DEV_SECRET_KEY, Config, ConfigError


def create_app(config: type[Config] | str | None = None, **overrides) -> Flask:
    """The app in the configuration named by `config` or WAITLESS_ENV; production when neither says (fail closed:
    docs/security.md). Unsafe production settings raise ConfigError before anything starts."""
    if config is None:
        config = os.environ.get("WAITLESS_ENV") or DEFAULT_ENV
    if isinstance(config, str):
        if config not in CONFIGS:
            raise ConfigError(f"WAITLESS_ENV={config!r}: choose one of {', '.join(CONFIGS)}")
        config = CONFIGS[config]
    settings = config()
    merged = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    merged.update(overrides)
    config.check(merged)
    _check_weights(merged)
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(settings)
    app.config.update(overrides)
    register_proxies(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        app.logger.warning("WAITLESS_ENV=%s: signing with the development-only SECRET_KEY, which is public; "
                           "production refuses it (docs/settings.md)", app.config["WAITLESS_ENV"])

    register_reads(app)
    register_extensions(app)
    register_security(app)
    register_headers(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    register_jobs(app)
    register_subscribers()
    return app


def _check_weights(settings: dict) -> None:
    """Weights that are negative or not numbers stop the start with a clear error, rather than every search
    failing later (docs/settings.md, BEST_FIT_WEIGHTS)."""
    from app.scheduling.errors import WeightsInvalid
    from app.scheduling.scoring import FitWeights
    try:
        FitWeights.from_setting(settings.get("BEST_FIT_WEIGHTS"))
    except WeightsInvalid as err:
        raise ConfigError(f"BEST_FIT_WEIGHTS: {err.message}") from None


def register_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For / -Proto only from TRUSTED_PROXIES hops: otherwise anyone could choose the address
    that rate limits, login throttles and the audit log see (docs/security.md, "Client addresses")."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_reads(app: Flask) -> None:
    """Anonymous API reads skip sessions, identities and limits (docs/operations.md, "Caching")."""
    from app.web.reads import init_reads

    init_reads(app)


def register_extensions(app: Flask) -> None:
    from sqlalchemy.orm import configure_mappers

    from app import models  # noqa: F401  (one metadata for Alembic)
    from app.conversions import with_conversions
    from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate, principal, socketio
    from app.i18n import select_locale
    from app.replica import init_replica, start_health

    init_replica(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql"):
        # the pool's own rollback on return is replaced by _tune_mysql's, which skips the closed transactions
        # and its ping on every checkout by _tune_mysql's, which pings only connections idle for a while
        # and PyMySQL's date parsing by the standard library's (app/conversions.py)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = with_conversions(
            {"pool_reset_on_return": None, **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
             "pool_pre_ping": False})
    db.init_app(app)
    with app.app_context():
        start_health(app, db.engines)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql"):
        _tune_mysql(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    principal.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # threading always: other installed packages bring gevent/eventlet, which we do not want (docs/architecture.md)
    socketio.init_app(
        app, async_mode="threading", message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        cors_allowed_origins=[app.config["PUBLIC_BASE_URL"]],
    )
    # the mappers' relationships are resolved once per process, here at start-up: left to the first query, each
    # gunicorn worker's first request pays for it (0.3 s) while the requests behind it wait
    # (docs/benchmarks.md, "Start-up and plain inserts")
    configure_mappers()


def _tune_sqlite(app: Flask) -> None:
    import sqlite3

    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    lock_timeout_ms = int(app.config["DB_LOCK_TIMEOUT_SECONDS"] * 1000)  # then 503, not a hung request

    # Planner statistics: without them SQLite reads bookings through the status index (every active booking)
    # instead of (doctor_id, start), and the region slot search is about 8 times slower.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={lock_timeout_ms}")
        # SQLite >= 3.46: analyse every table that lacks statistics or outgrew them, within a small time budget.
        # Older versions (Debian 12 ships 3.40) ignore the extra bits and do nothing here: see _on_checkin.
        cur.execute("PRAGMA optimize=0x10012")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn, _record):
        # Older SQLite only analyses the tables this connection has used, so SQLite advises optimize before a
        # connection closes; pooled connections rarely close, so ask when one comes back. Usually a no-op; now and
        # then a sampled ANALYZE (analysis_limit), reset afterwards so that an explicit ANALYZE stays complete.
        if dbapi_conn is None:  # invalidated
            return
        try:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA analysis_limit=400")
            cur.execute("PRAGMA optimize")
            cur.execute("PRAGMA analysis_limit=0")
            cur.close()
        except sqlite3.Error:
            pass  # statistics are an optimisation: never fail a request over them


def _tune_mysql(app: Flask) -> None:
    """Lock waits give up after DB_LOCK_TIMEOUT_SECONDS, so a locked row or table answers 503 in seconds instead
    of 500 after InnoDB's default 50 (docs/security.md, "Faults"). A connection going back to the pool is rolled
    back only when the server says a transaction is still open: the session has nearly always rolled back or
    committed already, and a second ROLLBACK is a round trip per request for nothing (docs/benchmarks.md). For the
    same reason a connection is pinged when it comes out of the pool only if it was idle for more than
    DB_PING_IDLE_SECONDS: one used a moment ago is alive but for a server restart in that moment (the request then
    fails once and the pool drops the dead connections)."""
    import time

    from pymysql.constants import SERVER_STATUS
    from pymysql.err import Error as MySQLError
    from sqlalchemy import event, exc

    from app.extensions import db

    with app.app_context():
        engine = db.engine
        engines = list(db.engines.values())
    seconds = max(1, int(app.config["DB_LOCK_TIMEOUT_SECONDS"]))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(f"SET SESSION innodb_lock_wait_timeout = {seconds}, lock_wait_timeout = {seconds}")
        cur.close()

    def _on_reset(dbapi_conn, _record, state):
        if not state.terminate_only and dbapi_conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
            engine.dialect.do_rollback(dbapi_conn)  # what the pool's own reset runs

    idle_seconds = float(app.config["DB_PING_IDLE_SECONDS"])

    def _on_checkin(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    def _on_checkout(dbapi_conn, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", float("-inf")) <= idle_seconds:
            return
        try:
            dbapi_conn.ping(reconnect=False)
        except MySQLError as err:
            raise exc.DisconnectionError() from err  # the pool connects afresh and tries again

    event.listen(engine, "checkin", _on_checkin)  # the primary; the replica's bind keeps pinging every checkout
    event.listen(engine, "checkout", _on_checkout)
    for each in engines:
        if each.dialect.name == "mysql":
            event.listen(each, "reset", _on_reset)


def register_security(app: Flask) -> None:
    from app.security import init_security

    init_security(app)


def register_headers(app: Flask) -> None:
    from app.headers import init_headers

    init_headers(app)


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import init_api
    from app.auth import bp as auth_bp
    from app.dev import bp as dev_bp
    from app.doctor import bp as doctor_bp
    from app.fhir import bp as fhir_bp
    from app.kiosk import bp as kiosk_bp
    from app.locations import bp as locations_bp
    from app.manage import bp as manage_bp
    from app.messages import bp as messages_bp
    from app.notices import bp as notices_bp
    from app.notifications.dev_sms import dev_outbox_on
    from app.nurse import bp as nurse_bp
    from app.offers import bp as offers_bp
    from app.optimise import bp as optimise_bp
    from app.patient import bp as patient_bp
    from app.public import bp as public_bp
    from app.staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(patient_bp, url_prefix="/patient")
    app.register_blueprint(doctor_bp, url_prefix="/doctor")
    app.register_blueprint(nurse_bp, url_prefix="/nurse")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(locations_bp, url_prefix="/locations")
    app.register_blueprint(manage_bp, url_prefix="/manage")
    app.register_blueprint(notices_bp, url_prefix="/notices")
    app.register_blueprint(messages_bp, url_prefix="/messages")
    app.register_blueprint(kiosk_bp, url_prefix="/kiosk")
    app.register_blueprint(offers_bp, url_prefix="/offers")
    app.register_blueprint(fhir_bp, url_prefix="/fhir")
    app.register_blueprint(optimise_bp, url_prefix="/optimise")
    # /dev/mail shows every e-mail sent, reset links included: development only (docs/security.md)
    if dev_outbox_on(app.config):
        app.register_blueprint(dev_bp, url_prefix="/dev")
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from app.templating import init_templating
    from app.web.words import init_words

    init_templating(app)
    init_words(app)


def register_cli(app: Flask) -> None:
    from app.cli import init_cli

    init_cli(app)


def register_jobs(app: Flask) -> None:
    from app.jobs import init_jobs

    init_jobs(app)


def register_subscribers() -> None:
    """Features that listen to others' signals subscribe when their package loads (docs/architecture.md, "Events")."""
    # waitlist: offers freed and added time to waiting patients; delivery and queue: an erased patient's messages
    # are redacted and their tokens leave the live queues; messages: their threads are deleted; noshow: each
    # booking is scored by the no-show model; teams: a member's leave flags their team appointments
    from app.services import delivery, messages, noshow, queue, teams, waitlist  # noqa: F401
